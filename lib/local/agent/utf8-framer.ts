/**
 * Cuts a byte stream into output frames that never split a UTF-8 character.
 *
 * The agent reads the PTY in 1024-byte chunks and holds back an incomplete trailing UTF-8
 * sequence (at most 3 bytes) for the next chunk; invalid bytes pass through unchanged. Here a
 * frame is at most `maxBytes` long: when the cut would land inside a character, the frame ends
 * before that character's lead byte. At the end of the stream whatever is held back is sent
 * as is, so no byte is ever lost.
 *
 * @see docs/protocol.md §5.4 (processStdoutData)
 */
export class Utf8Framer {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  /** Bytes waiting to be framed. */
  get length(): number {
    return this.#length;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.#length += bytes.length;
  }

  /**
   * Takes the next frame, or `undefined` when nothing can be sent yet (no bytes, or only the
   * beginning of a character whose remaining bytes have not arrived).
   *
   * @param final - the stream has ended: flush an incomplete trailing sequence too.
   */
  take(maxBytes: number, final: boolean): Buffer | undefined {
    if (this.#length === 0) return undefined;
    const wanted = Math.min(maxBytes, this.#length);
    const head = this.#peek(wanted);
    const atEnd = wanted === this.#length;
    const cut = final && atEnd ? wanted : completeLength(head);
    if (cut === 0) {
      // Only a partial character is left; when maxBytes cannot hold a whole character either,
      // send it as is rather than stall forever.
      if (wanted === maxBytes && !atEnd) return this.#consume(wanted);
      return undefined;
    }
    return this.#consume(cut);
  }

  #peek(count: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= count) return first.subarray(0, count);
    const out = Buffer.allocUnsafe(count);
    let at = 0;
    for (const chunk of this.#chunks) {
      const n = Math.min(chunk.length, count - at);
      chunk.copy(out, at, 0, n);
      at += n;
      if (at === count) break;
    }
    return out;
  }

  #consume(count: number): Buffer {
    const out = Buffer.from(this.#peek(count));
    let left = count;
    while (left > 0) {
      const first = this.#chunks[0] as Buffer;
      if (first.length <= left) {
        this.#chunks.shift();
        left -= first.length;
      } else {
        this.#chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.#length -= count;
    return out;
  }
}

/**
 * Length of `bytes` without an incomplete UTF-8 sequence at its end.
 *
 * Only a well-formed prefix of a character (a lead byte followed by fewer continuation bytes
 * than it announces) is held back; anything else is invalid and passes through.
 */
export function completeLength(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = bytes[end - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = sequenceLength(byte);
    return needed > back ? end - back : end;
  }
  return end;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}
