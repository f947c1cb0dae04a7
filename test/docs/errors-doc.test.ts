import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SESSION_ERROR_HINTS } from '../../lib/exec/errors.ts';
import { TASK_ERROR_NAMES } from '../../lib/shared/errors.ts';
import { renderErrorsDoc } from './errors-doc.ts';

const FILE = path.join(import.meta.dirname, '..', '..', 'docs', 'errors.md');

describe('docs/errors.md', () => {
  it('matches the hint tables it is generated from', () => {
    const rendered = renderErrorsDoc();
    if (process.env.UPDATE_GOLDEN) writeFileSync(FILE, rendered);
    expect(readFileSync(FILE, 'utf8')).toBe(rendered);
  });

  it('names every task error name and session error code', () => {
    const doc = readFileSync(FILE, 'utf8');
    for (const name of [...TASK_ERROR_NAMES, ...Object.keys(SESSION_ERROR_HINTS)])
      expect(doc).toContain(`\`${name}\``);
  });
});
