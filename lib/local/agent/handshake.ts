/**
 * The agent's side of the KMS handshake: builds HandshakeRequest, EncChallengeRequest and
 * HandshakeComplete payloads and checks the client's HandshakeResponse and
 * EncChallengeResponse. No I/O and no timers: the session drives it.
 *
 * Error texts follow the agent's (the session prefixes "Encountered error while initiating
 * handshake. "); the KMS and parse failures are close paraphrases, not byte-exact copies.
 *
 * @see docs/protocol.md §6
 */
import { randomBytes } from 'node:crypto';
import type { LocalKmsDecrypter } from '../kms/keyring.ts';
import { open, seal } from './crypto.ts';

/** Prefix of every handshake failure in `channel_closed` Output. */
export const HANDSHAKE_FAILURE_PREFIX = 'Encountered error while initiating handshake. ';
/** The agent's text when no HandshakeResponse arrives in time. */
export const HANDSHAKE_TIMEOUT_TEXT =
  'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.';
/** The agent's text when no valid EncChallengeResponse arrives in time. */
export const CHALLENGE_TIMEOUT_TEXT = 'Timed out waiting for encryption challenge.';
/** HandshakeComplete's CustomerMessage for an encrypted session. */
export const KMS_CUSTOMER_MESSAGE = 'This session is encrypted using AWS KMS.';

/** Encryption-context keys of the session data key. */
export const ENCRYPTION_CONTEXT_KEYS = {
  sessionId: 'aws:ssm:SessionId',
  targetId: 'aws:ssm:TargetId',
  randomChallenge: 'aws:ssm:RandomChallenge',
} as const;

const DATA_KEY_BYTES = 64;
const CHALLENGE_BYTES = 64;
const ACTION_SUCCESS = 1;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export interface AgentHandshakeOptions {
  readonly agentVersion: string;
  readonly sessionId: string;
  readonly targetId: string;
  readonly kmsKeyId: string;
  readonly kms: LocalKmsDecrypter;
  /** Reject clients that do not acknowledge the random challenge (agent `Kms.RequireKMSChallengeResponse`). */
  readonly requireChallengeResponse: boolean;
}

/** The session keys: the agent encrypts with `P[0:32]` and decrypts with `P[32:64]`. */
export interface SessionKeys {
  readonly encrypt: Buffer;
  readonly decrypt: Buffer;
}

export type ResponseResult =
  | { readonly ok: true; readonly keys: SessionKeys; readonly challengeRequest: Uint8Array }
  | { readonly ok: false; readonly error: string };

/** One session's handshake state. */
export class AgentHandshake {
  readonly #options: AgentHandshakeOptions;
  readonly #challenge: string;
  readonly #random: (size: number) => Buffer;
  #keys: SessionKeys | undefined;
  #expected: Buffer | undefined;

  constructor(options: AgentHandshakeOptions, random: (size: number) => Buffer = randomBytes) {
    this.#options = options;
    this.#random = random;
    this.#challenge = random(16).toString('base64');
  }

  /** The Challenge offered in the KMSEncryption action (base64 of 16 random bytes). */
  get challenge(): string {
    return this.#challenge;
  }

  /** Whether a HandshakeResponse was accepted (keys exist, challenge sent). */
  get awaitingChallenge(): boolean {
    return this.#expected !== undefined;
  }

