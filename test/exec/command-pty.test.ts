import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IPty, spawn } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCommand } from '../../lib/exec/command.ts';
import { type CollectedOutput, OutputCollector } from '../../lib/exec/output.ts';
import { agentArgv } from './command-run.ts';

interface PtyRun extends CollectedOutput {
  readonly output: string;
  readonly raw: Buffer;
  readonly lines: ReadonlyArray<readonly [string, boolean]>;
}

const live = new Set<IPty>();

interface PtyOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Also called for each line, as it arrives. */
  readonly onLine?: (line: string, newline: boolean) => void;
}

/** Runs a script as the SSM agent does: shlex-split, argv[0] exec'd under a PTY with TERM=xterm-256color. */
function runInPty(script: string, options: PtyOptions = {}): Promise<PtyRun> {
  const built = buildCommand({ script, ...(options.env ? { env: options.env } : {}) });
  const [file, ...args] = agentArgv(built.command);
  const sink: Buffer[] = [];
  const raw: Buffer[] = [];
  const lines: Array<[string, boolean]> = [];
  const collector = new OutputCollector({
    marker: built.marker,
    sink: (chunk) => sink.push(Buffer.from(chunk)),
    onLine: (line, newline) => {
      lines.push([line, newline]);
      options.onLine?.(line, newline);
    },
  });
  const term = spawn(file as string, args, {
    cols: 80,
    rows: 24,
    env: { ...process.env, TERM: 'xterm-256color' },
    encoding: null,
  } as Parameters<typeof spawn>[2]);
  live.add(term);
  return new Promise<PtyRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`the PTY run did not end within 10 s: ${script}`));
    }, 10_000);
    term.onData((data) => {
      const chunk = data as unknown as Buffer;
      raw.push(chunk);
      collector.push(chunk);
    });
    // node-pty reports the exit only after the PTY's last byte was read.
    term.onExit(() => {
      clearTimeout(timer);
      live.delete(term);
      const result = collector.end();
      resolve({ ...result, output: Buffer.concat(sink).toString('utf8'), raw: Buffer.concat(raw), lines });
    });
  });
}

describe('buildCommand under a PTY', () => {
  let dir: string | undefined;
  afterEach(() => {
    for (const term of live) term.kill();
    live.clear();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.each([
    ['output with no final newline', "printf 'no newline'", 'no newline', 0],
    ['empty output', 'true', '', 0],
    ['output ending in a newline and an exit code', 'echo hi; exit 7', 'hi\n', 7],
    ['multi-byte characters', "printf 'é😀\\n'; printf '日本'", 'é😀\n日本', 0],
    ["the program's own CRLF and a lone CR", "printf 'a\\r\\nb\\rc\\n'", 'a\r\nb\rc\n', 0],
    ['a command sh cannot find', 'rb_no_such_command_here 2>/dev/null', '', 127],
  ])('returns the exact text and exit code for %s', async (_name, script, output, exitCode) => {
    const run = await runInPty(script);

    expect(run.output).toBe(output);
    expect(run.exitCode).toBe(exitCode);
    expect(run.raw.includes('\r\n')).toBe(true);
  });

  it('sets TERM to dumb, strips colour from the tail and keeps it in the output', async () => {
    const run = await runInPty('printf \'%s \\033[31mred\\033[0m\\n\' "$TERM"');

    expect(run.tail).toBe('dumb red\n');
    expect(run.output).toBe('dumb \x1b[31mred\x1b[0m\n');
  });

  // Kept under one 4095-byte PTY read: past that, node-pty on Node 20 loses the last reads when
  // the child exits (libuv takes POLLHUP after a short read for EOF while the kernel still holds
  // data; `seq 1 2000` lost its end in 13 of 150 runs). Chunking is the property tests' job.
  it('collects lines of a longer output', async () => {
    const expected = Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join('');

    const run = await runInPty('seq 1 500');

    expect(run.output).toBe(expected);
    expect(run.totalBytes).toBe(expected.length);
    expect(run.lines).toHaveLength(500);
    expect(run.lines.at(-1)).toEqual(['500', true]);
    expect(run.exitCode).toBe(0);
  });

  it('streams a line while the command is still running, before its marker', async () => {
    // Arrange: the script prints a line, then waits until the test has seen that line live.
    dir = mkdtempSync(join(tmpdir(), 'rb-command-pty-'));
    const go = join(dir, 'go');
    const script =
      'echo started; i=0; while [ ! -e "$RB_P_go" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i+1)); done; echo "waited $i"';
    const seenLive: string[] = [];
    const onLine = (line: string) => {
      seenLive.push(line);
      if (line === 'started') writeFileSync(go, '');
    };

    // Act
    const run = await runInPty(script, { env: { RB_P_go: go }, onLine });

    // Assert: the go file was written while the loop ran, so `started` came before the loop's end.
    expect(existsSync(go)).toBe(true);
    expect(run.lines[0]).toEqual(['started', true]);
    expect(run.lines[1]?.[0]).toMatch(/^waited \d+$/);
    expect(run.lines[1]?.[0]).not.toBe('waited 60');
    expect(seenLive).toEqual(['started', run.lines[1]?.[0]]);
    expect(run.exitCode).toBe(0);
  });
});
