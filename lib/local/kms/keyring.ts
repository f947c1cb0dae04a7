/**
 * The local KMS's keys and cryptography, usable in-process (the local agent decrypts data keys
 * here without an SDK) and behind the HTTP endpoint of `startLocalKms`.
 *
 * A ciphertext blob is `0x01 ‖ len ‖ keyId ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)` under
 * the key's master secret, with the key ARN and the canonical encryption context as additional
 * authenticated data. So, as with real KMS, Decrypt succeeds only with the same key and exactly
 * the same encryption context, and anything else is an InvalidCiphertextException. Master
 * secrets are random per keyring: blobs do not survive a restart.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { KmsError } from './errors.ts';

/** A key to create up front. */
export interface LocalKmsKeyOptions {
  /**
   * The key id (the last part of its ARN).
   * @default - derived from the region, account and first alias (or a random UUID without one)
   */
  readonly keyId?: string;
  /** Aliases, each `alias/<name>`. @default [] */
  readonly aliases?: readonly string[];
}

export interface LocalKmsKeyringOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Keys that exist from the start. @default [] */
  readonly keys?: readonly LocalKmsKeyOptions[];
  /**
   * Create a key on first use of an unknown key id or alias of this region and account (an
   * alias then names a new key whose id is derived from it, so it is the same on every run).
   * With `false` such references raise NotFoundException, as real KMS does. ARNs of another
   * region or account always raise NotFoundException.
   * @default true
   */
  readonly autoCreateKeys?: boolean;
}

/** A key's public description. */
export interface LocalKmsKey {
  readonly keyId: string;
  readonly arn: string;
  readonly aliases: readonly string[];
  readonly creationDate: Date;
}

/** Decrypt as the agent calls it. */
export interface LocalKmsDecryptInput {
  readonly ciphertextBlob: Uint8Array;
  /** @default {} */
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /** When set, the blob must belong to this key (else IncorrectKeyException). */
  readonly keyId?: string;
}

export interface LocalKmsDecryptOutput {
  /** The key's ARN. */
  readonly keyId: string;
  readonly plaintext: Uint8Array;
}

/**
 * What the local agent needs from KMS: an in-process Decrypt. Throws {@link KmsError}
 * (InvalidCiphertextException, IncorrectKeyException, …).
 */
export interface LocalKmsDecrypter {
  decrypt(input: LocalKmsDecryptInput): LocalKmsDecryptOutput;
}

export interface LocalKmsEncryptInput {
  readonly keyId: string;
  readonly plaintext: Uint8Array;
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

export interface LocalKmsGenerateDataKeyInput {
  readonly keyId: string;
  readonly numberOfBytes: number;
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

export interface LocalKmsGenerateDataKeyOutput {
  readonly keyId: string;
  readonly plaintext: Uint8Array;
  readonly ciphertextBlob: Uint8Array;
}

interface KeyRecord {
  readonly description: LocalKmsKey;
  readonly aliases: string[];
  readonly secret: Buffer;
}

const BLOB_VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_DATA_KEY_BYTES = 1024;
const MAX_PLAINTEXT_BYTES = 4096;
const ALIAS_RE = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KEY_ID_RE = /^[a-zA-Z0-9-]{1,128}$/;
const textEncoder = new TextEncoder();

/** Keys, aliases and the symmetric operations of the local KMS. */
export class LocalKmsKeyring implements LocalKmsDecrypter {
  readonly region: string;
  readonly accountId: string;
  readonly #autoCreate: boolean;
  readonly #byId = new Map<string, KeyRecord>();
  readonly #byAlias = new Map<string, KeyRecord>();

  constructor(options: LocalKmsKeyringOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.#autoCreate = options.autoCreateKeys ?? true;
    for (const [index, key] of (options.keys ?? []).entries()) {
      const aliases = key.aliases ?? [];
      for (const alias of aliases) {
        if (!ALIAS_RE.test(alias)) {
          throw new KmsError(
            'ValidationException',
            `keys[${index}].aliases has ${JSON.stringify(alias)}; an alias is "alias/" followed by letters, digits, /, _ or -`,
          );
        }
      }
      if (key.keyId !== undefined && !KEY_ID_RE.test(key.keyId)) {
        throw new KmsError(
          'ValidationException',
          `keys[${index}].keyId is ${JSON.stringify(key.keyId)}; a key id is 1 to 128 letters, digits or -`,
        );
      }
      const keyId = key.keyId ?? (aliases[0] ? this.#derivedKeyId(aliases[0]) : randomUUID());
      const record = this.#byId.get(keyId) ?? this.#create(keyId);
      for (const alias of aliases) this.#addAlias(record, alias);
    }
  }

  /** Every key, in creation order. */
  keys(): LocalKmsKey[] {
    return [...this.#byId.values()].map((record) => ({
      ...record.description,
      aliases: [...record.aliases],
    }));
  }

  /** Resolves a key id, key ARN, alias name or alias ARN; throws NotFoundException. */
  describeKey(keyRef: string): LocalKmsKey {
    const record = this.#resolve(keyRef);
    return { ...record.description, aliases: [...record.aliases] };
  }

