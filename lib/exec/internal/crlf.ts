/**
 * Streaming CRLF→LF: the exact inverse of a terminal's ONLCR output translation.
 *
 * Under ONLCR the terminal writes every `\n` a program prints as `\r\n` and leaves every other
 * byte alone, so turning each `\r\n` back into `\n` restores the program's bytes exactly: a lone
 * `\r` (a progress bar's) is the program's own and stays, and a program's own `\r\n` arrives as
 * `\r\r\n` and comes back as `\r\n`. A `\r` at the end of a chunk is held until the next byte
 * shows whether it starts a pair.
 *
 * That hold never delays a line of live output: a line is complete only at its `\n`, and the
 * `\n` is the very byte that resolves a held `\r` before it, so the line goes on in the same
 * push. A `\r` not followed by `\n` (a progress bar's, at a chunk's end before a silence) waits
 * for the next byte or the end of the stream; it cannot be let through sooner, because no byte
 * can be taken back once handed on and the next byte may be ONLCR's `\n`, which the PTY writes
 * right behind its `\r`. Only that one byte waits, and it completes no line.
 */

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);

/** Undoes ONLCR chunk by chunk; holds at most one byte between chunks. */
export class CrlfNormalizer {
  #pendingCr = false;

  /**
   * Normalises the next chunk.
   *
   * Returns `chunk` itself when it needs no change (no copy on the common path), otherwise a new
   * array; never mutates `chunk`.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return EMPTY;
    // A held CR followed by LF was ONLCR's: drop it. Followed by anything else it was the program's.
    const loneCrFirst = this.#pendingCr && chunk[0] !== LF;
    this.#pendingCr = false;
    let cr = chunk.indexOf(CR);
    if (cr < 0 && !loneCrFirst) return chunk;
    // Copy once, then close the gaps in place: cheaper than a subarray per line or a byte loop.
    const out = new Uint8Array(chunk.length + 1);
    const offset = loneCrFirst ? 1 : 0;
    if (loneCrFirst) out[0] = CR;
    out.set(chunk, offset);
    if (cr < 0) return out.subarray(0, chunk.length + offset);
    const last = chunk.length - 1;
    let written = cr + offset;
    let from = cr + offset;
    while (cr >= 0) {
      if (cr === last) {
        this.#pendingCr = true;
        break;
      }
      if (chunk[cr + 1] === LF) {
        out.copyWithin(written, from, cr + offset);
        written += cr + offset - from;
        from = cr + offset + 1;
      }
      cr = chunk.indexOf(CR, cr + 1);
    }
    const end = this.#pendingCr ? last + offset : chunk.length + offset;
    out.copyWithin(written, from, end);
    written += end - from;
    return out.subarray(0, written);
  }

  /** Ends the stream: a CR still held is the program's own byte. */
  flush(): Uint8Array {
    if (!this.#pendingCr) return EMPTY;
    this.#pendingCr = false;
    return Uint8Array.of(CR);
  }
}
