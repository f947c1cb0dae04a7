/**
 * Line buffering for live output: complete lines as text, a bounded buffer for the line still
 * being written.
 *
 * A line longer than `maxLineBytes` is handed on in pieces of at most that many bytes, each cut
 * on a UTF-8 character boundary and flagged as having no newline, so one endless line (a binary
 * dump, a progress bar that never prints `\n`) cannot grow the buffer. The cuts depend only on
 * the line's bytes, never on how the stream was chunked.
 */

const LF = 0x0a;

/** Receives one line: its text without the `\n`, and whether a `\n` ended it. */
export type LineListener = (line: string, newline: boolean) => void;

/** Splits a byte stream into lines for a {@link LineListener}. */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #listener: LineListener;
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #partial: Uint8Array = new Uint8Array(0);
  #partialLength = 0;

  constructor(maxLineBytes: number, listener: LineListener) {
    this.#maxLineBytes = maxLineBytes;
    this.#listener = listener;
  }

  /** Feeds output bytes; calls the listener for every line they complete. */
  push(bytes: Uint8Array): void {
    let from = 0;
    if (this.#partialLength > 0) {
      const lf = bytes.indexOf(LF);
      if (lf < 0) {
        this.#append(bytes, 0, bytes.length);
        return;
      }
      this.#append(bytes, 0, lf);
      this.#emitPartial(true);
      from = lf + 1;
    }
    const last = bytes.lastIndexOf(LF);
    if (last >= from) {
      if (last - from <= this.#maxLineBytes) {
        // Every line in the block is short: one decode for the lot, the hot path.
        const lines = this.#decoder.decode(bytes.subarray(from, last)).split('\n');
        for (const line of lines) this.#listener(line, true);
      } else {
        this.#pushLongBlock(bytes, from, last);
      }
      from = last + 1;
    }
    if (from < bytes.length) this.#append(bytes, from, bytes.length);
  }

  /** Ends the stream: the line still being written is handed on without a newline. */
  flush(): void {
    if (this.#partialLength > 0) this.#emitPartial(false);
  }

  /** Lines in `bytes[from..last]`, `last` being a LF, some of which may be too long. */
  #pushLongBlock(bytes: Uint8Array, from: number, last: number): void {
    let start = from;
    while (start <= last) {
      const lf = bytes.indexOf(LF, start);
      if (lf - start <= this.#maxLineBytes) {
        this.#listener(this.#decoder.decode(bytes.subarray(start, lf)), true);
      } else {
        this.#append(bytes, start, lf);
        this.#emitPartial(true);
      }
      start = lf + 1;
    }
  }

  #append(bytes: Uint8Array, from: number, to: number): void {
    const max = this.#maxLineBytes;
    let at = from;
    while (at < to) {
      if (this.#partialLength === max) this.#emitCut();
      const take = Math.min(to - at, max - this.#partialLength);
      if (this.#partial.length < this.#partialLength + take) this.#grow(this.#partialLength + take);
      this.#partial.set(bytes.subarray(at, at + take), this.#partialLength);
      this.#partialLength += take;
      at += take;
    }
  }

  /** Hands on a full buffer up to its last character boundary; keeps the cut character. */
  #emitCut(): void {
    const buffer = this.#partial;
    let cut = this.#partialLength;
    // Back off over continuation bytes to the lead byte of a character that may be incomplete.
    let back = 0;
    while (back < 3 && cut - back - 1 > 0 && ((buffer[cut - back - 1] as number) & 0xc0) === 0x80) back++;
    const lead = cut - back - 1;
    if (
      lead > 0 &&
      ((buffer[lead] as number) & 0xc0) === 0xc0 &&
      back + 1 < utf8Length(buffer[lead] as number)
    ) {
      cut = lead;
    }
    this.#listener(this.#decoder.decode(buffer.subarray(0, cut)), false);
    buffer.copyWithin(0, cut, this.#partialLength);
    this.#partialLength -= cut;
  }

  #emitPartial(newline: boolean): void {
    this.#listener(this.#decoder.decode(this.#partial.subarray(0, this.#partialLength)), newline);
    this.#partialLength = 0;
  }

  #grow(needed: number): void {
    let size = Math.max(this.#partial.length, 256);
    while (size < needed) size *= 2;
    const next = new Uint8Array(Math.min(size, this.#maxLineBytes));
    next.set(this.#partial.subarray(0, this.#partialLength));
    this.#partial = next;
  }
}

/** Bytes in the UTF-8 sequence a lead byte starts. */
function utf8Length(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return 2;
}
