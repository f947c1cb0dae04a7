/**
 * The agent's payload cipher: AES-256-GCM, 12-byte nonce, 16-byte tag, no AAD; an encrypted
 * payload is `nonce ‖ ciphertext ‖ tag`. The agent's nonces are a 96-bit counter started at a
 * random value and incremented as a little-endian integer per message.
 *
 * @see docs/protocol.md §6.4
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Encrypts `plaintext` under `key` with `nonce`; returns `nonce ‖ ciphertext ‖ tag`. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts `nonce ‖ ciphertext ‖ tag`; throws when it is short or does not authenticate. */
export function open(key: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new Error(
      `encrypted payload is ${sealed.length} bytes; at least ${NONCE_BYTES + TAG_BYTES} needed`,
    );
  }
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

/** The agent's nonce source: a little-endian 96-bit counter from a random start. */
export class NonceCounter {
  readonly #value: Buffer;

  constructor(start: Uint8Array = randomBytes(NONCE_BYTES)) {
    this.#value = Buffer.from(start);
  }

  /** The next nonce (a copy). */
  next(): Buffer {
    const nonce = Buffer.from(this.#value);
    for (let i = 0; i < NONCE_BYTES; i++) {
      const byte = ((this.#value[i] as number) + 1) & 0xff;
      this.#value[i] = byte;
      if (byte !== 0) break;
    }
    return nonce;
  }
}
