/**
 * The output collector: turns the raw PTY bytes of a command built by `buildCommand` into its
 * output and exit code, chunk by chunk, in memory bounded by the tail size.
 *
 * The pipeline, per chunk: CRLF→LF (the exact inverse of the PTY's ONLCR, see
 * `internal/crlf.ts`), then the search for the exit-code marker line, then the output fans out to
 * the optional sink (raw bytes, escapes kept), the optional line listener (text, escapes kept)
 * and the text tail (escapes and CRs stripped). The marker, the `\n` its `printf` puts before it
 * and any prefix of it are held back until they are known to be the marker, so none of it ever
 * reaches the sink, the lines or the tail, whichever frames it straddles.
 *
 * @see ../../../shared/docs/design.md §4
 */

import { ExecUsageError } from './errors.ts';
import { CrlfNormalizer } from './internal/crlf.ts';
import { type LineListener, LineSplitter } from './internal/line-splitter.ts';
import { MARKER_FORMAT, MARKER_PREFIX } from './internal/marker.ts';
import { TextTail } from './internal/text-tail.ts';

export type { LineListener } from './internal/line-splitter.ts';

/**
 * Where the whole normalised output goes, in order: a function or anything with `write`, such as
 * a Node `Writable`.
 *
 * Chunks are handed on without a copy where no byte changed, so they may be views of the chunks
 * given to {@link OutputCollector.push}; the collector never writes to them afterwards. The
 * collector ignores `write`'s return value: backpressure is the caller's to apply.
 */
export type OutputSink = ((chunk: Uint8Array) => void) | { write(chunk: Uint8Array): unknown };

/** Options of {@link OutputCollector}. */
export interface OutputCollectorOptions {
  /** The marker `buildCommand` returned for this run. */
  readonly marker: string;
  /**
   * Bytes of text kept for {@link CollectedOutput.tail}, counted after escapes and CRs are
   * stripped.
   * @default 32768
   */
  readonly tailBytes?: number;
  /** @default - no sink: only the tail is kept */
  readonly sink?: OutputSink;
  /**
   * Called for every line of normalised output, escapes kept, for live streaming; the last line
   * comes at {@link OutputCollector.end} with `newline: false` if the output did not end in `\n`.
   * @default - no line splitting
   */
  readonly onLine?: LineListener;
  /**
   * The longest line `onLine` receives whole; a longer one arrives in pieces of at most this many
   * bytes (cut on character boundaries), each but the last with `newline: false`.
   * @default 65536
   */
  readonly maxLineBytes?: number;
}

/** What a command produced, once its output ended. */
export interface CollectedOutput {
  /** The command's exit status, `null` when the marker line was not read whole. */
  readonly exitCode: number | null;
  /** Why `exitCode` is `null`; absent when it is a number. */
  readonly exitCodeReason?: string;
  /** The last `tailBytes` of the output as text, with escape sequences and CRs removed. */
  readonly tail: string;
  /** Bytes of normalised output (CRLF→LF, escapes kept), the marker line excluded. */
  readonly totalBytes: number;
  /** The tail does not reach back to the output's first byte. */
  readonly truncated: boolean;
}

const DEFAULTS = {
  tailBytes: 32 * 1024,
  maxLineBytes: 64 * 1024,
} as const satisfies Partial<OutputCollectorOptions>;

const OPTION_KEYS: ReadonlySet<string> = new Set(['marker', 'tailBytes', 'sink', 'onLine', 'maxLineBytes']);

/** `$?` is 0–255 in POSIX shells; ksh93 reports 256+n for a signal, hence three digits. */
const MAX_STATUS_DIGITS = 3;

const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const SCANNING = 0;
const READING_STATUS = 1;
const AFTER_MARKER = 2;
type CollectorState = 0 | 1 | 2;

/**
 * Collects the output of one run: feed it every chunk of PTY bytes with {@link push}, then call
 * {@link end} when the session ends.
 *
 * The exit code is the number on the first marker line read whole (`\n<marker><digits>\n`).
 * Bytes after that line (a background job still writing to the terminal) are still output: they
 * reach the sink, lines and tail, and the exit code stands; as the marker line's leading `\n` is
 * removed, they continue the command's last line when that had no newline. Without a whole marker
 * line the exit code is `null` with a reason, never a guess; a marker line whose status is not 1
 * to 3 digits gives `null` too, and its bytes stay output.
 *
 * Memory stays O(`tailBytes` + `maxLineBytes`) whatever the output's size; chunks are scanned
 * with native searches and copied only where a CR has to go.
 *
 * @example
 * const { command, marker } = buildCommand({ script: 'make test' });
 * const collector = new OutputCollector({ marker, onLine: (line, nl) => print(line, nl) });
 * for await (const chunk of ptyBytes) collector.push(chunk); // as the frames arrive
 * const { exitCode, tail } = collector.end();
 */
