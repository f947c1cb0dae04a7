import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('runbook compile', () => {
  it('prints the ASL definition with placeholders on stdout', async () => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['compile', 'runbooks/nightly-maintenance.yaml'], cap.io);
    expect(code).toBe(0);
    const definition = JSON.parse(cap.stdout());
    expect(definition.StartAt).toBe('Runbook.CheckInput');
    expect(definition.States.usage).toMatchObject({ Type: 'Task', Resource: '\u0024{ExecFnArn}' });
    expect(definition.States['purge.Summary'].Resource).toBe('\u0024{FanOutSummaryFnArn}');
    expect(cap.stderr()).toBe('');
  });

  it('prints diagnostics and nothing on stdout when the runbook has errors', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-compile-'));
    try {
      await writeFile(path.join(dir, 'bad.yaml'), 'name: bad\nsteps:\n  - id: a\n    wait: forever\n');
      const cap = captureIo({ cwd: dir });
      const code = await main(['compile', 'bad.yaml'], cap.io);
      expect(code).toBe(1);
      expect(cap.stdout()).toBe('');
      expect(cap.stderr()).toMatch(/^bad\.yaml:4:\d+: error [A-Z_]+/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 when the file cannot be read', async () => {
    const cap = captureIo({ cwd: ROOT });
    expect(await main(['compile', 'runbooks/none.yaml'], cap.io)).toBe(1);
    expect(cap.stderr()).toContain('cannot read runbooks/none.yaml');
  });

  it.each([[['compile']], [['compile', 'a.yaml', 'b.yaml']], [['compile', '--nope', 'a.yaml']]])(
    'exits 2 with the usage for %j',
    async (argv) => {
      const cap = captureIo({ cwd: ROOT });
      const code = await main(argv, cap.io);
      expect(code).toBe(2);
      expect(cap.stderr()).toContain('Usage: runbook compile FILE');
    },
  );
});
