/**
 * Payload encryption of KMS sessions: AES-256-GCM, 12-byte nonce prefix, 16-byte tag, no AAD.
 *
 * The 64-byte data key is split in two: the first half is the key the agent encrypts with (we
 * decrypt with it), the second half the key we encrypt with.
 *
 * @see docs/protocol.md §6.4, §12 TV7
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/** Bytes of the KMS data key. */
export const DATA_KEY_BYTES = 64;
/** Bytes of each AES-256 key. */
export const KEY_BYTES = 32;
/** Bytes of the nonce prefix. */
export const NONCE_BYTES = 12;
/** Bytes of the GCM tag suffix. */
export const TAG_BYTES = 16;

const ALGORITHM = 'aes-256-gcm';

/** A key for {@link aesGcmSeal} and {@link aesGcmOpen}: raw bytes or a prepared `KeyObject`. */
export type AesKey = Uint8Array | KeyObject;

/** Encrypts `plaintext`: returns `nonce ‖ ciphertext ‖ tag`. */
export function aesGcmSeal(key: AesKey, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) {
    throw new RangeError(`nonce must be ${NONCE_BYTES} bytes; received ${nonce.length}`);
  }
  const cipher = createCipheriv(ALGORITHM, toKeyObject(key), nonce, { authTagLength: TAG_BYTES });
  const out = new Uint8Array(NONCE_BYTES + plaintext.length + TAG_BYTES);
  out.set(nonce, 0);
  const body = cipher.update(plaintext);
  out.set(body, NONCE_BYTES);
  const rest = cipher.final();
  out.set(rest, NONCE_BYTES + body.length);
  out.set(cipher.getAuthTag(), NONCE_BYTES + body.length + rest.length);
  return out;
}

/**
 * Decrypts `nonce ‖ ciphertext ‖ tag`.
 *
 * @throws Error when the payload is too short or does not authenticate under `key`
 */
export function aesGcmOpen(key: AesKey, sealed: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) {
    throw new RangeError(
      `an encrypted payload is at least ${NONCE_BYTES + TAG_BYTES} bytes; received ${sealed.length}`,
    );
  }
  const tagAt = sealed.length - TAG_BYTES;
  const decipher = createDecipheriv(ALGORITHM, toKeyObject(key), sealed.subarray(0, NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAuthTag(sealed.subarray(tagAt));
  const body = decipher.update(sealed.subarray(NONCE_BYTES, tagAt));
  // GCM's final() checks the tag and yields no further bytes; avoid a concat in the common case.
  const rest = decipher.final();
  return rest.length === 0 ? body : Buffer.concat([body, rest]);
}

/** Options of {@link SessionCipher}. */
export interface SessionCipherOptions {
  /**
   * Source of nonces for {@link SessionCipher.encrypt}.
   * @default node:crypto randomBytes
   */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** The client's two keys from one 64-byte data key. */
export class SessionCipher {
  readonly #agentKey: KeyObject;
  readonly #clientKey: KeyObject;
  readonly #randomBytes: (size: number) => Uint8Array;

  /**
   * @param dataKey the 64-byte plaintext data key from KMS GenerateDataKey
   * @throws RangeError when `dataKey` is not 64 bytes
   */
  constructor(dataKey: Uint8Array, options: SessionCipherOptions = {}) {
    if (dataKey.length !== DATA_KEY_BYTES) {
      throw new RangeError(`the data key must be ${DATA_KEY_BYTES} bytes; received ${dataKey.length}`);
    }
    this.#agentKey = createSecretKey(dataKey.subarray(0, KEY_BYTES));
    this.#clientKey = createSecretKey(dataKey.subarray(KEY_BYTES, DATA_KEY_BYTES));
    this.#randomBytes = options.randomBytes ?? randomBytes;
  }

  /** Decrypts a payload the agent encrypted (with the first half of the data key). */
  decrypt(payload: Uint8Array): Uint8Array {
    return aesGcmOpen(this.#agentKey, payload);
  }

  /** Encrypts a payload for the agent (with the second half), under a fresh random nonce. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    return aesGcmSeal(this.#clientKey, this.#randomBytes(NONCE_BYTES), plaintext);
  }
}

function toKeyObject(key: AesKey): KeyObject {
  if (!(key instanceof Uint8Array)) return key;
  if (key.length !== KEY_BYTES)
    throw new RangeError(`an AES-256 key is ${KEY_BYTES} bytes; received ${key.length}`);
  return createSecretKey(key);
}
