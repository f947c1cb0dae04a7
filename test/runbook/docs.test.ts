import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_DIAGNOSTIC_CODES, DIAGNOSTIC_CODES, parseRunbook } from '../../lib/runbook/index.ts';
import { KEYS } from '../../lib/runbook/schema.ts';

const docs = join(import.meta.dirname, '..', '..', 'docs');
const reference = readFileSync(join(docs, 'runbooks.md'), 'utf8');
const diagnostics = readFileSync(join(docs, 'diagnostics.md'), 'utf8');

describe('docs/diagnostics.md', () => {
  it.each(ALL_DIAGNOSTIC_CODES)('explains %s under its own heading with its severity', (code) => {
    const severity = DIAGNOSTIC_CODES[code].severity;

    expect(diagnostics).toMatch(
      new RegExp(`^### ${code}${severity === 'warning' ? ' \\(warning\\)' : ''}$`, 'm'),
    );
    expect(diagnostics).toContain(`| [${code}](#${code.toLowerCase()}) | ${severity} |`);
  });
});

describe('docs/runbooks.md', () => {
  it('names every key the language accepts', () => {
    const missing = Object.values(KEYS)
      .flatMap((keys) => Object.keys(keys))
      .filter((key) => !reference.includes(`\`${key}\``));

    expect(missing).toEqual([]);
  });

  it('shows complete runbooks that validate without diagnostics', () => {
    const blocks = [...reference.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const complete = blocks.filter((b) => /^name: /m.test(b) && /^steps:/m.test(b));

    expect(complete.length).toBeGreaterThan(0);
    for (const block of complete) expect(parseRunbook(block, { file: 'doc.yaml' }).diagnostics).toEqual([]);
  });
});
