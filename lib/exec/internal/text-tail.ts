/**
 * The bounded, human-readable tail of a command's output: terminal escape sequences and carriage
 * returns removed as the bytes stream past, the last `capacityBytes` of what remains kept in a
 * ring.
 *
 * Stripping happens before the ring, so colour codes and window titles do not eat the tail's
 * budget. The parser follows ECMA-48's shapes (CSI, the OSC/DCS/SOS/PM/APC strings, two-byte
 * and intermediate ESC sequences), with one deliberate difference from a terminal: a newline ends
 * an unterminated string sequence, so one stray `ESC ]` in a log cannot swallow the rest of it.
 */

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const BACKSLASH = 0x5c;

const GROUND = 0;
const ESCAPE = 1;
const ESCAPE_INTERMEDIATE = 2;
const CSI = 3;
const STRING = 4;
const STRING_ESCAPE = 5;
type ParserState = 0 | 1 | 2 | 3 | 4 | 5;

/** Capacity of the first buffer; it doubles up to `capacityBytes`, so short outputs stay small. */
const INITIAL_BYTES = 4096;
/** Runs at least this long are copied with `set`, shorter ones byte by byte (measured). */
const LONG_RUN = 64;

/** Strips escapes and CRs from a byte stream and keeps the last bytes that remain. */
export class TextTail {
  readonly #capacity: number;
  #buffer: Uint8Array;
  /** Next write position; while the ring has not wrapped, also the length of the text. */
  #position = 0;
  #wrapped = false;
  /** Bytes kept after stripping, over the whole stream. */
  #keptBytes = 0;
  #state: ParserState = GROUND;

  constructor(capacityBytes: number) {
    this.#capacity = capacityBytes;
    this.#buffer = new Uint8Array(Math.min(capacityBytes, INITIAL_BYTES));
  }

  /** Whether some text fell out of the ring: the tail does not reach back to the output's start. */
  get truncated(): boolean {
    return this.#keptBytes > this.#capacity;
  }

  /** Feeds normalised output bytes. */
  push(bytes: Uint8Array): void {
    const end = bytes.length;
    let i = 0;
    while (i < end) {
      if (this.#state === GROUND) {
        i = this.#ground(bytes, i);
        continue;
      }
      if (this.#step(bytes[i] as number)) i++;
    }
  }

  /**
   * Keeps text bytes from `start` up to the next ESC; returns where the parser goes on.
   *
   * Short runs (a line between CRs) are copied byte by byte: a subarray and `set` per run would
   * cost more than the copy itself. Long runs go through `set`.
   */
  #ground(bytes: Uint8Array, start: number): number {
    const end = bytes.length;
    const esc = indexOrEnd(bytes, ESC, start);
    let i = start;
    // The next CR, searched for lazily and once per CR passed, so many CRs cost no rescans.
    let cr = -1;
    while (esc - i >= LONG_RUN) {
      if (cr < i) cr = indexOrEnd(bytes, CR, i);
      if (cr >= esc) break;
      this.#keep(bytes, i, cr);
      i = cr + 1;
    }
    if (esc - i >= LONG_RUN) this.#keep(bytes, i, esc);
    else this.#keepBytewise(bytes, i, esc);
    if (esc === end) return end;
    this.#state = ESCAPE;
    return esc + 1;
  }

