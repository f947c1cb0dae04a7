/**
 * Where a KMS session's data key comes from: a one-method interface and its AWS SDK adapter.
 *
 * @see docs/protocol.md §6.4
 */
import { GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';

/** Input of {@link DataKeyProvider.generateDataKey}, as KMS GenerateDataKey takes it. */
export interface GenerateDataKeyInput {
  /** The `KMSKeyId` the agent asked for (key id, ARN or alias). */
  readonly keyId: string;
  /** Always 64: two AES-256 keys. */
  readonly numberOfBytes: number;
  /** `aws:ssm:SessionId`, `aws:ssm:TargetId` and, when offered, `aws:ssm:RandomChallenge`. */
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** A data key: the plaintext and its KMS ciphertext blob. */
export interface DataKey {
  readonly plaintext: Uint8Array;
  readonly ciphertextBlob: Uint8Array;
}

/** Options of one {@link DataKeyProvider.generateDataKey} call. */
export interface GenerateDataKeyOptions {
  /** Aborts the call. */
  readonly abortSignal?: AbortSignal;
}

/** Produces data keys: KMS GenerateDataKey, or a fake in tests. */
export interface DataKeyProvider {
  generateDataKey(input: GenerateDataKeyInput, options?: GenerateDataKeyOptions): Promise<DataKey>;
}

/**
 * A {@link DataKeyProvider} calling KMS `GenerateDataKey` with the given client (and so the
 * caller's credentials, region and endpoint). The caller needs `kms:GenerateDataKey` on the key.
 *
 * @example
 * const kms = kmsDataKeyProvider(new KMSClient({ region: 'eu-west-1', maxAttempts: 1 }));
 * await runSession({ ...session, targetId, kms, onOutput });
 */
export function kmsDataKeyProvider(client: KMSClient): DataKeyProvider {
  return {
    async generateDataKey(input, options = {}) {
      const output = await client.send(
        new GenerateDataKeyCommand({
          KeyId: input.keyId,
          NumberOfBytes: input.numberOfBytes,
          EncryptionContext: { ...input.encryptionContext },
        }),
        { abortSignal: options.abortSignal },
      );
      if (!output.Plaintext || !output.CiphertextBlob) {
        throw new Error(`KMS GenerateDataKey for ${input.keyId} returned no Plaintext or no CiphertextBlob`);
      }
      return { plaintext: output.Plaintext, ciphertextBlob: output.CiphertextBlob };
    },
  };
}
