import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Writes files into a new directory and returns it. */
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-validate-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

const BROKEN = `name: broken
steps:
  - id: a
    exec:
      target: { service: api }
      command: echo \${{ params.nope }}
    timeout: 5 minutes
`;

describe('runbook validate', () => {
  it('prints ok for each example and exits 0 when none has an error', async () => {
    const cap = captureIo({ cwd: ROOT });
    const files = [
      'runbooks/flush-cache.yaml',
      'runbooks/incident-api-5xx.yaml',
      'runbooks/nightly-maintenance.yaml',
    ];
    const code = await main(['validate', ...files], cap.io);
    expect(code).toBe(0);
    expect(cap.stderr().split('\n').filter(Boolean)).toEqual(files.map((f) => `${f}: ok`));
    expect(cap.stdout()).toBe('');
  });

  it('reports every diagnostic with file:line:col and a caret and exits 1', async () => {
    const cwd = await dirWith({ 'broken.yaml': BROKEN });
    const cap = captureIo({ cwd });
    const code = await main(['validate', 'broken.yaml'], cap.io);
    expect(code).toBe(1);
    const err = cap.stderr();
    expect(err).toMatch(/^broken\.yaml:6:\d+: error [A-Z_]+: .*nope/m);
    expect(err).toMatch(/^broken\.yaml:7:\d+: error INVALID_DURATION: /m);
    expect(err).toContain('^');
    expect(err).not.toContain('broken.yaml: ok');
  });

  it('checks every file and exits 1 when one of them has an error', async () => {
    const cwd = await dirWith({ 'broken.yaml': BROKEN });
    const cap = captureIo({ cwd });
    const code = await main(
      ['validate', 'broken.yaml', path.join(ROOT, 'runbooks/flush-cache.yaml')],
      cap.io,
    );
    expect(code).toBe(1);
    expect(cap.stderr()).toContain(`${path.join(ROOT, 'runbooks/flush-cache.yaml')}: ok`);
  });

  it('checks a called runbook’s parameters against its file beside the caller', async () => {
    const cwd = await dirWith({
      'parent.yaml':
        'name: parent\nsteps:\n  - id: call\n    runbook: { name: child, parameters: { nope: 1 } }\n',
      'child.yaml':
        'name: child\nparameters:\n  word: { type: string }\nsteps:\n  - id: s\n    succeed: {}\n',
    });
    const cap = captureIo({ cwd });
    const code = await main(['validate', 'parent.yaml'], cap.io);
    expect(code).toBe(1);
    expect(cap.stderr()).toContain('UNKNOWN_PARAMETER');
  });

  it('reports a file that cannot be read and exits 1', async () => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['validate', 'runbooks/none.yaml'], cap.io);
    expect(code).toBe(1);
    expect(cap.stderr()).toContain('runbook validate: cannot read runbooks/none.yaml');
  });

  it('exits 2 with the usage when no file is given', async () => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['validate'], cap.io);
    expect(code).toBe(2);
    expect(cap.stderr()).toContain('Usage: runbook validate FILE...');
  });
});
