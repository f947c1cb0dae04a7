import { describe, expect, it } from 'vitest';
import { taskStatesOf } from '../../lib/compiler/index.ts';
import { compileYaml, runbookYaml } from './helpers.ts';

describe('taskStatesOf', () => {
  it('lists every Task state with what it calls, nested ones included', () => {
    const source = runbookYaml(`  - id: one
    exec: { target: { service: api }, command: "true" }
  - id: many
    exec: { target: { service: api, pick: all }, command: "true" }
  - id: both
    parallel:
      branches:
        - steps:
            - id: ok
              approval: { message: go }
        - steps:
            - id: tell
              notify: { topic: "arn:aws:sns:eu-west-1:123456789012:t", message: hi }
  - id: call
    runbook: other`);

    expect(taskStatesOf(compileYaml(source).definition)).toEqual([
      { name: 'Runbook.CheckInput', kind: 'checkInput', stepId: 'Runbook' },
      { name: 'one', kind: 'exec', stepId: 'one' },
      { name: 'many', kind: 'targets', stepId: 'many' },
      { name: 'many.Batch', kind: 'batch', stepId: 'many' },
      { name: 'many.DistBatch', kind: 'batch', stepId: 'many' },
      { name: 'many.Summary', kind: 'summary', stepId: 'many' },
      { name: 'ok', kind: 'approval', stepId: 'ok' },
      { name: 'tell', kind: 'notify', stepId: 'tell' },
      { name: 'call', kind: 'runbook', stepId: 'call', placeholder: 'Runbook_other_Arn' },
    ]);
  });
});
