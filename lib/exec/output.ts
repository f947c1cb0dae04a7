/**
 * The output collector: turns the raw PTY bytes of a command built by `buildCommand` into its
 * output and exit code, chunk by chunk, in memory bounded by the tail size.
 *
 * The pipeline, per chunk: CRLF→LF (the exact inverse of the PTY's ONLCR, see
 * `internal/crlf.ts`), then the search for the exit-code marker, then the output fans out to the
 * optional sink (raw bytes, escapes kept), the optional line listener (text, escapes kept) and the
 * text tail (escapes and CRs stripped).
 *
 * The command prints `<marker><status>\n` right after the script's last byte, with no newline of
 * its own before it (see `command.ts`), and the marker is searched for anywhere in the stream. So
 * the only bytes ever held back are a chunk's trailing suffix that is a proper prefix of the
 * marker (it starts with `_`), until the next chunk shows whether the marker follows; none of the
 * marker reaches the sink, the lines or the tail, whichever frames it straddles. A `\n` is never
 * held: a line reaches `onLine` in the call to {@link OutputCollector.push} that brings its `\n`,
 * which is what makes the live stream live (`echo started; sleep 20` shows `started` at once).
 * The CRLF stage may hold a chunk's final `\r` until the next byte, but that never delays a line:
 * the `\n` that completes a line is the byte that resolves the `\r` before it.
 *
 * @see docs/protocol.md §9
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
   * Called for every line of normalised output, escapes kept, for live streaming: a line comes in
   * the {@link OutputCollector.push} that brings its `\n`, not later; the last line comes at
   * {@link OutputCollector.end} with `newline: false` if the output did not end in `\n`.
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
  /** The command's exit status, `null` when the marker and its status line were not read whole. */
  readonly exitCode: number | null;
  /** Why `exitCode` is `null`; absent when it is a number. */
  readonly exitCodeReason?: string;
  /** The last `tailBytes` of the output as text, with escape sequences and CRs removed. */
  readonly tail: string;
  /** Bytes of normalised output (CRLF→LF, escapes kept), the marker and its status excluded. */
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
 * The exit code is the number after the first marker in the stream (`<marker><digits>\n`); the
 * marker may come anywhere, right after output that had no final newline too. The bytes before
 * it are the output, exactly as the program wrote them; the marker, the digits and their `\n` are
 * removed. Bytes after that `\n` (a background job still writing to the terminal) are still
 * output: they reach the sink, lines and tail, and the exit code stands; they join the output
 * right after the program's last byte, so they continue its last line when that had no newline.
 * Without a whole marker and status line the exit code is `null` with a reason, never a guess; a
 * marker whose status is not 1 to 3 digits and a newline gives `null` too, and the bytes after the
 * marker stay output.
 *
 * Lines are live: each reaches `onLine` as soon as its `\n` has been pushed, even when nothing
 * follows for a long time. Only a trailing `_…` that may begin the marker is held between chunks.
 *
 * Memory stays O(`tailBytes` + `maxLineBytes`) whatever the output's size; chunks are scanned
 * with native searches, the held suffix costs at most a marker's length of work per chunk, and
 * chunks are copied only where a CR has to go.
 *
 * @example
 * const { command, marker } = buildCommand({ script: 'make test' });
 * const collector = new OutputCollector({ marker, onLine: (line, nl) => print(line, nl) });
 * for await (const chunk of ptyBytes) collector.push(chunk); // as the frames arrive
 * const { exitCode, tail } = collector.end();
 */
