import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, apiRoutes } from '../../lib/handlers/api.ts';
import { FUNCTION_ENV } from '../../lib/handlers/function-settings.ts';

const DOC = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'api.md'), 'utf8');

describe('docs/api.md', () => {
  it.each(
    apiRoutes({ sfn: { send: async () => ({}) } as never, catalog: { runbooks: [] } }).map(
      (r) => `${r.method} ${r.path}`,
    ),
  )('has a section for %s', (route) => {
    expect(DOC).toContain(`## \`${route}\``);
  });

  it.each([...API_ERROR_CODES])('lists error code %s in the errors table', (code) => {
    expect(DOC).toMatch(new RegExp(`^\\| \\d{3} \\| \`${code}\` \\|`, 'm'));
  });

  it.each(Object.values(FUNCTION_ENV))('documents setting %s', (name) => {
    expect(DOC).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
