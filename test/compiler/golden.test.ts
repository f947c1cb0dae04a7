import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRunbookSource } from '../../lib/compiler/index.ts';
import { validate } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RUNBOOKS = join(ROOT, 'runbooks');
const GOLDEN = join(ROOT, 'test', 'fixtures', 'asl');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const examples = readdirSync(RUNBOOKS)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => file.slice(0, -'.yaml'.length));

function compileExample(name: string) {
  const file = join(RUNBOOKS, `${name}.yaml`);
  const result = compileRunbookSource(readFileSync(file, 'utf8'), { file });
  if (!result.json || !result.definition) {
    throw new Error(`${name} has diagnostics: ${JSON.stringify(result.diagnostics.map((d) => d.code))}`);
  }
  return { definition: result.definition, json: result.json };
}

describe('compiled examples', () => {
  it('finds the example runbooks', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  // Regenerate with: UPDATE_GOLDEN=1 npx vitest run test/compiler/golden.test.ts
  it.each(examples)('matches the golden ASL of %s', (name) => {
    const { definition, json } = compileExample(name);
    const golden = join(GOLDEN, `${name}.asl.json`);
    if (UPDATE) writeFileSync(golden, json);
    expect(existsSync(golden), `${golden} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
    const text = readFileSync(golden, 'utf8');
    expect(JSON.parse(text)).toEqual(definition);
    expect(text).toBe(json);
  });

  it.each(examples)('passes asl-validator with path and ARN checks for %s', (name) => {
    const { definition } = compileExample(name);
    const verdict = validate(definition);
    expect(verdict.text).toBe('');
    expect(verdict.isValid).toBe(true);
  });

  it.each(examples)('compiles %s to identical JSON twice', (name) => {
    expect(compileExample(name).json).toBe(compileExample(name).json);
  });

  it('has no golden without an example', () => {
    const goldens = readdirSync(GOLDEN).filter((file) => file.endsWith('.asl.json'));
    expect(goldens.map((file) => file.slice(0, -'.asl.json'.length)).sort()).toEqual(examples);
  });
});