export class OutputCollector {
  /** The marker's bytes. */
  readonly #pattern: Uint8Array;
  /** KMP's table: `#fallback[i]` is the longest proper prefix of the marker's first i + 1 bytes that also ends them. */
  readonly #fallback: Uint8Array;
  readonly #crlf = new CrlfNormalizer();
  readonly #tail: TextTail;
  readonly #lines: LineSplitter | undefined;
  readonly #sink: ((chunk: Uint8Array) => void) | undefined;
  #state: CollectorState = SCANNING;
  /**
   * How many bytes are held back: the output seen so far ends with `pattern[0..held)`, which may
   * be the start of the marker. The held bytes are a prefix of the pattern, so only their count
   * is kept. Always less than the pattern's length.
   */
  #held = 0;
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
    this.#pattern = new TextEncoder().encode(resolved.marker);
    this.#fallback = fallbackTable(this.#pattern);
    this.#tail = new TextTail(resolved.tailBytes);
    this.#lines = resolved.onLine ? new LineSplitter(resolved.maxLineBytes, resolved.onLine) : undefined;
    const sink = resolved.sink;
    this.#sink = sink === undefined ? undefined : typeof sink === 'function' ? sink : (c) => sink.write(c);
  }

  /** The exit code, as soon as the marker and its status line have been read; `null` before that. */
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
   * Bytes held back as a possible marker start (`_`, `__`, … `__RB_`) are output after all,
   * unless they already include part of the nonce: then they were the marker, cut off by the
   * session's end, and are dropped.
   */
  end(): CollectedOutput {
    if (this.#result) return this.#result;
    const last = this.#crlf.flush();
    if (last.length > 0) this.#route(last);
    if (this.#state === SCANNING) {
      const held = this.#held;
      this.#held = 0;
      if (held > MARKER_PREFIX.length) {
        this.#exitCodeReason = 'the output ended inside the exit-code marker: the session was cut';
      } else {
        if (held > 0) this.#emitHeld(held);
        this.#exitCodeReason =
          'the output ended without the exit-code marker: the session was cut, or the shell was ' +
          'killed, before the command finished';
      }
    } else if (this.#state === READING_STATUS) {
      this.#exitCodeReason = `the output ended inside the exit-code marker's status line (status so far: "${this.#status}")`;
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

  #scan(data: Uint8Array): void {
    const pattern = this.#pattern;
    if (this.#held > 0 && !this.#continueHeld(data)) return;
    const found = Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(pattern);
    if (found >= 0) {
      if (found > 0) this.#emit(data.subarray(0, found));
      this.#state = READING_STATUS;
      this.#readStatus(data.subarray(found + pattern.length));
      return;
    }
    // Only a suffix shorter than the marker can begin it, and it begins with the marker's first
    // byte: most chunks have none in their last bytes and are handed on whole.
    const window = Math.max(0, data.length - (pattern.length - 1));
    const first = data.indexOf(pattern[0] as number, window);
    const held = first < 0 ? 0 : this.#matchedAtEnd(data, first);
    if (held < data.length) this.#emit(held === 0 ? data : data.subarray(0, data.length - held));
    this.#held = held;
  }

  /**
   * Reads the start of `data` after held bytes, far enough to decide whether they begin the marker.
   *
   * Returns true when the held bytes turned out to be output (they were emitted, and `data` is to
   * be scanned from its start), false when `data` was used up: the marker was found, or `data`
   * only extended the held prefix. Reads at most the marker's length of `data`.
   */
  #continueHeld(data: Uint8Array): boolean {
    const pattern = this.#pattern;
    const held = this.#held;
    // `matched`: the longest suffix of (held bytes + data[0..read)) that is a prefix of the marker.
    let matched = held;
    let read = 0;
    while (read < data.length && matched > read) {
      matched = this.#advance(matched, data[read] as number);
      read++;
      if (matched === pattern.length) {
        // The marker ends at data[read - 1]; it began inside the held bytes or at data[0].
        this.#held = 0;
        const before = held + read - pattern.length;
        if (before > 0) this.#emitHeld(before);
        this.#state = READING_STATUS;
        this.#readStatus(data.subarray(read));
        return false;
      }
    }
    if (matched > read) {
      // All of `data` went into a longer prefix; the held bytes it no longer covers are output.
      const released = held + read - matched;
      if (released > 0) this.#emitHeld(released);
      this.#held = matched;
      return false;
    }
    // No marker can begin inside the held bytes any more: they are output.
    this.#held = 0;
    this.#emitHeld(held);
    return true;
  }

  /** The length of the longest suffix of `data[from..]` that is a proper prefix of the marker. */
  #matchedAtEnd(data: Uint8Array, from: number): number {
    let state = 0;
    for (let i = from; i < data.length; i++) state = this.#advance(state, data[i] as number);
    return state;
  }

  /** One step of the KMP automaton: the matched prefix length after `byte`. */
  #advance(matched: number, byte: number): number {
    const pattern = this.#pattern;
    let state = matched;
    while (state > 0 && pattern[state] !== byte) state = this.#fallback[state - 1] as number;
    return pattern[state] === byte ? state + 1 : 0;
  }

  /** Emits the first `length` held bytes, which are the marker's first bytes. */
  #emitHeld(length: number): void {
    // A copy: a sink may keep or change the chunks it gets, and the pattern must stay intact.
    this.#emit(this.#pattern.slice(0, length));
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

/** The KMP fallback table of `pattern`: for each end, the longest proper prefix that is also a suffix. */
function fallbackTable(pattern: Uint8Array): Uint8Array {
  const table = new Uint8Array(pattern.length);
  let length = 0;
  for (let i = 1; i < pattern.length; i++) {
    while (length > 0 && pattern[i] !== pattern[length]) length = table[length - 1] as number;
    if (pattern[i] === pattern[length]) length++;
    table[i] = length;
  }
  return table;
}

function decodeSome(bytes: Uint8Array, from: number): string {
  return new TextDecoder().decode(bytes.subarray(from, from + 16));
}
