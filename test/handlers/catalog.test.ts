import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogEntry, parseCatalog } from '../../lib/handlers/catalog.ts';
import { InvalidInputError } from '../../lib/handlers/parse-input.ts';
import { catalogEntryOf, type RunbookCatalog } from '../../lib/runbook/catalog.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:flush-cache';

function flushCacheCatalog(): RunbookCatalog {
  const file = path.join(import.meta.dirname, '..', '..', 'runbooks', 'flush-cache.yaml');
  const { runbook } = parseRunbook(readFileSync(file, 'utf8'), { file });
  if (!runbook) throw new Error('flush-cache does not validate');
  return { runbooks: [catalogEntryOf(runbook, ARN)] };
}

function thrown(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('parseCatalog', () => {
  it('reads back the catalog the stack serializes', () => {
    const catalog = flushCacheCatalog();
    const parsed = parseCatalog(JSON.stringify(catalog));
    expect(parsed).toEqual(catalog);
    expect(catalogEntry(parsed, 'flush-cache')?.stateMachineArn).toBe(ARN);
    expect(catalogEntry(parsed, 'nope')).toBeUndefined();
  });

  it('throws naming the setting, the field and the value', () => {
    // Arrange
    const catalog = flushCacheCatalog();
    const bad = { runbooks: [{ ...catalog.runbooks[0], stateMachineArn: 'flush-cache', typo: 1 }] };

    // Act
    const error = thrown(() => parseCatalog(JSON.stringify(bad)));

    // Assert
    expect(error.what).toBe('RUNBOOK_CATALOG');
    expect(error.problems.map((p) => p.field)).toEqual(['runbooks[0].stateMachineArn', 'runbooks[0].typo']);
    expect(error.problems[0]?.value).toBe('flush-cache');
    expect(error.message).toMatch(
      /^invalid RUNBOOK_CATALOG: runbooks\[0\]\.stateMachineArn: received "flush-cache"/,
    );
  });

  it('throws for text that is not JSON and for a runbook listed twice', () => {
    expect(thrown(() => parseCatalog('{runbooks')).message).toContain('not JSON');
    const entry = flushCacheCatalog().runbooks[0];
    expect(thrown(() => parseCatalog(JSON.stringify({ runbooks: [entry, entry] }))).problems[0]?.field).toBe(
      'runbooks[1].name',
    );
  });
});
