// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbook } from '../../lib/runbook/index.ts';

const VALID = `name: t
parameters:
  p: { type: string, default: x }
steps:
  - id: a
    exec:
      target: { service: api, pick: all, toleratedFailures: 10% }
      command: echo "\${{ params.p }}"
  - id: b
    when: \${{ steps.a.status == 'succeeded' }}
    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:ops", message: hi }
`;

function checkNeverThrows(source: string): void {
  const result = parseRunbook(source, { file: 'fuzz.yaml' });
  expect(Array.isArray(result.diagnostics)).toBe(true);
  for (const d of result.diagnostics) {
    expect(d.range.start.line).toBeGreaterThanOrEqual(1);
    expect(d.range.start.col).toBeGreaterThanOrEqual(1);
    expect(d.range.start.offset).toBeLessThanOrEqual(source.length);
    expect(d.range.end.offset).toBeGreaterThanOrEqual(d.range.start.offset);
  }
  if (result.runbook) expect(result.diagnostics.every((d) => d.severity === 'warning')).toBe(true);
  else expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

describe('parseRunbook on arbitrary input', () => {
  it('never throws on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), checkNeverThrows), { numRuns: 300 });
  });

  it('never throws on random bytes read as text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) =>
        checkNeverThrows(Buffer.from(bytes).toString('latin1')),
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on random YAML documents', () => {
    const keys = fc.constantFrom(
      'name',
      'steps',
      'id',
      'exec',
      'target',
      'command',
      'when',
      'parameters',
      'type',
      'default',
      'capture',
      'regex',
      'onFailure',
      'parallel',
      'branches',
      'retry',
      'triggers',
      'schedule',
      'cron',
      'outputs',
      'x',
    );
    const leaf = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(
        '${{ params.p }}',
        "${{ steps.a.outputs.x == 'y' }}",
        '${{',
        "echo '${{ params.p }}'",
        '10%',
        '5m',
      ),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(keys, tie('node'), { maxKeys: 5 }),
    }));
    fc.assert(
      fc.property(tree.node, (doc) => checkNeverThrows(stringify(doc))),
      { numRuns: 300 },
    );
  });

  it('never throws on a valid runbook cut or corrupted anywhere', () => {
    fc.assert(
      fc.property(
        fc.nat(VALID.length),
        fc.nat(VALID.length),
        fc.string({ maxLength: 5 }),
        (at, length, insert) =>
          checkNeverThrows(VALID.slice(0, at) + insert + VALID.slice(at + (length % 8))),
      ),
      { numRuns: 400 },
    );
  });

  it('accepts the uncorrupted runbook the corruption test starts from', () => {
    expect(parseRunbook(VALID, { file: 'v.yaml' }).diagnostics).toEqual([]);
  });

  it('reports a non-string input instead of throwing', () => {
    const result = parseRunbook(42 as unknown as string, { file: 'n.yaml' });

    expect(result.diagnostics.map((d) => d.code)).toEqual(['WRONG_TYPE']);
  });
});
