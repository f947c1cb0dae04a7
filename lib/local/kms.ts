/**
 * A local AWS KMS endpoint that the real `@aws-sdk/client-kms` talks to.
 *
 * It speaks the SDK's wire format, awsJson1_1: `POST /` with `X-Amz-Target:
 * TrentService.<Operation>`, JSON bodies with blobs as base64, errors as HTTP 400 (500 for
 * KMSInternalException) with `{"__type": "<Name>", "message": "…"}`, so the SDK raises typed
 * exceptions (`InvalidCiphertextException`, `NotFoundException`, …). Operations:
 * GenerateDataKey, Decrypt, Encrypt and DescribeKey. Requests are not authenticated: any SigV4
 * signature (the SDK refuses to send without credentials, so give it dummy ones) is accepted.
 *
 * The same keys serve in-process callers: the local agent decrypts data keys through
 * {@link LocalKms.decrypt} without an SDK.
 *
 * @example
 * ```ts
 * const kms = await startLocalKms({ port: 0, region: 'eu-west-1' });
 * const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: kms.credentials, maxAttempts: 1 });
 * const agent = await startLocalAgent({ port: 0, kms });
 * // …
 * await agent.close(); await kms.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertBoolean,
  assertInteger,
  assertOptionsObject,
  assertString,
  LocalOptionError,
} from './internal/options.ts';
import { KmsError } from './kms/errors.ts';
import {
  type LocalKmsDecrypter,
  type LocalKmsDecryptInput,
  type LocalKmsDecryptOutput,
  type LocalKmsKey,
  type LocalKmsKeyOptions,
  LocalKmsKeyring,
} from './kms/keyring.ts';

export { KmsError, type KmsErrorName } from './kms/errors.ts';
export type {
  LocalKmsDecrypter,
  LocalKmsDecryptInput,
  LocalKmsDecryptOutput,
  LocalKmsEncryptInput,
  LocalKmsGenerateDataKeyInput,
  LocalKmsGenerateDataKeyOutput,
  LocalKmsKey,
  LocalKmsKeyOptions,
  LocalKmsKeyringOptions,
} from './kms/keyring.ts';
export { LocalKmsKeyring } from './kms/keyring.ts';

/** Options of {@link startLocalKms}. */
export interface LocalKmsOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Keys that exist from the start. @default [] */
  readonly keys?: readonly LocalKmsKeyOptions[];
  /**
   * Create keys on first use of an unknown key id or alias (see {@link LocalKmsKeyringOptions}).
   * @default true
   */
  readonly autoCreateKeys?: boolean;
}