  /** PayloadType 5 JSON. */
  requestPayload(): Uint8Array {
    return json({
      AgentVersion: this.#options.agentVersion,
      RequestedClientActions: [
        {
          ActionType: 'SessionType',
          ActionParameters: { SessionType: 'InteractiveCommands', Properties: null },
        },
        {
          ActionType: 'KMSEncryption',
          ActionParameters: { KMSKeyId: this.#options.kmsKeyId, Challenge: this.#challenge },
        },
      ],
    });
  }

  /** Checks a PayloadType 6 payload; on success decrypts the data key and builds the challenge. */
  handleResponse(payload: Uint8Array): ResponseResult {
    let response: unknown;
    try {
      response = JSON.parse(textDecoder.decode(payload));
    } catch (error) {
      return { ok: false, error: `Unable to unmarshal handshake response: ${(error as Error).message}` };
    }
    const actions = (response as { ProcessedClientActions?: unknown } | null)?.ProcessedClientActions;
    if (!Array.isArray(actions)) {
      return { ok: false, error: 'Handshake response has no ProcessedClientActions' };
    }
    let kmsResult: unknown;
    let kmsProcessed = false;
    for (const action of actions as Array<Record<string, unknown> | null>) {
      const type = String(action?.ActionType ?? '');
      const status = action?.ActionStatus;
      if (status !== ACTION_SUCCESS) {
        return {
          ok: false,
          error: `${type} failed on client with status ${String(status)} error: ${String(action?.Error ?? '')}`,
        };
      }
      if (type === 'KMSEncryption') {
        kmsProcessed = true;
        kmsResult = action?.ActionResult;
      }
    }
    if (!kmsProcessed)
      return { ok: false, error: 'KMSEncryption was requested but not processed by the client' };
    const result = (typeof kmsResult === 'object' && kmsResult !== null ? kmsResult : {}) as Record<
      string,
      unknown
    >;
    const cipherTextKey = result.KMSCipherTextKey;
    if (typeof cipherTextKey !== 'string' || cipherTextKey === '') {
      return {
        ok: false,
        error: 'Fetching data key failed: KMSEncryption ActionResult has no KMSCipherTextKey',
      };
    }
    const acknowledged = result.ChallengeAcknowledgement === true;
    if (this.#options.requireChallengeResponse && !acknowledged) {
      return { ok: false, error: 'client does not support required encryption context random challenge' };
    }
    const context: Record<string, string> = {
      [ENCRYPTION_CONTEXT_KEYS.sessionId]: this.#options.sessionId,
      [ENCRYPTION_CONTEXT_KEYS.targetId]: this.#options.targetId,
    };
    if (acknowledged) context[ENCRYPTION_CONTEXT_KEYS.randomChallenge] = this.#challenge;
    let plaintext: Uint8Array;
    try {
      plaintext = this.#options.kms.decrypt({
        ciphertextBlob: Buffer.from(cipherTextKey, 'base64'),
        encryptionContext: context,
      }).plaintext;
    } catch (error) {
      const { name, message } = error as Error;
      return {
        ok: false,
        error: `Fetching data key failed: Error when decrypting data key ${name}: ${message}`,
      };
    }
    if (plaintext.length !== DATA_KEY_BYTES) {
      return {
        ok: false,
        error: `Fetching data key failed: the data key is ${plaintext.length} bytes; ${DATA_KEY_BYTES} are needed`,
      };
    }
    const key = Buffer.from(plaintext);
    this.#keys = { encrypt: key.subarray(0, 32), decrypt: key.subarray(32, 64) };
    this.#expected = this.#random(CHALLENGE_BYTES);
    const sealed = seal(this.#keys.encrypt, this.#random(12), this.#expected);
    return { ok: true, keys: this.#keys, challengeRequest: json({ Challenge: sealed.toString('base64') }) };
  }

  /** Whether a PayloadType 9 payload carries the challenge, re-encrypted with the client key. */
  verifyChallengeResponse(payload: Uint8Array): boolean {
    if (!this.#keys || !this.#expected) return false;
    try {
      const response = JSON.parse(textDecoder.decode(payload)) as { Challenge?: unknown } | null;
      if (typeof response?.Challenge !== 'string') return false;
      const plain = open(this.#keys.decrypt, Buffer.from(response.Challenge, 'base64'));
      return plain.equals(this.#expected);
    } catch {
      return false;
    }
  }

  /** PayloadType 7 JSON. */
  completePayload(elapsedNs: bigint): Uint8Array {
    return textEncoder.encode(
      `{"HandshakeTimeToComplete":${elapsedNs},"CustomerMessage":${JSON.stringify(KMS_CUSTOMER_MESSAGE)}}`,
    );
  }
}

function json(value: unknown): Uint8Array {
  return textEncoder.encode(JSON.stringify(value));
}
