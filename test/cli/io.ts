import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../lib/cli/io.ts';

/** A `CliIo` whose stdout and stderr are captured as text. */
export function captureIo(options: { cwd?: string; signal?: AbortSignal } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        into.push(String(chunk));
        callback();
      },
    });
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout: sink(out),
    stderr: sink(err),
    env: {},
    cwd: options.cwd ?? process.cwd(),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
