/**
 * The client side of the session handshake (KMS sessions and handshake-requiring plugins).
 *
 * Sessions without KMS get no handshake at all: their first message is output. With KMS the
 * agent sends HandshakeRequest (SessionType + KMSEncryption), we answer HandshakeResponse with a
 * new data key's ciphertext, prove we hold the key in the encryption challenge, and the agent
 * ends with HandshakeComplete. These functions turn payloads into payloads; the session decides
 * when they run and what a failure means. They throw `Error`s whose message says what was wrong.
 *
 * @see docs/protocol.md §6
 */
import { parseJson } from './codec.ts';
import type { SessionCipher } from './crypto.ts';
import { DATA_KEY_BYTES } from './crypto.ts';
import type { DataKeyProvider } from './kms.ts';

/**
 * The version we report in OpenDataChannel and HandshakeResponse: the official plugin release
 * whose behaviour this client follows. Agents compare it against plugin versions (e.g. to warn
 * clients older than 1.2.295), so it must look like one.
 */
export const CLIENT_VERSION = '1.2.677.0';

/** ActionStatus values of a processed client action. */
export const ActionStatus = { Success: 1, Failed: 2, Unsupported: 3 } as const;
export type ActionStatus = (typeof ActionStatus)[keyof typeof ActionStatus];

/** Session types the official plugin accepts in the SessionType action. */
export const SUPPORTED_SESSION_TYPES: readonly string[] = [
  'Standard_Stream',
  'InteractiveCommands',
  'NonInteractiveCommands',
  'Port',
];

/** Encryption-context keys of the data key (the agent's Decrypt uses the same). */
export const EncryptionContextKey = {
  SessionId: 'aws:ssm:SessionId',
  TargetId: 'aws:ssm:TargetId',
  RandomChallenge: 'aws:ssm:RandomChallenge',
} as const;

/** One action the agent asks for. */
export interface RequestedClientAction {
  readonly ActionType: string;
  readonly ActionParameters: unknown;
}

/** A parsed HandshakeRequest payload (PayloadType 5). */
export interface HandshakeRequest {
  readonly AgentVersion: string;
  readonly RequestedClientActions: readonly RequestedClientAction[];
}

/** What {@link answerHandshakeRequest} needs. */
export interface HandshakeContext {
  readonly sessionId: string;
  /** The agent's identity (`ecs:<cluster>_<taskId>_<runtimeId>`); required for KMSEncryption. */
  readonly targetId?: string;
  /** Required for KMSEncryption. */
  readonly kms?: DataKeyProvider;
  /** Passed to the KMS call. */
  readonly signal?: AbortSignal;
}

/** Our answer to a HandshakeRequest. */
export interface HandshakeAnswer {
  /** The HandshakeResponse payload (PayloadType 6), to send whatever `errors` holds. */
  readonly payload: Uint8Array;
  /** The 64-byte plaintext data key, when KMSEncryption succeeded. */
  readonly dataKey: Uint8Array | undefined;
  /** One text per action that did not succeed; the agent ends the session on any. */
  readonly errors: readonly string[];
}

/** A parsed HandshakeComplete payload (PayloadType 7). */
export interface HandshakeComplete {
  /** Duration of the handshake on the agent's side, nanoseconds. */
  readonly handshakeTimeToCompleteNs: number | undefined;
  /** Text for the user, e.g. "This session is encrypted using AWS KMS."; "" when none. */
  readonly customerMessage: string;
}

