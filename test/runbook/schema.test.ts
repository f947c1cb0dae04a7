import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runbookJsonSchema } from '../../lib/runbook/index.ts';
import { KEYS } from '../../lib/runbook/schema.ts';

const root = join(import.meta.dirname, '..', '..');
const schemaFile = join(root, 'docs', 'runbook.schema.json');
const EXAMPLES = ['nightly-maintenance', 'incident-api-5xx', 'flush-cache'];

let compiled: ReturnType<Ajv['compile']> | undefined;

/** Compiles the schema once (Ajv takes a few hundred milliseconds); strict mode checks the schema itself. */
function compile(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  }).compile(runbookJsonSchema());
  return compiled;
}

describe('runbookJsonSchema', () => {
  it('equals the committed docs/runbook.schema.json', () => {
    // Arrange: UPDATE_GOLDEN=1 regenerates the file; then `npx biome format --write` it, since
    // the comparison is on the JSON value and the file follows the repository's formatting.
    const generated = runbookJsonSchema();
    if (process.env.UPDATE_GOLDEN) writeFileSync(schemaFile, `${JSON.stringify(generated, null, 2)}\n`);

    // Act
    const committed: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'));

    // Assert
    expect(committed).toEqual(generated);
  });

  it.each(EXAMPLES)('accepts the example %s', (name) => {
    const validate = compile();
    const document: unknown = parse(readFileSync(join(root, 'runbooks', `${name}.yaml`), 'utf8'));

    const valid = validate(document);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { name: 'x', steps: [{ id: 'a', wait: '1s' }], step: [] }],
    ['a step with two kinds', { name: 'x', steps: [{ id: 'a', wait: '1s', succeed: {} }] }],
    ['a step without a kind', { name: 'x', steps: [{ id: 'a' }] }],
    [
      'a target without a selection',
      { name: 'x', steps: [{ id: 'a', exec: { target: { pick: 'all' }, command: 'true' } }] },
    ],
    ['a kebab-case step id', { name: 'x', steps: [{ id: 'a-b', wait: '1s' }] }],
    ['a duration in words', { name: 'x', steps: [{ id: 'a', wait: '5 minutes' }] }],
    ['no steps', { name: 'x' }],
  ])('rejects %s', (_title, document) => {
    const validate = compile();

    expect(validate(document)).toBe(false);
  });

  it('describes every key the validator accepts', () => {
    const text = JSON.stringify(runbookJsonSchema());
    for (const keys of Object.values(KEYS)) {
      for (const [key, spec] of Object.entries(keys as Record<string, { description: string }>)) {
        expect(text, key).toContain(JSON.stringify(spec.description));
      }
    }
  });
});
