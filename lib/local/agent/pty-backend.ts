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
 * the PTY's slave side: the master then never sees the slave close before the backend says so.
 * Once the child is gone (polled), the backend writes a random end marker through its slave
 * handle; the terminal is a queue, so when the marker comes out of the master every byte the
 * child wrote before it has been read. Then the backend closes its handle, the master reaches
 * end-of-file and the session ends: tens of milliseconds after the exit instead of node-pty's
 * own 200 ms timer (which still bounds the wait: node-pty destroys the read side 200 ms after
 * the child is reaped).
 *
 * Known divergence: output that a background process still writes to the terminal more than
 * 200 ms after the command exits is dropped, and the session ends; the real agent keeps reading
 * until every holder of the terminal has closed it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
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
/** How often the backend looks whether the child is gone, to end the output early. */
const END_POLL_MS = 10;

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
      // Non-blocking: the end marker must never block the agent when the terminal's buffer is full.
      slaveFd = openSync(ptsName, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch {
      // The child may already be gone; then there is nothing left to protect.
    }
  }
  let exited = false;
  let paused = false;
  let exitPoll: NodeJS.Timeout | undefined;
  const exitWaiters: Array<() => void> = [];

  // The end marker: no newline, tab or lowercase letter (so ONLCR, XTABS and OLCUC leave it as it
  // is), random so no output spoofs it.
  const endMarker = Buffer.from(
    `\u0001RB-END-${randomBytes(12).toString('hex').toUpperCase()}\u0001`,
    'latin1',
  );
  let markerSent = false;
  let markerSeen = false;
  /** A suffix of the output so far that may be the start of the end marker, held back. */
  let held: Buffer | undefined;

  const closeSlave = (): void => {
    if (slaveFd === undefined) return;
    const fd = slaveFd;
    slaveFd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  };

  const sendMarker = (): void => {
    if (markerSent || slaveFd === undefined) return;
    try {
      writeSync(slaveFd, endMarker);
      markerSent = true;
    } catch {
      // EAGAIN (the terminal's buffer is full: the reader drains it, the poll tries again) or the
      // terminal is gone; the 200 ms bound of node-pty ends the output either way.
    }
  };

  const endPoll: NodeJS.Timeout | undefined =
    slaveFd === undefined
      ? undefined
      : setInterval(() => {
          if (!markerSent && childGone()) sendMarker();
          if (markerSent || slaveFd === undefined) clearInterval(endPoll);
        }, END_POLL_MS);

  pty.onData((data) => {
    let bytes = data as unknown as Buffer;
    // Only between sending the marker and reading it back is there anything to look for.
    if (!markerSent || markerSeen) {
      sink.data(bytes);
      return;
    }
    if (held) {
      bytes = Buffer.concat([held, bytes]);
      held = undefined;
    }
    const at = bytes.indexOf(endMarker);
    if (at >= 0) {
      markerSeen = true;
      // Bytes after the marker: a background process still writing; still output.
      const rest = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + endMarker.length)]);
      if (rest.length > 0) sink.data(rest);
      // Everything the child wrote has been read: let the master reach end-of-file.
      closeSlave();
      return;
    }
    const keep = partialMarkerSuffix(bytes, endMarker);
    if (keep > 0) {
      held = Buffer.from(bytes.subarray(bytes.length - keep));
      bytes = bytes.subarray(0, bytes.length - keep);
    }
    if (bytes.length > 0) sink.data(bytes);
  });
  pty.onExit(({ exitCode, signal }) => {
    exited = true;
    clearInterval(endPoll);
    closeSlave();
    // A held partial marker that never completed was the program's own output.
    if (held) sink.data(held);
    held = undefined;
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
      try {
        pty.resize(ptyDimension(cols), ptyDimension(rows));
      } catch {
        // The terminal closed between the command's end and node-pty's exit event (ENOTTY): a
        // Size message that arrives then has nothing left to resize, as with the real agent.
      }
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
      clearInterval(endPoll);
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

/** Length of the longest suffix of `bytes` that is a proper prefix of `marker`. */
function partialMarkerSuffix(bytes: Buffer, marker: Buffer): number {
  const first = marker[0] as number;
  for (let start = Math.max(0, bytes.length - marker.length + 1); start < bytes.length; start++) {
    if (bytes[start] !== first) continue;
    const length = bytes.length - start;
    if (bytes.subarray(start).equals(marker.subarray(0, length))) return length;
  }
  return 0;
}