/** Request counts of a local KMS. */
export interface LocalKmsStats {
  readonly requests: number;
  readonly errors: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/** A running local KMS. */
export interface LocalKms extends LocalKmsDecrypter {
  /** `http://<host>:<port>`, for a client's `endpoint` or `AWS_ENDPOINT_URL_KMS`. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** Static dummy credentials for SDK clients (never checked). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The keys and their operations, in-process. */
  readonly keyring: LocalKmsKeyring;
  /** In-process Decrypt, as the agent calls it; throws {@link KmsError}. */
  decrypt(input: LocalKmsDecryptInput): LocalKmsDecryptOutput;
  stats(): LocalKmsStats;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const OPTION_KEYS = ['host', 'port', 'region', 'accountId', 'keys', 'autoCreateKeys'] as const;
const TARGET_PREFIX = 'TrentService.';
const MAX_BODY_BYTES = 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Starts a local KMS endpoint. */
export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  assertOptionsObject(options, 'startLocalKms options', OPTION_KEYS);
  assertString(options.host, 'host');
  assertInteger(options.port, 'port', 0, 65_535);
  assertString(options.region, 'region');
  if (options.accountId !== undefined && !/^\d{12}$/.test(String(options.accountId))) {
    throw new LocalOptionError(
      'accountId',
      `accountId must be 12 digits; received ${JSON.stringify(options.accountId)}`,
    );
  }
  if (options.keys !== undefined && !Array.isArray(options.keys)) {
    throw new LocalOptionError(
      'keys',
      `keys must be an array of { keyId?, aliases? }; received ${typeof options.keys}`,
    );
  }
  for (const [index, key] of (options.keys ?? []).entries()) {
    assertOptionsObject(key, `keys[${index}]`, ['keyId', 'aliases']);
  }
  assertBoolean(options.autoCreateKeys, 'autoCreateKeys');
  const host = options.host ?? '127.0.0.1';
  let keyring: LocalKmsKeyring;
  try {
    keyring = new LocalKmsKeyring({
      region: options.region,
      accountId: options.accountId,
      keys: options.keys,
      autoCreateKeys: options.autoCreateKeys,
    });
  } catch (error) {
    if (error instanceof KmsError) throw new LocalOptionError('keys', error.message);
    throw error;
  }
  const counts = { requests: 0, errors: 0, byOperation: {} as Record<string, number> };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      respondError(response, new KmsError('KMSInternalException', 'internal error', { cause: error }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    counts.requests++;
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : '';
    counts.byOperation[operation || '(none)'] = (counts.byOperation[operation || '(none)'] ?? 0) + 1;
    try {
      if (request.method !== 'POST') {
        throw new KmsError(
          'UnknownOperationException',
          `method ${request.method} is not supported; use POST`,
        );
      }
      if (body === undefined) {
        throw new KmsError('SerializationException', `request body exceeds ${MAX_BODY_BYTES} bytes`);
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new KmsError('SerializationException', 'request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new KmsError('SerializationException', 'request body must be a JSON object');
      }
      const result = dispatch(keyring, operation, target, input as Record<string, unknown>);
      response.writeHead(200, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() });
      response.end(JSON.stringify(result));
    } catch (error) {
      if (!(error instanceof KmsError)) throw error;
      respondError(response, error);
    }
  }

  function respondError(response: ServerResponse, error: KmsError): void {
    counts.errors++;
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.writeHead(error.statusCode, {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': error.name,
    });
    response.end(JSON.stringify({ __type: error.name, message: error.message }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    endpoint: `http://${urlHost(host)}:${port}`,
    host,
    port,
    region: keyring.region,
    accountId: keyring.accountId,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    keyring,
    decrypt: (input) => keyring.decrypt(input),
    stats: () => ({
      requests: counts.requests,
      errors: counts.errors,
      byOperation: { ...counts.byOperation },
    }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function dispatch(
  keyring: LocalKmsKeyring,
  operation: string,
  target: string | string[] | undefined,
  input: Record<string, unknown>,
): unknown {
  switch (operation) {
    case 'GenerateDataKey': {
      const keyId = requireString(input, 'KeyId');
      const context = optionalContext(input);
      const numberOfBytes = dataKeyLength(input);
      const out = keyring.generateDataKey({ keyId, numberOfBytes, encryptionContext: context });
      return {
        CiphertextBlob: base64(out.ciphertextBlob),
        KeyId: out.keyId,
        Plaintext: base64(out.plaintext),
      };
    }
    case 'Decrypt': {
      const blob = requireBlob(input, 'CiphertextBlob');
      const keyId = input.KeyId === undefined ? undefined : requireString(input, 'KeyId');
      const algorithm = input.EncryptionAlgorithm;
      if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
        throw new KmsError(
          'ValidationException',
          `EncryptionAlgorithm ${JSON.stringify(algorithm)} is not supported by the local KMS; use SYMMETRIC_DEFAULT`,
        );
      }
      const out = keyring.decrypt({ ciphertextBlob: blob, encryptionContext: optionalContext(input), keyId });
      return { EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyId: out.keyId, Plaintext: base64(out.plaintext) };
    }
    case 'Encrypt': {
      const keyId = requireString(input, 'KeyId');
      const plaintext = requireBlob(input, 'Plaintext');
      const out = keyring.encrypt({ keyId, plaintext, encryptionContext: optionalContext(input) });
      return {
        CiphertextBlob: base64(out.ciphertextBlob),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        KeyId: out.keyId,
      };
    }
    case 'DescribeKey': {
      const key = keyring.describeKey(requireString(input, 'KeyId'));
      return { KeyMetadata: keyMetadata(key, keyring.accountId) };
    }
    default:
      throw new KmsError(
        'UnknownOperationException',
        `X-Amz-Target ${JSON.stringify(target ?? null)} is not supported; the local KMS serves ${TARGET_PREFIX}GenerateDataKey, Decrypt, Encrypt and DescribeKey`,
      );
  }
}

function keyMetadata(key: LocalKmsKey, accountId: string): Record<string, unknown> {
  return {
    AWSAccountId: accountId,
    Arn: key.arn,
    CreationDate: key.creationDate.getTime() / 1000,
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    Description: '',
    Enabled: true,
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    KeyId: key.keyId,
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyState: 'Enabled',
    KeyUsage: 'ENCRYPT_DECRYPT',
    MultiRegion: false,
    Origin: 'AWS_KMS',
  };
}

function dataKeyLength(input: Record<string, unknown>): number {
  const { NumberOfBytes: bytes, KeySpec: spec } = input;
  if (bytes !== undefined && spec !== undefined) {
    throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec, not both.');
  }
  if (spec !== undefined) {
    if (spec === 'AES_256') return 32;
    if (spec === 'AES_128') return 16;
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value '${String(spec)}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
    );
  }
  if (bytes === undefined) {
    throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  if (typeof bytes !== 'number') {
    throw new KmsError(
      'SerializationException',
      `NumberOfBytes must be a number; received ${JSON.stringify(bytes)}`,
    );
  }
  return bytes;
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null and must be a non-empty string`,
    );
  }
  return value;
}

function requireBlob(input: Record<string, unknown>, field: string): Buffer {
  const value = input[field];
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new KmsError(
      'SerializationException',
      `${field} must be a base64 string; received ${value === undefined ? 'nothing' : typeof value}`,
    );
  }
  return Buffer.from(value, 'base64');
}

function optionalContext(input: Record<string, unknown>): Record<string, string> | undefined {
  const context = input.EncryptionContext;
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new KmsError('SerializationException', 'EncryptionContext must be an object of strings');
  }
  for (const [key, value] of Object.entries(context)) {
    if (typeof value !== 'string') {
      throw new KmsError(
        'SerializationException',
        `EncryptionContext[${JSON.stringify(key)}] must be a string; received ${typeof value}`,
      );
    }
  }
  return context as Record<string, string>;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
