import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExecArgs } from '../../lib/cli/exec.ts';
import { main } from '../../lib/cli/main.ts';
import { captureIo } from './io.ts';

// These run the whole path: main → runExec → the real ECS client → the local ECS API → the
// local agent → a real PTY → sh, with the realistic agent (1 s initial wait), as a user would.
const LOCAL = ['exec', '--local', '--cluster', 'demo'];

describe('runbook exec', () => {
  it('exits with the remote exit code and streams the output when one target runs', async () => {
    const cap = captureIo();
    const code = await main([...LOCAL, '--service', 'api', '--', 'printf "a\\nb"; exit 3'], cap.io);
    expect(code).toBe(3);
    expect(cap.stdout()).toBe('a\nb');
  });

  it('keeps the words of an argv command apart when several words follow --', async () => {
    const cap = captureIo();
    const code = await main([...LOCAL, '--service', 'api', '--', 'printf', '[%s]\\n', 'a b', "it's"], cap.io);
    expect(code).toBe(0);
    expect(cap.stdout()).toBe("[a b]\n[it's]\n");
  });

  it('prints exactly one JSON document of result records with --json', async () => {
    const cap = captureIo();
    const code = await main([...LOCAL, '--service', 'api', '--json', '--', 'echo hi; exit 2'], cap.io);
    expect(code).toBe(2);
    const records = JSON.parse(cap.stdout());
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      cluster: 'demo',
      container: 'app',
      exitCode: 2,
      status: 'failed',
      output: { tail: 'hi\n', totalBytes: 3, truncated: false },
      error: { name: 'CommandFailed' },
    });
  });

  it('writes each target’s whole output to --output-dir while the JSON record keeps a tail', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'exec-out-'));
    try {
      const cap = captureIo();
      // 40,000 lines of 9 bytes: more than the 32 KiB tail.
      const code = await main(
        [...LOCAL, '--service', 'api', '--json', '--output-dir', dir, '--', 'seq -w 1 40000 | sed s/$/.../'],
        cap.io,
      );
      expect(code).toBe(0);
      const [record] = JSON.parse(cap.stdout());
      expect(record.output).toMatchObject({ truncated: true, totalBytes: 360_000 });
      const whole = await readFile(new URL(record.output.uri), 'utf8');
      expect(whole.length).toBe(360_000);
      expect(whole.startsWith('00001...\n')).toBe(true);
      expect(whole.endsWith('40000...\n')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prefixes each line with the task id and ends a partial line when it fans out', async () => {
    const cap = captureIo();
    const code = await main([...LOCAL, '--service', 'api', '--all', '--', 'printf "x\\ny"'], cap.io);
    expect(code).toBe(0);
    const lines = cap.stdout().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toMatch(/^[0-9a-f]{32}: [xy]$/);
    expect(cap.stderr()).toContain('3/3 targets succeeded');
  });

  it('exits 1 when a fan-out exceeds its error budget and 0 when the budget holds', async () => {
    // Task ids are deterministic (runbooks/local/cluster.yaml): the first task of service api fails with 5.
    const failing = createHash('sha256').update('demo/api/0').digest('hex').slice(0, 32);
    const script = `case "$PWD" in *${failing}*) exit 5;; esac`;
    const strict = captureIo();
    const tolerant = captureIo();
    const strictCode = await main([...LOCAL, '--service', 'api', '--all', '--', script], strict.io);
    const tolerantCode = await main(
      [...LOCAL, '--service', 'api', '--all', '--tolerate', '1', '--', script],
      tolerant.io,
    );
    expect(strictCode).toBe(1);
    expect(strict.stderr()).toContain('error budget exceeded');
    expect(tolerantCode).toBe(0);
    expect(tolerant.stderr()).toContain(`${failing}/app: failed (exit 5)`);
    expect(tolerant.stderr()).toContain('2/3 targets succeeded, 1 failed (tolerated: 1)');
  });

  it('reports a missing container name with the containers that exist and exits 255', async () => {
    const cap = captureIo();
    const code = await main([...LOCAL, '--service', 'worker', '--', 'true'], cap.io);
    expect(code).toBe(255);
    expect(cap.stderr()).toContain('app, sidecar');
    expect(cap.stderr()).toContain('hint:');
  });

  it.each([
    [['exec', '--service', 'api'], 'no command'],
    [['exec', '--', 'true'], 'no target'],
    [['exec', '--service', 'api', '--task', 't', '--', 'true'], 'exactly one of'],
    [['exec', '--service', 'api', '--pick', 'some', '--', 'true'], '--pick must be'],
    [['exec', '--service', 'api', '--timeout', 'soon', '--', 'true'], '--timeout must be'],
    [['exec', '--service', 'api', '--concurrency', '3', '--', 'true'], 'apply to a fan-out'],
    [['exec', '--service', 'api', '--all', '--tolerate', 'many', '--', 'true'], '--tolerate must be'],
    [['exec', '--service', 'api', '--bogus', '--', 'true'], 'Unknown option'],
    [['exec', '--service', 'api', 'uptime'], 'after --'],
    [['exec', '--service', 'api', '--fast', '--', 'true'], '--fast needs --local'],
  ])('reports a usage error for %j and exits 2 before any remote call', async (argv, message) => {
    const cap = captureIo();
    const code = await main(argv, cap.io);
    expect(code).toBe(2);
    expect(cap.stderr()).toContain(message);
    expect(cap.stderr()).toContain('Usage: runbook exec');
    expect(cap.stdout()).toBe('');
  });

  it('reads a fan-out from --all and --pick N but one target from --pick 1 and --task', () => {
    expect(parseExecArgs(['--service', 's', '--all', '--', 'x']).fanOut).toBe(true);
    expect(parseExecArgs(['--service', 's', '--pick', '2', '--', 'x']).fanOut).toBe(true);
    expect(parseExecArgs(['--service', 's', '--pick', '1', '--', 'x']).fanOut).toBe(false);
    expect(parseExecArgs(['--task', 't', '--', 'x']).fanOut).toBe(false);
  });
});

describe('runbook', () => {
  it('prints the commands with --help and exits 2 on an unknown command', async () => {
    const help = captureIo();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('exec');
    const unknown = captureIo();
    expect(await main(['frobnicate'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('unknown command "frobnicate"');
  });
});
