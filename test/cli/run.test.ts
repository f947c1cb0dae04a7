// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
/**
 * `runbook run` through `main(argv, io)`: the local emulator in-process, the runner, the
 * handlers, real commands.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { parseRunArgs } from '../../lib/cli/run.ts';
import type { StepValue } from '../../lib/handlers/events.ts';
import type { LocalRunResult } from '../../lib/runner/progress.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-run-'));
  dirs.push(dir);
  return dir;
}

const GATED = `name: gated
steps:
  - id: ask
    approval: { message: "Go?", timeout: 1s }
  - id: work
    exec: { target: { cluster: demo, service: api }, command: 'echo worked' }
`;

describe('runbook run', () => {
  it('runs the npm start example to success with the realistic agent', async () => {
    // Arrange
    const cap = captureIo({ cwd: ROOT });

    // Act: exactly what `npm start` runs.
    const code = await main(['run', 'runbooks/nightly-maintenance.yaml', '--local', '--approve'], cap.io);

    // Assert
    const err = cap.stderr();
    const outputs = /^whole outputs: (.+)$/m.exec(err)?.[1];
    if (outputs) dirs.push(outputs);
    expect(code).toBe(0);
    expect(err).toMatch(/^runbook nightly-maintenance \(local-/m);
    expect(err).toMatch(/^▶ usage \(exec\) Measure disk use$/m);
    expect(err).toMatch(/^✓ usage succeeded in \S+ \(exit 0\)$/m);
    expect(err).toMatch(/^ {2}│ used=\d+$/m);
    expect(err).toMatch(/^ {2}✓ [0-9a-f]{32}\/app succeeded in \S+ \(exit 0\)$/m);
    expect(err).toMatch(/^✓ purge succeeded in \S+ \(3\/3 targets succeeded\)$/m);
    expect(err).toMatch(
      /^ {2}✉ arn:aws:sns:eu-west-1:000000000000:ops-nightly — Nightly maintenance of api$/m,
    );
    expect(err).toMatch(/^✓ nightly-maintenance succeeded in /m);
    expect(err).toContain('steps: 3 succeeded, 0 failed, 0 skipped');
    expect(outputs !== undefined && existsSync(outputs)).toBe(true);
    expect(cap.stdout()).toBe('');
  });

  it('prints the result as JSON on stdout with --json and follows --approve with approver and comment', async () => {
    const outputDir = await tempDir();
    const cap = captureIo({ cwd: ROOT });
    const code = await main(
      [
        'run',
        'runbooks/flush-cache.yaml',
        '--local',
        '--fast',
        '--json',
        '--param',
        'reason=stale entries',
        '--param',
        'service=api',
        '--approve',
        '--approver',
        'alice',
        '--comment',
        'go',
        '--output-dir',
        outputDir,
      ],
      cap.io,
    );
    expect(code).toBe(0);
    const result = JSON.parse(cap.stdout()) as LocalRunResult;
    expect(result).toMatchObject({
      status: 'succeeded',
      runbook: 'flush-cache',
      outputs: { entriesAfter: 0, flushedTasks: 3 },
      outputDir,
    });
    expect(result.steps.approve?.outputs).toEqual({ approvedBy: 'alice', comment: 'go' });
    expect(cap.stderr()).toContain('✓ approved by alice: go');
  });

  it('exits 1 and names the step and error when the runbook fails', async () => {
    const outputDir = await tempDir();
    const cap = captureIo({ cwd: ROOT });
    const code = await main(
      [
        'run',
        'runbooks/flush-cache.yaml',
        '--local',
        '--fast',
        '--param',
        'reason=why not',
        '--reject',
        '--comment',
        'no',
        '--output-dir',
        outputDir,
      ],
      cap.io,
    );
    expect(code).toBe(1);
    expect(cap.stderr()).toMatch(
      /^✗ flush-cache failed in \S+: ApprovalRejected in step approve: Rejected by \S+: no$/m,
    );
    expect(cap.stderr()).toMatch(/^- flush skipped$/m);
  });

  it('waits for the approval timeout and fails when there is neither a decision nor a terminal', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'gated.yaml'), GATED);
    const cap = captureIo({ cwd: dir });
    const code = await main(
      [
        'run',
        'gated.yaml',
        '--local',
        '--fast',
        '--cluster-file',
        path.join(ROOT, 'runbooks/local/cluster.yaml'),
        '--output-dir',
        dir,
      ],
      cap.io,
    );
    expect(code).toBe(1);
    expect(cap.stderr()).toContain(
      'no --approve or --reject and no terminal to ask on: waiting until it times out',
    );
    expect(cap.stderr()).toMatch(/ApprovalRejected in step ask: no decision within 1/);
  });

  it('asks on the terminal when stdin is one, reading the answers typed ahead', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'gated.yaml'), GATED.replace('timeout: 1s', 'timeout: 10s'));
    const cap = captureIo({ cwd: dir });
    const stdin = cap.io.stdin as PassThrough;
    Object.assign(stdin, { isTTY: true });
    stdin.write('y\nlooks good\n');
    const code = await main(
      [
        'run',
        'gated.yaml',
        '--local',
        '--fast',
        '--approver',
        'dave',
        '--json',
        '--cluster-file',
        path.join(ROOT, 'runbooks/local/cluster.yaml'),
        '--output-dir',
        dir,
      ],
      cap.io,
    );
    expect(code).toBe(0);
    expect(cap.stderr()).toContain('Approve step ask? [y/N] ');
    const result = JSON.parse(cap.stdout()) as LocalRunResult;
    expect(result.steps.ask?.outputs).toEqual({ approvedBy: 'dave', comment: 'looks good' });
  });

  it('keeps answers typed ahead for a later approval', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'two-gates.yaml'),
      [
        'name: two-gates',
        'steps:',
        '  - id: first',
        '    approval: { message: "One?", timeout: 10s }',
        '  - id: second',
        '    approval: { message: "Two?", timeout: 10s }',
        '',
      ].join('\n'),
    );
    const cap = captureIo({ cwd: dir });
    const stdin = cap.io.stdin as PassThrough;
    Object.assign(stdin, { isTTY: true });
    stdin.write('y\none\nyes\ntwo\n');
    const code = await main(
      [
        'run',
        'two-gates.yaml',
        '--local',
        '--fast',
        '--approver',
        'erin',
        '--json',
        '--cluster-file',
        path.join(ROOT, 'runbooks/local/cluster.yaml'),
      ],
      cap.io,
    );
    expect(code).toBe(0);
    const result = JSON.parse(cap.stdout()) as LocalRunResult;
    expect(result.steps.first?.outputs).toEqual({ approvedBy: 'erin', comment: 'one' });
    expect(result.steps.second?.outputs).toEqual({ approvedBy: 'erin', comment: 'two' });
  });

  it('indents a called runbook and parallel branches under their steps', async () => {
    // Arrange: a parent that runs two branches, one of which calls a child beside it.
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'parent.yaml'),
      [
        'name: parent',
        'steps:',
        '  - id: both',
        '    parallel:',
        '      branches:',
        '        - steps:',
        '            - id: call',
        '              runbook: { name: child, parameters: { word: hi } }',
        '        - steps:',
        '            - id: other',
        "              exec: { target: { cluster: demo, service: web }, command: 'echo other' }",
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'child.yaml'),
      [
        'name: child',
        'parameters:',
        '  word: { type: string }',
        'steps:',
        '  - id: say',
        `    exec: { target: { cluster: demo, service: api }, command: 'echo "\${{ params.word }}"' }`,
      ].join('\n'),
    );
    const cap = captureIo({ cwd: dir });

    // Act
    const code = await main(
      [
        'run',
        'parent.yaml',
        '--local',
        '--fast',
        '--cluster-file',
        path.join(ROOT, 'runbooks/local/cluster.yaml'),
        '--output-dir',
        dir,
      ],
      cap.io,
    );

    // Assert
    expect(code).toBe(0);
    const err = cap.stderr();
    expect(err).toMatch(/^▶ both \(parallel\)$/m);
    expect(err).toMatch(/^ {2}▶ call \(runbook\)$/m);
    expect(err).toMatch(/^ {2}▶ other \(exec\)$/m);
    expect(err).toMatch(/^ {4}runbook child$/m);
    expect(err).toMatch(/^ {6}▶ say \(exec\)$/m);
    expect(err).toMatch(/^ {6}✓ say succeeded in \S+ \(exit 0\)$/m);
    expect(err).toMatch(/^ {8}│ hi$/m);
    expect(err).toMatch(/^ {4}runbook child succeeded in /m);
    expect(err).toMatch(/^ {2}✓ call succeeded in /m);
    expect(err).toMatch(/^✓ both succeeded in /m);
  });

  it.each([
    [
      ['--param', 'maxAgeDays=abc'],
      'parameter maxAgeDays: "abc" is not accepted; accepted: an integer from 0 to 30',
    ],
    [
      ['--param', 'maxAgeDays=31'],
      'parameter maxAgeDays: 31 is not accepted; accepted: an integer from 0 to 30',
    ],
    [
      ['--param', 'color=red'],
      'runbook nightly-maintenance has no parameter "color"; its parameters: cluster, service, maxAgeDays',
    ],
    [['--param', 'noequals'], 'a parameter is written NAME=VALUE; received "noequals"'],
    [['--param', 'service=a', '--param', 'service=b'], 'parameter service is given twice'],
  ])('exits 2 naming the parameter for %j', async (extra, message) => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['run', 'runbooks/nightly-maintenance.yaml', '--local', ...extra], cap.io);
    expect(code).toBe(2);
    expect(cap.stderr()).toContain(message);
    expect(cap.stderr()).toContain('Usage: runbook run FILE --local');
  });

  it('exits 2 when a required parameter is missing', async () => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(['run', 'runbooks/flush-cache.yaml', '--local', '--approve'], cap.io);
    expect(code).toBe(2);
    expect(cap.stderr()).toContain(
      'runbook flush-cache needs reason (a string of 3 to 200 characters); pass --param reason=…',
    );
  });

  it.each([
    [['run', 'runbooks/nightly-maintenance.yaml'], 'comes with `runbook deploy`'],
    [
      ['run', 'runbooks/nightly-maintenance.yaml', '--local', '--approve', '--reject'],
      '--approve and --reject contradict',
    ],
    [
      ['run', 'runbooks/nightly-maintenance.yaml', '--local', '--comment', 'x'],
      '--comment goes with --approve or --reject',
    ],
    [['run', '--local'], 'give exactly one runbook file; received none'],
    [['run', 'a.yaml', 'b.yaml', '--local'], 'give exactly one runbook file; received a.yaml b.yaml'],
  ])('exits 2 before running for %j', async (argv, message) => {
    const cap = captureIo({ cwd: ROOT });
    const code = await main(argv, cap.io);
    expect(code).toBe(2);
    expect(cap.stderr()).toContain(message);
  });

  it('exits 1 with the diagnostics when the runbook has errors', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'bad.yaml'), 'name: bad\nsteps: nope\n');
    const cap = captureIo({ cwd: dir });
    const code = await main(['run', 'bad.yaml', '--local'], cap.io);
    expect(code).toBe(1);
    expect(cap.stderr()).toMatch(/^bad\.yaml:2:\d+: error /m);
  });

  it('lists run, validate, compile and graph in the top-level help', async () => {
    const cap = captureIo({ cwd: ROOT });
    expect(await main(['--help'], cap.io)).toBe(0);
    for (const name of ['run', 'validate', 'compile', 'graph'])
      expect(cap.stdout()).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  });
});

describe('parseRunArgs', () => {
  it('collects repeated params and the decision', () => {
    expect(parseRunArgs(['f.yaml', '--local', '--param', 'a=1', '--param', 'b=x=y', '--reject'])).toEqual({
      file: 'f.yaml',
      params: ['a=1', 'b=x=y'],
      decision: 'reject',
      json: false,
      fast: false,
    });
  });

  it.each([
    [
      ['--alarm', 'api-5xx-high'],
      { type: 'alarm', alarm: { name: 'api-5xx-high', state: 'ALARM', reason: '' } },
    ],
    [
      ['--alarm', 'a', '--alarm-state', 'OK', '--alarm-reason', 'back to normal'],
      { type: 'alarm', alarm: { name: 'a', state: 'OK', reason: 'back to normal' } },
    ],
    [
      ['--schedule-time', '2026-11-23T03:00:00+01:00'],
      { type: 'schedule', schedule: { time: '2026-11-23T02:00:00.000Z' } },
    ],
    [['--caller', 'arn:aws:iam::1:user/ops'], { type: 'api', api: { caller: 'arn:aws:iam::1:user/ops' } }],
  ])('reads the trigger of %j', (options, trigger) => {
    expect(parseRunArgs(['f.yaml', '--local', ...options]).trigger).toEqual(trigger);
  });

  it.each([
    [['--alarm', 'a', '--caller', 'b'], 'one trigger'],
    [
      ['--alarm', 'a', '--alarm-state', 'FIRING'],
      '--alarm-state must be one of ALARM, OK, INSUFFICIENT_DATA',
    ],
    [['--alarm-reason', 'x'], 'go with --alarm NAME'],
    [['--schedule-time', 'tonight'], '--schedule-time must be an ISO 8601 time'],
  ])('reports a usage error for the trigger options %j', (options, message) => {
    expect(() => parseRunArgs(['f.yaml', '--local', ...options])).toThrow(message);
  });
});

describe('runbook run with a trigger', () => {
  it('passes an alarm given on the command line to trigger.* in the commands, as data', async () => {
    // Arrange
    const dir = await mkdtemp(path.join(os.tmpdir(), 'run-trigger-'));
    const file = path.join(dir, 'echo-trigger.yaml');
    await writeFile(
      file,
      [
        'name: echo-trigger',
        'steps:',
        '  - id: show',
        '    exec:',
        '      target: { cluster: demo, service: api }',
        '      command: printf "%s|%s|%s|%s" "${{ trigger.type }}" "${{ trigger.alarm.name }}" "${{ trigger.alarm.state }}" "${{ trigger.alarm.reason }}"',
        '',
      ].join('\n'),
    );
    const cap = captureIo({ cwd: ROOT });

    // Act
    const code = await main(
      [
        'run',
        file,
        '--local',
        '--fast',
        '--json',
        '--alarm',
        'api-5xx-high',
        '--alarm-reason',
        "it's $(touch pwned) `id`",
      ],
      cap.io,
    );
    await rm(dir, { recursive: true, force: true });

    // Assert
    expect(code).toBe(0);
    const result = JSON.parse(cap.stdout()) as LocalRunResult;
    const show = result.steps.show as StepValue & { result?: { output: { tail: string } } };
    expect(show.result?.output.tail).toBe("alarm|api-5xx-high|ALARM|it's $(touch pwned) `id`");
  });
});
