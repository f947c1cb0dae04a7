/**
 * Runs a command under a real pseudo-terminal with node-pty.
 *
 * Why a real PTY and node-pty: the agent starts the command with creack/pty, and clients must
 * cope with exactly what that gives — CRLF line endings (ONLCR), echo of typed input, stdout and
 * stderr merged into one stream, `isatty()` true (colours, pagers), a new session with a
 * controlling terminal (job control), and the line discipline turning a typed Ctrl-C into
 * SIGINT for the foreground process group. Pipes would fake none of that. node-pty 1.1.0 builds
 * on Linux, execs argv directly (no shell: `execvp(argv[0], argv)` with the given environment),
 * and hands out raw bytes (`encoding: null`).
 *
 * Initial size: the agent starts the PTY without a size, so the kernel default 0 × 0 applies
 * until a Size message arrives. node-pty replaces 0 by 80 × 24 and its `resize` refuses 0, but
 * its native layer truncates the numbers to integers, so 0.5 reaches the kernel as 0. That is
 * what {@link ptyDimension} passes for 0; a test pins the result (`stty size` prints `0 0`).
 *
 * Losing no output: node-pty (through libuv) can report end-of-file on the master while
 * output the child wrote just before exiting is still unread (seen on Linux 6.x: 4095 of 6690
 * bytes arrived, while a plain read loop gets them all). So the backend keeps its own handle on
 * the PTY's slave side: the master then never sees the slave close, node-pty ends the read
 * side 200 ms after the child is reaped (its own timer), and everything written before that
 * is read. The price is that 200 ms between the child's exit and the end of output.
 *
 * Known divergence: for the same reason, output that a background process still writes to the
 * terminal more than 200 ms after the command exits is dropped, and the session ends; the real
 * agent keeps reading until every holder of the terminal has closed it.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { type IPty, spawn } from 'node-pty';
import type { BackendSink, CommandBackend } from './backend.ts';

export interface PtyBackendOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Time between SIGHUP and SIGKILL when the session ends while the command runs. */
  readonly killGraceMs: number;
}

/** The terminal name the agent always sets. */
export const AGENT_TERM = 'xterm-256color';

const EXIT_POLL_MS = 50;

/** A dimension for node-pty that keeps 0 as 0 (see the module comment). */
export function ptyDimension(value: number): number {
  return value === 0 ? 0.5 : value;
}

/** Spawns the command; throws when node-pty cannot fork. */
export function spawnPtyBackend(options: PtyBackendOptions, sink: BackendSink): CommandBackend {
  const pty: IPty = spawn(options.file, [...options.args], {
    name: AGENT_TERM,
    cols: ptyDimension(0),
    rows: ptyDimension(0),
    cwd: options.cwd,
    env: { ...options.env },
    encoding: null,
  });
  let slaveFd: number | undefined;
  const ptsName = (pty as IPty & { readonly ptsName?: string }).ptsName;
  if (ptsName) {
    try {
      slaveFd = openSync(ptsName, constants.O_RDWR | constants.O_NOCTTY);
    } catch {
      // The child may already be gone; then there is nothing left to protect.
    }
  }
  let exited = false;
  let paused = false;
  let exitPoll: NodeJS.Timeout | undefined;
  const exitWaiters: Array<() => void> = [];

  pty.onData((data) => {
    sink.data(data as unknown as Buffer);
  });
  pty.onExit(({ exitCode, signal }) => {
    exited = true;
    if (slaveFd !== undefined) closeSync(slaveFd);
    slaveFd = undefined;
    if (exitPoll) clearInterval(exitPoll);
    exitPoll = undefined;
    sink.end({ exitCode, signal: signal === 0 ? undefined : signal });
    for (const wake of exitWaiters.splice(0)) wake();
  });

  function childGone(): boolean {
    try {
      process.kill(pty.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  function signalGroup(signal: NodeJS.Signals): void {
    // The child leads its own session and process group: signal the whole group, so its
    // children go too, like the agent's cancel does. The child itself is signalled as well,
    // for the moment after fork when it has not yet called setsid().
    for (const target of [pty.pid, -pty.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
    }
  }

  return {
    write(bytes) {
      if (exited) return;
      pty.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    resize(cols, rows) {
      if (exited) return;
      pty.resize(ptyDimension(cols), ptyDimension(rows));
    },
    demand() {},
    pause() {
      if (paused || exited) return;
      paused = true;
      pty.pause();
      // node-pty destroys the read side 200 ms after the child exits; resume before that, so
      // what the kernel still buffers is read, not lost.
      exitPoll = setInterval(() => {
        if (childGone()) {
          clearInterval(exitPoll);
          exitPoll = undefined;
          paused = false;
          pty.resume();
        }
      }, EXIT_POLL_MS);
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (exitPoll) clearInterval(exitPoll);
      exitPoll = undefined;
      pty.resume();
    },
    async kill() {
      if (exitPoll) clearInterval(exitPoll);
      exitPoll = undefined;
      if (paused) {
        paused = false;
        pty.resume();
      }
      if (exited) return;
      const gone = new Promise<void>((resolve) => exitWaiters.push(resolve));
      signalGroup('SIGHUP');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.killGraceMs);
      });
      const first = await Promise.race([gone, graceOver]);
      clearTimeout(timer);
      if (first !== 'timeout') return;
      signalGroup('SIGKILL');
      let hardTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        gone,
        new Promise<void>((resolve) => {
          // SIGKILL cannot be ignored; the bound only covers node-pty's own exit bookkeeping.
          hardTimer = setTimeout(resolve, 1000);
        }),
      ]);
      clearTimeout(hardTimer);
    },
  };
}