export class OutputCollector {
  readonly #pattern: Uint8Array;
  /** Held bytes longer than this include part of the nonce: they are the marker, not output. */
  readonly #fixedLength = 1 + MARKER_PREFIX.length;
  readonly #crlf = new CrlfNormalizer();
  readonly #tail: TextTail;
  readonly #lines: LineSplitter | undefined;
  readonly #sink: ((chunk: Uint8Array) => void) | undefined;
  #state: CollectorState = SCANNING;
  /** A proper prefix of the pattern that ended the bytes seen so far. */
  #held: Uint8Array | undefined;
  #status = '';
  #exitCode: number | null = null;
  #exitCodeReason: string | undefined;
  #totalBytes = 0;
  #result: CollectedOutput | undefined;

  constructor(options: OutputCollectorOptions) {
    // `?? ` rather than spread: an option given as `undefined` takes its default too.
    const resolved: ResolvedOptions = {
      ...options,
      tailBytes: options.tailBytes ?? DEFAULTS.tailBytes,
      maxLineBytes: options.maxLineBytes ?? DEFAULTS.maxLineBytes,
    };
    validate(options, resolved);
    // The pattern's only LF is its first byte (the marker is hex and underscores): the scan relies on it.
    this.#pattern = new TextEncoder().encode(`\n${resolved.marker}`);
    this.#tail = new TextTail(resolved.tailBytes);
    this.#lines = resolved.onLine ? new LineSplitter(resolved.maxLineBytes, resolved.onLine) : undefined;
    const sink = resolved.sink;
    this.#sink = sink === undefined ? undefined : typeof sink === 'function' ? sink : (c) => sink.write(c);
  }

  /** The exit code, as soon as the marker line has been read; `null` before that. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Bytes of output so far (normalised, marker excluded). */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Feeds the next chunk of raw PTY bytes; throws once {@link end} was called. */
  push(chunk: Uint8Array): void {
    if (this.#result) throw new Error('OutputCollector.push was called after end(): the output had ended');
    const normalised = this.#crlf.push(chunk);
    if (normalised.length > 0) this.#route(normalised);
  }

  /**
   * Ends the output and returns the result; calling it again returns the same result.
   *
   * Bytes held back as a possible marker start are output after all, unless they already
   * include part of the nonce: then they were the marker, cut off by the session's end.
   */
  end(): CollectedOutput {
    if (this.#result) return this.#result;
    const last = this.#crlf.flush();
    if (last.length > 0) this.#route(last);
    if (this.#state === SCANNING) {
      const held = this.#held;
      this.#held = undefined;
      if (held && held.length > this.#fixedLength) {
        this.#exitCodeReason = 'the output ended inside the exit-code marker line: the session was cut';
      } else {
        if (held) this.#emit(held);
        this.#exitCodeReason =
          'the output ended without the exit-code marker line: the session was cut, or the shell was ' +
          'killed, before the command finished';
      }
    } else if (this.#state === READING_STATUS) {
      this.#exitCodeReason = `the output ended inside the exit-code marker line (status so far: "${this.#status}")`;
    }
    this.#lines?.flush();
    this.#result = {
      exitCode: this.#exitCode,
      ...(this.#exitCode === null ? { exitCodeReason: this.#exitCodeReason } : {}),
      tail: this.#tail.text(),
      totalBytes: this.#totalBytes,
      truncated: this.#tail.truncated,
    };
    return this.#result;
  }

  #route(bytes: Uint8Array): void {
    if (this.#state === AFTER_MARKER) this.#emit(bytes);
    else if (this.#state === READING_STATUS) this.#readStatus(bytes);
    else this.#scan(bytes);
  }

  #scan(input: Uint8Array): void {
    const pattern = this.#pattern;
    let data = input;
    const held = this.#held;
    if (held) {
      const needed = pattern.length - held.length;
      const compared = Math.min(needed, data.length);
      if (matchesAt(data, 0, pattern, held.length, compared)) {
        if (compared < needed) {
          this.#held = concat(held, data);
          return;
        }
        this.#held = undefined;
        this.#state = READING_STATUS;
        this.#readStatus(data.subarray(needed));
        return;
      }
      // The held bytes hold the pattern's only LF at their start, so no match begins inside them.
      this.#held = undefined;
      data = concat(held, data);
    }
    const found = Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(pattern);
    if (found >= 0) {
      if (found > 0) this.#emit(data.subarray(0, found));
      this.#state = READING_STATUS;
      this.#readStatus(data.subarray(found + pattern.length));
      return;
    }
    // Only a suffix starting at the last LF can be the start of the pattern: it has one LF, first.
    const lf = data.lastIndexOf(LF);
    const suffix = data.length - lf;
    if (lf >= 0 && suffix < pattern.length && matchesAt(data, lf, pattern, 0, suffix)) {
      if (lf > 0) this.#emit(data.subarray(0, lf));
      this.#held = data.slice(lf);
      return;
    }
    this.#emit(data);
  }

  #readStatus(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (byte >= DIGIT_0 && byte <= DIGIT_9 && this.#status.length < MAX_STATUS_DIGITS) {
        this.#status += String.fromCharCode(byte);
        continue;
      }
      this.#state = AFTER_MARKER;
      if (byte === LF && this.#status.length > 0) {
        this.#exitCode = Number(this.#status);
        if (i + 1 < bytes.length) this.#emit(bytes.subarray(i + 1));
      } else {
        // Not a status: report it, and keep the bytes, which are someone's output.
        this.#exitCodeReason =
          `the exit-code marker was followed by ${JSON.stringify(this.#status + decodeSome(bytes, i))} ` +
          'instead of a status of 1 to 3 digits and a newline';
        if (this.#status.length > 0) this.#emit(new TextEncoder().encode(this.#status));
        this.#emit(bytes.subarray(i));
      }
      return;
    }
  }