  #keepBytewise(bytes: Uint8Array, from: number, to: number): void {
    if (this.#capacity === 0) {
      for (let i = from; i < to; i++) if (bytes[i] !== CR) this.#keptBytes++;
      return;
    }
    let buffer = this.#buffer;
    let position = this.#position;
    let kept = 0;
    for (let i = from; i < to; i++) {
      const byte = bytes[i] as number;
      if (byte === CR) continue;
      if (position === buffer.length) {
        this.#position = position;
        this.#makeRoom();
        buffer = this.#buffer;
        position = this.#position;
      }
      buffer[position++] = byte;
      kept++;
    }
    this.#position = position;
    this.#keptBytes += kept;
  }

  /** At the buffer's end: grow it while below capacity, else wrap the ring to its start. */
  #makeRoom(): void {
    if (!this.#wrapped && this.#buffer.length < this.#capacity) {
      this.#grow(this.#buffer.length + 1);
    } else {
      this.#wrapped = true;
      this.#position = 0;
    }
  }

  /** The tail as text; a character cut in half at the ring's start is dropped. */
  text(): string {
    let bytes: Uint8Array;
    if (!this.#wrapped) {
      bytes = this.#buffer.subarray(0, this.#position);
    } else {
      bytes = new Uint8Array(this.#capacity);
      bytes.set(this.#buffer.subarray(this.#position));
      bytes.set(this.#buffer.subarray(0, this.#position), this.#capacity - this.#position);
    }
    let start = 0;
    if (this.truncated) {
      // Skip UTF-8 continuation bytes left over from a character whose lead byte fell out.
      while (start < 3 && start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
    }
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(start));
  }

  /**
   * Advances the escape parser by one byte outside the ground state.
   *
   * Returns false when the byte ended a sequence without belonging to it and must be read
   * again in the ground state (a control character or newline inside a sequence, as terminals
   * execute those).
   */
  #step(byte: number): boolean {
    switch (this.#state) {
      case ESCAPE:
        if (byte === 0x5b) this.#state = CSI;
        else if (byte === 0x5d || byte === 0x50 || byte === 0x58 || byte === 0x5e || byte === 0x5f)
          this.#state = STRING;
        else if (byte >= 0x20 && byte <= 0x2f) this.#state = ESCAPE_INTERMEDIATE;
        else if (byte >= 0x30 && byte <= 0x7e) this.#state = GROUND;
        else if (byte === ESC) this.#state = ESCAPE;
        else if (byte === CAN || byte === SUB) this.#state = GROUND;
        else return this.#abort();
        return true;
      case ESCAPE_INTERMEDIATE:
        if (byte >= 0x20 && byte <= 0x2f) return true;
        if (byte >= 0x30 && byte <= 0x7e) {
          this.#state = GROUND;
          return true;
        }
        return this.#abortOrRestart(byte);
      case CSI:
        if (byte >= 0x20 && byte <= 0x3f) return true;
        if (byte >= 0x40 && byte <= 0x7e) {
          this.#state = GROUND;
          return true;
        }
        return this.#abortOrRestart(byte);
      case STRING:
        if (byte === BEL || byte === CAN || byte === SUB) this.#state = GROUND;
        else if (byte === ESC) this.#state = STRING_ESCAPE;
        else if (byte === LF) return this.#abort();
        return true;
      case STRING_ESCAPE:
        if (byte === BACKSLASH) {
          this.#state = GROUND;
          return true;
        }
        // An ESC inside a string ends it and starts the next sequence (as xterm does).
        this.#state = ESCAPE;
        return false;
      default:
        return this.#abort();
    }
  }

  #abortOrRestart(byte: number): boolean {
    if (byte === ESC) {
      this.#state = ESCAPE;
      return true;
    }
    if (byte === CAN || byte === SUB) {
      this.#state = GROUND;
      return true;
    }
    return this.#abort();
  }

  #abort(): false {
    this.#state = GROUND;
    return false;
  }

  #keep(bytes: Uint8Array, from: number, to: number): void {
    const length = to - from;
    this.#keptBytes += length;
    const capacity = this.#capacity;
    if (capacity === 0) return;
    if (!this.#wrapped && this.#position + length > this.#buffer.length && this.#buffer.length < capacity) {
      this.#grow(this.#position + length);
    }
    if (!this.#wrapped && this.#position + length <= this.#buffer.length) {
      this.#buffer.set(bytes.subarray(from, to), this.#position);
      this.#position += length;
      if (this.#position === capacity) {
        this.#wrapped = true;
        this.#position = 0;
      }
      return;
    }
    // Ring mode: the buffer has its full capacity from here on.
    if (length >= capacity) {
      this.#buffer.set(bytes.subarray(to - capacity, to), 0);
      this.#position = 0;
      this.#wrapped = true;
      return;
    }
    const first = Math.min(length, capacity - this.#position);
    this.#buffer.set(bytes.subarray(from, from + first), this.#position);
    this.#buffer.set(bytes.subarray(from + first, to), 0);
    this.#position = (this.#position + length) % capacity;
    this.#wrapped = true;
  }

  #grow(needed: number): void {
    let size = this.#buffer.length;
    while (size < needed && size < this.#capacity) size *= 2;
    const next = new Uint8Array(Math.min(size, this.#capacity));
    next.set(this.#buffer.subarray(0, this.#position));
    this.#buffer = next;
  }
}

function indexOrEnd(bytes: Uint8Array, value: number, from: number): number {
  const found = bytes.indexOf(value, from);
  return found < 0 ? bytes.length : found;
}