  generateDataKey(input: LocalKmsGenerateDataKeyInput): LocalKmsGenerateDataKeyOutput {
    const { numberOfBytes } = input;
    if (!Number.isInteger(numberOfBytes) || numberOfBytes < 1 || numberOfBytes > MAX_DATA_KEY_BYTES) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${numberOfBytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and ${MAX_DATA_KEY_BYTES}`,
      );
    }
    const record = this.#resolve(input.keyId);
    const plaintext = randomBytes(numberOfBytes);
    return {
      keyId: record.description.arn,
      plaintext,
      ciphertextBlob: this.#seal(record, plaintext, input.encryptionContext ?? {}),
    };
  }

  encrypt(input: LocalKmsEncryptInput): { keyId: string; ciphertextBlob: Uint8Array } {
    if (input.plaintext.length < 1 || input.plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and ${MAX_PLAINTEXT_BYTES}`,
      );
    }
    const record = this.#resolve(input.keyId);
    return {
      keyId: record.description.arn,
      ciphertextBlob: this.#seal(record, input.plaintext, input.encryptionContext ?? {}),
    };
  }

  decrypt(input: LocalKmsDecryptInput): LocalKmsDecryptOutput {
    const blob = Buffer.from(input.ciphertextBlob);
    const invalid = (cause?: unknown): KmsError =>
      new KmsError(
        'InvalidCiphertextException',
        'The ciphertext is not valid for this KMS, was altered, or its encryption context differs from the one it was encrypted with',
        cause === undefined ? undefined : { cause },
      );
    if (blob.length < 2 || blob[0] !== BLOB_VERSION) throw invalid();
    const idLength = blob[1] as number;
    const headerLength = 2 + idLength;
    if (blob.length < headerLength + NONCE_BYTES + TAG_BYTES) throw invalid();
    const keyId = blob.subarray(2, headerLength).toString('latin1');
    const record = this.#byId.get(keyId);
    if (!record) throw invalid();
    if (input.keyId !== undefined && this.#resolve(input.keyId) !== record) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a KMS key that can perform this operation.',
      );
    }
    const nonce = blob.subarray(headerLength, headerLength + NONCE_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', record.secret, nonce);
      decipher.setAAD(additionalData(record, input.encryptionContext ?? {}));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([
        decipher.update(blob.subarray(headerLength + NONCE_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return { keyId: record.description.arn, plaintext };
    } catch (error) {
      throw invalid(error);
    }
  }

  #seal(record: KeyRecord, plaintext: Uint8Array, context: Readonly<Record<string, string>>): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', record.secret, nonce);
    cipher.setAAD(additionalData(record, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(record.description.keyId, 'latin1');
    return Buffer.concat([Buffer.from([BLOB_VERSION, id.length]), id, nonce, body, cipher.getAuthTag()]);
  }

  #resolve(keyRef: string): KeyRecord {
    if (typeof keyRef !== 'string' || keyRef === '') {
      throw new KmsError(
        'ValidationException',
        `KeyId must be a non-empty string; received ${JSON.stringify(keyRef)}`,
      );
    }
    const arnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    let ref = keyRef;
    if (keyRef.startsWith('arn:')) {
      if (!keyRef.startsWith(arnPrefix)) {
        throw new KmsError(
          'NotFoundException',
          `Invalid arn ${keyRef}: the local KMS serves region ${this.region}, account ${this.accountId}`,
        );
      }
      ref = keyRef.slice(arnPrefix.length);
      if (ref.startsWith('key/')) ref = ref.slice('key/'.length);
      else if (!ref.startsWith('alias/')) {
        throw new KmsError('NotFoundException', `Invalid arn ${keyRef}: expected key/<id> or alias/<name>`);
      }
    }
    if (ref.startsWith('alias/')) {
      const found = this.#byAlias.get(ref);
      if (found) return found;
      if (!this.#autoCreate || !ALIAS_RE.test(ref)) {
        throw new KmsError('NotFoundException', `Alias ${arnPrefix}${ref} is not found.`);
      }
      const record = this.#byId.get(this.#derivedKeyId(ref)) ?? this.#create(this.#derivedKeyId(ref));
      this.#addAlias(record, ref);
      return record;
    }
    const found = this.#byId.get(ref);
    if (found) return found;
    if (!this.#autoCreate || !KEY_ID_RE.test(ref)) {
      throw new KmsError('NotFoundException', `Key '${arnPrefix}key/${ref}' does not exist`);
    }
    return this.#create(ref);
  }

  #create(keyId: string): KeyRecord {
    const record: KeyRecord = {
      description: {
        keyId,
        arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
        aliases: [],
        creationDate: new Date(),
      },
      aliases: [],
      secret: randomBytes(32),
    };
    this.#byId.set(keyId, record);
    return record;
  }

  #addAlias(record: KeyRecord, alias: string): void {
    const existing = this.#byAlias.get(alias);
    if (existing && existing !== record) {
      throw new KmsError(
        'ValidationException',
        `Alias ${alias} already names key ${existing.description.keyId}`,
      );
    }
    if (!existing) {
      this.#byAlias.set(alias, record);
      record.aliases.push(alias);
    }
  }

  #derivedKeyId(alias: string): string {
    const hex = createHash('sha256')
      .update(`local-kms:${this.region}:${this.accountId}:${alias}`)
      .digest('hex');
    // Shaped like a version-4 UUID, as real key ids are.
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** The key ARN and the context, sorted by key, as authenticated data. */
function additionalData(record: KeyRecord, context: Readonly<Record<string, string>>): Uint8Array {
  const canonical = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return textEncoder.encode(`local-kms/1\0${record.description.arn}\0${JSON.stringify(canonical)}`);
}
