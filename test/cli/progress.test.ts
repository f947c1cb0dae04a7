// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
/**
 * What `runbook run --local` prints as it goes (the progress tree on stderr), for the cases a
 * new user met: skipped onFailure steps, a cancelled run, a fan-out beside another branch, a
 * succeed message, a called runbook's outputs, a retried try's output, a failed fan-out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const CLUSTER_FILE = path.join(ROOT, 'runbooks/local/cluster.yaml');
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Writes the runbooks (file name → text) into a new directory and returns it. */
async function runbooks(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-progress-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

/** `runbook run FILE --local --fast` in `dir`; its exit code and the progress lines. */
async function run(dir: string, file: string, extra: string[] = []) {
  const cap = captureIo({ cwd: dir });
  const code = await main(
    ['run', file, '--local', '--fast', '--cluster-file', CLUSTER_FILE, '--output-dir', dir, ...extra],
    cap.io,
  );
  return { code, lines: cap.stderr().split('\n'), stderr: cap.stderr() };
}

/** The index of the first line matching `pattern`; fails the test when there is none. */
function lineIndex(lines: readonly string[], pattern: RegExp): number {
  const index = lines.findIndex((line) => pattern.test(line));
  expect(index, `no line matches ${pattern}:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
  return index;
}

/** The nearest line above `index` that is indented less than it: the line it sits under. */
function parentLine(lines: readonly string[], index: number): string {
  const indent = (line: string): number => line.length - line.trimStart().length;
  const own = indent(lines[index] as string);
  for (let i = index - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (line.trim() !== '' && indent(line) < own) return line;
  }
  return '';
}

const api = (command: string): string =>
  `exec: { target: { cluster: demo, service: api }, command: ${JSON.stringify(command)} }`;

describe('runbook run progress', () => {
  it('prints skipped onFailure steps under their step, right after it, before later steps', async () => {
    // Arrange
    const dir = await runbooks({
      'onfail.yaml': [
        'name: onfail',
        'steps:',
        '  - id: first',
        `    ${api('echo first')}`,
        '    onFailure:',
        '      - id: first_cleanup',
        `        ${api('echo cleanup')}`,
        '  - id: second',
        `    ${api('echo second')}`,
        '',
      ].join('\n'),
    });

    // Act
    const { code, lines } = await run(dir, 'onfail.yaml');

    // Assert
    expect(code).toBe(0);
    const first = lineIndex(lines, /^✓ first succeeded/);
    const skipped = lineIndex(lines, /^ {2}- first_cleanup skipped$/);
    const second = lineIndex(lines, /^▶ second \(exec\)$/);
    expect(first).toBeLessThan(skipped);
    expect(skipped).toBeLessThan(second);
    expect(parentLine(lines, skipped)).toMatch(/^✓ first succeeded/);
  });

  it('prints the skipped steps of a cancelled run in order, each under its own step', async () => {
    // Arrange: a slow first step with an onFailure list, then a step and a parallel step.
    const dir = await runbooks({
      'cancel.yaml': [
        'name: cancel',
        'steps:',
        '  - id: slow',
        `    ${api('sleep 30')}`,
        '    onFailure:',
        '      - id: slow_cleanup',
        `        ${api('echo cleanup')}`,
        '  - id: after',
        `    ${api('echo after')}`,
        '  - id: both',
        '    parallel:',
        '      branches:',
        '        - steps:',
        '            - id: b1',
        `              ${api('echo b1')}`,
        '',
      ].join('\n'),
    });
    // Ctrl-C once the slow step has started.
    const interrupt = new AbortController();
    const err: string[] = [];
    const cap = captureIo({ cwd: dir, signal: interrupt.signal });
    const io = {
      ...cap.io,
      stderr: new Writable({
        write(chunk, _encoding, callback) {
          err.push(String(chunk));
          if (String(chunk).startsWith('▶ slow')) setTimeout(() => interrupt.abort(), 200);
          callback();
        },
      }),
    };

    // Act
    await main(
      ['run', 'cancel.yaml', '--local', '--fast', '--cluster-file', CLUSTER_FILE, '--output-dir', dir],
      io,
    );

    // Assert
    const lines = err.join('').split('\n');
    const order = [
      lineIndex(lines, /^✗ slow failed/),
      lineIndex(lines, /^ {2}- slow_cleanup skipped$/),
      lineIndex(lines, /^- after skipped$/),
      lineIndex(lines, /^- both skipped$/),
      lineIndex(lines, /^ {2}- b1 skipped$/),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(parentLine(lines, order[1] as number)).toMatch(/^✗ slow failed/);
    expect(parentLine(lines, order[4] as number)).toBe('- both skipped');
  });

  it("prints a fan-out's targets in a parallel branch under that fan-out, not under the other branch", async () => {
    // Arrange: one branch captures, the other fans out; their lines interleave.
    const dir = await runbooks({
      'par.yaml': [
        'name: par',
        'steps:',
        '  - id: both',
        '    parallel:',
        '      branches:',
        '        - steps:',
        '            - id: one',
        `              ${api('echo v=7')}`,
        '              capture:',
        "                v: { regex: '^v=(\\d+)$', type: integer }",
        '        - steps:',
        '            - id: many',
        "              exec: { target: { cluster: demo, service: web, pick: all }, command: 'sleep 0.3; echo hi' }",
        '',
      ].join('\n'),
    });

    // Act
    const { code, lines } = await run(dir, 'par.yaml');

    // Assert: whatever the interleaving, each target sits under a line naming its step.
    expect(code).toBe(0);
    const targets = lines.flatMap((line, i) => (/^\s+✓ [0-9a-f]{32}\/app /.test(line) ? [i] : []));
    expect(targets).toHaveLength(2);
    for (const index of targets) expect(parentLine(lines, index)).toMatch(/^ {2}(▶|…) many\b/);
    expect(parentLine(lines, lineIndex(lines, /^ {4}v = 7$/))).toMatch(/^ {2}✓ one succeeded/);
  });

  it("shows a succeed step's message, a called runbook's outputs and the output of a failed try before its retry", async () => {
    // Arrange: the first try fails after printing, the second succeeds.
    const dir = await runbooks({
      'misc.yaml': [
        'name: misc',
        'steps:',
        '  - id: flaky',
        '    exec:',
        '      target: { cluster: demo, service: api }',
        '      command: |',
        '        f="${{ params.dir }}/count"; n=$(cat "$f" 2>/dev/null || echo 0); echo $((n+1)) > "$f"',
        '        echo "try $n says"; echo "why it failed"; test "$n" -ge 1',
        '    retry: { attempts: 2, interval: 1s }',
        '  - id: call',
        '    runbook: { name: kid }',
        '  - id: done',
        '    succeed: { message: "all good, kid said ${{ steps.call.outputs.said }}" }',
        'parameters:',
        '  dir: { type: string }',
        '',
      ].join('\n'),
      'kid.yaml': [
        'name: kid',
        'steps:',
        '  - id: say',
        `    ${api('echo said=hello')}`,
        '    capture:',
        "      said: { regex: '^said=(.*)$', type: string }",
        'outputs:',
        '  said: "${{ steps.say.outputs.said }}"',
        '',
      ].join('\n'),
    });

    // Act
    const { code, lines } = await run(dir, 'misc.yaml', ['--param', `dir=${dir}`]);

    // Assert
    expect(code).toBe(0);
    const retry = lineIndex(lines, /^ {2}↻ retry 1 after CommandFailed \(exit 1\): /);
    expect(lines.slice(retry + 1, retry + 3)).toEqual(['    │ try 0 says', '    │ why it failed']);
    const call = lineIndex(lines, /^✓ call succeeded/);
    expect(lines[call + 1]).toBe('  said = "hello"');
    const done = lineIndex(lines, /^✓ done succeeded/);
    expect(lines[done + 1]).toBe('  all good, kid said hello');
  });

  it('says once why a fan-out failed, and shows no outputs of a failed step', async () => {
    // Arrange
    const dir = await runbooks({
      'budget.yaml': [
        'name: budget',
        'steps:',
        '  - id: one',
        `    ${api('echo v=1; exit 3')}`,
        '    capture:',
        "      v: { regex: '^v=(\\d+)$', type: integer }",
        '    onFailure: continue',
        '  - id: all',
        "    exec: { target: { cluster: demo, service: api, pick: all }, command: 'echo bad; exit 1' }",
        '',
      ].join('\n'),
    });

    // Act
    const { code, lines, stderr } = await run(dir, 'budget.yaml');

    // Assert
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/v = null/);
    const all = lineIndex(lines, /^✗ all failed in \S+ \(0\/3 targets succeeded\)$/);
    expect(lines[all + 1]).toBe('  ErrorBudgetExceeded: 3 of 3 targets failed, more than the 0 tolerated');
    expect(stderr).not.toMatch(/\(failed\)/);
  });
});
