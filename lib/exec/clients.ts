/**
 * The ECS and KMS clients lib/exec uses.
 *
 * `maxAttempts: 1` everywhere: lib/exec owns, counts and bounds every retry (docs/errors.md), so
 * the SDK's own retry strategy must not add hidden ones. Endpoint, region and credentials fall
 * back to the SDK's standard resolution: `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL_KMS`,
 * `AWS_REGION`, `AWS_PROFILE` and the default credential chain.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';

/** Static credentials, e.g. the dummy ones the local emulator accepts. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Options shared by {@link createEcsClient} and {@link createKmsClient}. */
export interface AwsClientOptions {
  /**
   * The service endpoint, e.g. the local emulator's.
   *
   * @default - the SDK's resolution (`AWS_ENDPOINT_URL_ECS` / `_KMS`, then AWS's endpoint)
   */
  readonly endpoint?: string;
  /** @default - the SDK's resolution (`AWS_REGION`, the profile's region) */
  readonly region?: string;
  /** @default - the SDK's default credential chain (environment, `AWS_PROFILE`, role) */
  readonly credentials?: StaticCredentials;
  /**
   * Bound on one HTTP request: no response within it fails the call (a retryable
   * ServerException-class error in lib/exec).
   *
   * @default 30_000
   */
  readonly requestTimeoutMs?: number;
  /** @default 5_000 */
  readonly connectionTimeoutMs?: number;
}

const DEFAULTS = { requestTimeoutMs: 30_000, connectionTimeoutMs: 5_000 } as const satisfies AwsClientOptions;

function clientConfig(options: AwsClientOptions) {
  const resolved = { ...DEFAULTS, ...options };
  return {
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: resolved.requestTimeoutMs,
      connectionTimeout: resolved.connectionTimeoutMs,
    },
    ...(resolved.endpoint !== undefined ? { endpoint: resolved.endpoint } : {}),
    ...(resolved.region !== undefined ? { region: resolved.region } : {}),
    ...(resolved.credentials !== undefined ? { credentials: { ...resolved.credentials } } : {}),
  };
}

/**
 * An `ECSClient` with `maxAttempts: 1`.
 *
 * @example
 * const ecs = createEcsClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
 */
export function createEcsClient(options: AwsClientOptions = {}): ECSClient {
  return new ECSClient(clientConfig(options));
}

/** A `KMSClient` with `maxAttempts: 1`, for sessions on clusters that encrypt exec with KMS. */
export function createKmsClient(options: AwsClientOptions = {}): KMSClient {
  return new KMSClient(clientConfig(options));
}