interface ProcessedClientAction {
  readonly ActionType: string;
  readonly ActionStatus: ActionStatus;
  readonly ActionResult: unknown;
  readonly Error: string;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Parses a HandshakeRequest payload.
 *
 * @throws Error when the payload is not the documented JSON
 */
export function parseHandshakeRequest(payload: Uint8Array): HandshakeRequest {
  const value = parseJson(payload);
  const actions = isObject(value) ? value.RequestedClientActions : undefined;
  if (
    !isObject(value) ||
    !Array.isArray(actions) ||
    !actions.every((a) => isObject(a) && typeof a.ActionType === 'string')
  ) {
    throw new Error(
      `HandshakeRequest must be JSON {"AgentVersion", "RequestedClientActions": [{"ActionType", "ActionParameters"}]}; received ${preview(payload)}`,
    );
  }
  return {
    AgentVersion: typeof value.AgentVersion === 'string' ? value.AgentVersion : '',
    RequestedClientActions: actions as RequestedClientAction[],
  };
}

/**
 * Processes every requested action, in order, and builds the HandshakeResponse.
 *
 * - SessionType: Success for the types the plugin supports, else Failed.
 * - KMSEncryption: GenerateDataKey (64 bytes; context SessionId + TargetId, plus RandomChallenge
 *   when the agent offered a Challenge, which we then acknowledge), answering the ciphertext.
 * - Anything else: Unsupported (status 3; the plugin's bug of putting 3 into ActionResult is not
 *   repeated).
 *
 * A failed action does not throw: it is reported to the agent (so it ends the session at once
 * instead of waiting 15 s) and listed in `errors`.
 *
 * @throws Error when the payload is not a HandshakeRequest
 */
export async function answerHandshakeRequest(
  payload: Uint8Array,
  context: HandshakeContext,
): Promise<HandshakeAnswer> {
  const request = parseHandshakeRequest(payload);
  const processed: ProcessedClientAction[] = [];
  let dataKey: Uint8Array | undefined;
  for (const action of request.RequestedClientActions) {
    if (action.ActionType === 'SessionType') {
      processed.push(processSessionType(action));
    } else if (action.ActionType === 'KMSEncryption') {
      const outcome = await processKmsEncryption(action, context);
      processed.push(outcome.processed);
      dataKey = outcome.dataKey ?? dataKey;
    } else {
      processed.push({
        ActionType: action.ActionType,
        ActionStatus: ActionStatus.Unsupported,
        ActionResult: null,
        Error: `Unsupported action ${action.ActionType}`,
      });
    }
  }
  const errors = processed.filter((p) => p.ActionStatus !== ActionStatus.Success).map((p) => p.Error);
  const response = {
    ClientVersion: CLIENT_VERSION,
    ProcessedClientActions: processed,
    Errors: errors.length === 0 ? null : errors,
  };
  return { payload: textEncoder.encode(JSON.stringify(response)), dataKey, errors };
}

/**
 * Answers an EncChallengeRequest (PayloadType 8): decrypts the challenge with the agent's key and
 * re-encrypts it with ours, as an EncChallengeResponse payload (PayloadType 9).
 *
 * @throws Error when the payload is not `{"Challenge": "<base64>"}` or does not decrypt
 */
export function answerEncryptionChallenge(payload: Uint8Array, cipher: SessionCipher): Uint8Array {
  const value = parseJson(payload);
  const challenge = isObject(value) ? value.Challenge : undefined;
  if (typeof challenge !== 'string') {
    throw new Error(
      `EncChallengeRequest must be JSON {"Challenge": "<base64>"}; received ${preview(payload)}`,
    );
  }
  let plaintext: Uint8Array;
  try {
    plaintext = cipher.decrypt(Buffer.from(challenge, 'base64'));
  } catch (error) {
    throw new Error('the encryption challenge does not decrypt with the data key', { cause: error });
  }
  const answer = Buffer.from(cipher.encrypt(plaintext)).toString('base64');
  return textEncoder.encode(JSON.stringify({ Challenge: answer }));
}

/**
 * Parses a HandshakeComplete payload.
 *
 * @throws Error when the payload is not a JSON object
 */
export function parseHandshakeComplete(payload: Uint8Array): HandshakeComplete {
  const value = parseJson(payload);
  if (!isObject(value)) {
    throw new Error(
      `HandshakeComplete must be JSON {"HandshakeTimeToComplete", "CustomerMessage"}; received ${preview(payload)}`,
    );
  }
  return {
    handshakeTimeToCompleteNs:
      typeof value.HandshakeTimeToComplete === 'number' ? value.HandshakeTimeToComplete : undefined,
    customerMessage: typeof value.CustomerMessage === 'string' ? value.CustomerMessage : '',
  };
}

function processSessionType(action: RequestedClientAction): ProcessedClientAction {
  const parameters = action.ActionParameters;
  const sessionType = isObject(parameters) ? parameters.SessionType : undefined;
  if (typeof sessionType === 'string' && SUPPORTED_SESSION_TYPES.includes(sessionType)) {
    return {
      ActionType: action.ActionType,
      ActionStatus: ActionStatus.Success,
      ActionResult: null,
      Error: '',
    };
  }
  return failed(action, `Failed to process action SessionType: Unknown session type ${String(sessionType)}`);
}

async function processKmsEncryption(
  action: RequestedClientAction,
  context: HandshakeContext,
): Promise<{ processed: ProcessedClientAction; dataKey?: Uint8Array }> {
  const parameters = action.ActionParameters;
  const keyId = isObject(parameters) ? parameters.KMSKeyId : undefined;
  const challenge = isObject(parameters) ? parameters.Challenge : undefined;
  const prefix = 'Failed to process action KMSEncryption:';
  if (typeof keyId !== 'string' || keyId === '') {
    return {
      processed: failed(
        action,
        `${prefix} KMSKeyId must be a non-empty string; received ${JSON.stringify(keyId)}`,
      ),
    };
  }
  if (context.kms === undefined) {
    return {
      processed: failed(
        action,
        `${prefix} the agent asks for KMS key ${keyId} but no DataKeyProvider (kms option) was given`,
      ),
    };
  }
  if (context.targetId === undefined || context.targetId === '') {
    return {
      processed: failed(
        action,
        `${prefix} KMS sessions need targetId (ecs:<cluster>_<taskId>_<runtimeId>); none was given`,
      ),
    };
  }
  const offered = typeof challenge === 'string' && challenge !== '';
  const encryptionContext: Record<string, string> = {
    [EncryptionContextKey.SessionId]: context.sessionId,
    [EncryptionContextKey.TargetId]: context.targetId,
  };
  if (offered) encryptionContext[EncryptionContextKey.RandomChallenge] = challenge;
  let key: { plaintext: Uint8Array; ciphertextBlob: Uint8Array };
  try {
    key = await context.kms.generateDataKey(
      { keyId, numberOfBytes: DATA_KEY_BYTES, encryptionContext },
      { abortSignal: context.signal },
    );
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { processed: failed(action, `${prefix} GenerateDataKey for ${keyId} failed: ${message}`) };
  }
  if (key.plaintext.length !== DATA_KEY_BYTES) {
    return {
      processed: failed(
        action,
        `${prefix} GenerateDataKey returned a ${key.plaintext.length}-byte key; ${DATA_KEY_BYTES} bytes are needed`,
      ),
    };
  }
  const result = offered
    ? {
        KMSCipherTextKey: base64(key.ciphertextBlob),
        KMSCipherTextHash: null,
        ChallengeAcknowledgement: true,
      }
    : { KMSCipherTextKey: base64(key.ciphertextBlob), KMSCipherTextHash: null };
  return {
    processed: {
      ActionType: action.ActionType,
      ActionStatus: ActionStatus.Success,
      ActionResult: result,
      Error: '',
    },
    dataKey: key.plaintext,
  };
}

function failed(action: RequestedClientAction, error: string): ProcessedClientAction {
  return {
    ActionType: action.ActionType,
    ActionStatus: ActionStatus.Failed,
    ActionResult: null,
    Error: error,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function preview(payload: Uint8Array): string {
  const text = textDecoder.decode(payload.subarray(0, 200));
  return JSON.stringify(payload.length > 200 ? `${text}…` : text);
}
