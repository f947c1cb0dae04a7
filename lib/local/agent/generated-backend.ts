/**
 * A backend without a process: deterministic output of an exact size, for benchmarks and for
 * tests that check byte counts. Output is produced on demand, so gigabytes cost no memory.
 *
 * The text is 80-byte lines shaped like PTY output (`CRLF` endings): an 8-digit line number, a
 * space, 69 letters and digits that shift with the line number, then `\r\n`. The last line is
 * cut to make the total exact. Input is accepted and ignored.
 */
import type { BackendSink, CommandBackend } from './backend.ts';

/** Length of one generated line, CRLF included. */
export const GENERATED_LINE_BYTES = 80;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PRODUCE_BYTES = 64 * 1024;

// One period of the letter part: the letters of line n start at ALPHABET[n % 62].
const LETTERS = Buffer.from(ALPHABET.repeat(3), 'latin1');
const LETTER_COUNT = GENERATED_LINE_BYTES - 11;

/**
 * The generated output bytes `[offset, offset + length)`; the same bytes a `generate` session
 * sends, so tests can compare content as well as size.
 */
export function generatedBytes(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  const scratch = Buffer.allocUnsafe(GENERATED_LINE_BYTES);
  let at = 0;
  let position = offset;
  while (at < length) {
    const line = Math.floor(position / GENERATED_LINE_BYTES);
    const column = position % GENERATED_LINE_BYTES;
    const n = Math.min(GENERATED_LINE_BYTES - column, length - at);
    if (n === GENERATED_LINE_BYTES) {
      writeLine(out, at, line);
    } else {
      writeLine(scratch, 0, line);
      scratch.copy(out, at, column, column + n);
    }
    at += n;
    position += n;
  }
  return out;
}

/** Writes generated line number `line` into `target` at `at` (80 bytes, no allocation). */
function writeLine(target: Buffer, at: number, line: number): void {
  let number = line % 100_000_000;
  for (let digit = 7; digit >= 0; digit--) {
    target[at + digit] = 0x30 + (number % 10);
    number = Math.floor(number / 10);
  }
  target[at + 8] = 0x20;
  const start = line % ALPHABET.length;
  LETTERS.copy(target, at + 9, start, start + LETTER_COUNT);
  target[at + GENERATED_LINE_BYTES - 2] = 0x0d;
  target[at + GENERATED_LINE_BYTES - 1] = 0x0a;
}

/** Starts a generator of `totalBytes` bytes; it produces only when the session asks. */
export function startGeneratedBackend(totalBytes: number, sink: BackendSink): CommandBackend {
  let produced = 0;
  let ended = false;
  function finish(): void {
    if (ended) return;
    ended = true;
    sink.end({ exitCode: undefined, signal: undefined });
  }
  return {
    write() {},
    resize() {},
    demand() {
      if (ended) return;
      const n = Math.min(PRODUCE_BYTES, totalBytes - produced);
      if (n > 0) {
        sink.data(generatedBytes(produced, n));
        produced += n;
      }
      if (produced >= totalBytes) finish();
    },
    pause() {},
    resume() {},
    async kill() {
      ended = true;
    },
  };
}