  #emit(bytes: Uint8Array): void {
    this.#totalBytes += bytes.length;
    this.#sink?.(bytes);
    this.#lines?.push(bytes);
    this.#tail.push(bytes);
  }
}

type ResolvedOptions = OutputCollectorOptions & { readonly tailBytes: number; readonly maxLineBytes: number };

function validate(options: OutputCollectorOptions, resolved: ResolvedOptions): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new ExecUsageError(
        `OutputCollector: unknown option "${key}"; accepted: ${[...OPTION_KEYS].join(', ')}`,
      );
    }
  }
  if (typeof resolved.marker !== 'string' || !MARKER_FORMAT.test(resolved.marker)) {
    throw new ExecUsageError(
      `OutputCollector: marker ${JSON.stringify(resolved.marker)} is not one buildCommand makes; ` +
        'expected __RB_ + 32 lowercase hex digits + __:',
    );
  }
  if (!Number.isSafeInteger(resolved.tailBytes) || resolved.tailBytes < 0) {
    throw new ExecUsageError(
      `OutputCollector: tailBytes ${String(resolved.tailBytes)} is not a byte count; expected an integer >= 0`,
    );
  }
  if (!Number.isSafeInteger(resolved.maxLineBytes) || resolved.maxLineBytes < 4) {
    throw new ExecUsageError(
      `OutputCollector: maxLineBytes ${String(resolved.maxLineBytes)} is not accepted; expected an integer >= 4 ` +
        '(a line piece must hold one UTF-8 character)',
    );
  }
  const sink = resolved.sink;
  if (sink !== undefined && typeof sink !== 'function' && typeof sink?.write !== 'function') {
    throw new ExecUsageError('OutputCollector: sink must be a function or have a write(chunk) method');
  }
  if (resolved.onLine !== undefined && typeof resolved.onLine !== 'function') {
    throw new ExecUsageError('OutputCollector: onLine must be a function (line, newline) => void');
  }
}

function matchesAt(data: Uint8Array, at: number, pattern: Uint8Array, from: number, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (data[at + i] !== pattern[from + i]) return false;
  }
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function decodeSome(bytes: Uint8Array, from: number): string {
  return new TextDecoder().decode(bytes.subarray(from, from + 16));
}
