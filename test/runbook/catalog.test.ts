import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogEntryOf } from '../../lib/runbook/catalog.ts';
import type { Runbook } from '../../lib/runbook/model.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:rb';

function runbookOf(source: string): Runbook {
  const { runbook, diagnostics } = parseRunbook(source, { file: 'test.yaml' });
  if (!runbook) throw new Error(JSON.stringify(diagnostics));
  return runbook;
}

describe('catalogEntryOf', () => {
  it('lists the parameters without source ranges and whether the API may start the runbook', () => {
    // Arrange
    const file = path.join(import.meta.dirname, '..', '..', 'runbooks', 'flush-cache.yaml');
    const runbook = runbookOf(readFileSync(file, 'utf8'));

    // Act
    const entry = catalogEntryOf(runbook, ARN);

    // Assert
    expect(entry.name).toBe('flush-cache');
    expect(entry.stateMachineArn).toBe(ARN);
    expect(entry.api).toBe(true);
    expect(entry.parameters).toContainEqual({
      name: 'olderThanMinutes',
      type: 'integer',
      default: 0,
      required: false,
      minimum: 0,
      maximum: 1440,
    });
    expect(entry.parameters).toContainEqual({
      name: 'reason',
      type: 'string',
      required: true,
      minLength: 3,
      maxLength: 200,
    });
    expect(JSON.stringify(entry)).not.toContain('range');
    expect(entry.approvals).toEqual([
      {
        stepId: 'approve',
        next: 'flush (Flush every task), then verify (Count what is left)',
        onReject: 'the run fails',
      },
    ]);
  });

  it('describes what follows approvals at the end of a run, in a branch and with onFailure steps', () => {
    // Arrange
    const runbook = runbookOf(`
name: nested
steps:
  - id: both
    parallel:
      branches:
        - steps:
            - id: a1
              approval: { message: go? }
        - steps:
            - id: b1
              approval: { message: go? }
              onFailure: continue
            - id: b2
              succeed: {}
  - id: last
    approval: { message: go? }
    onFailure:
      - id: cleanup
        fail: { error: Rejected }
`);

    // Act
    const approvals = catalogEntryOf(runbook, ARN).approvals;

    // Assert
    expect(approvals).toEqual([
      {
        stepId: 'a1',
        next: 'nothing more in its branch of both',
        onReject: 'the step fails as ApprovalRejected',
      },
      { stepId: 'b1', next: 'b2', onReject: 'the step is marked failed and b2 runs' },
      { stepId: 'last', next: 'nothing: the run ends', onReject: 'its onFailure steps run: cleanup' },
    ]);
    expect(catalogEntryOf(runbook, ARN).api).toBe(false);
  });
});
