/**
 * The default dependencies of the handler cores, as a Lambda wrapper builds them once at module
 * scope.
 */
import os from 'node:os';
import path from 'node:path';
import { type AwsClientOptions, createEcsClient, createKmsClient, type RandomSource } from '../exec/index.ts';
import type { Clock } from '../shared/index.ts';
import type { HandlerDeps } from './deps.ts';
import { FUNCTION_ENV } from './function-settings.ts';
import { createDirectoryOutputStore, type OutputStore } from './output-store.ts';
import { createS3OutputStore } from './s3-output-store.ts';

/** Options of {@link createHandlerDeps}. */
export interface CreateHandlerDepsOptions {
  /**
   * Region, credentials and timeouts of the SDK clients.
   *
   * @default - the SDK's resolution: `AWS_REGION`, the role's credentials, and the endpoints of
   * `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL_KMS` when set (the local emulator's, say)
   */
  readonly aws?: AwsClientOptions;
  /**
   * @default - the S3 store (./s3-output-store.ts) when `OUTPUT_BUCKET` is set (the stack sets
   * it on the step functions), else a directory store under the OS temporary directory
   */
  readonly outputStore?: OutputStore;
  /** Where `OUTPUT_BUCKET` is read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: RandomSource;
}

/**
 * The handler cores' dependencies with real SDK clients (`maxAttempts: 1`: lib/exec owns every
 * retry). Creating them makes no network call, so a Lambda module can call this at its top
 * level; the first request resolves region, credentials and endpoints.
 *
 * @example
 * const deps = createHandlerDeps();
 * export const handler = async (event: unknown) => invokeExecFn(event, deps);
 */
export function createHandlerDeps(options: CreateHandlerDepsOptions = {}): HandlerDeps {
  const aws = options.aws ?? {};
  return {
    ecs: createEcsClient(aws),
    kms: createKmsClient(aws),
    outputStore: options.outputStore ?? defaultOutputStore(options.env ?? process.env),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
}

/** The S3 store when the function has an output bucket, else a directory under the OS temporary directory. */
function defaultOutputStore(env: Readonly<Record<string, string | undefined>>): OutputStore {
  const bucket = env[FUNCTION_ENV.outputBucket];
  return bucket !== undefined && bucket !== ''
    ? createS3OutputStore()
    : createDirectoryOutputStore(path.join(os.tmpdir(), 'runbook-outputs'));
}
