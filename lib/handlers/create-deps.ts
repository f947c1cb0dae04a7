/**
 * The default dependencies of the handler cores, as a Lambda wrapper builds them once at module
 * scope.
 */
import os from 'node:os';
import path from 'node:path';
import { type AwsClientOptions, createEcsClient, createKmsClient, type RandomSource } from '../exec/index.ts';
import type { Clock } from '../shared/index.ts';
import type { HandlerDeps } from './deps.ts';
import { createDirectoryOutputStore, type OutputStore } from './output-store.ts';

/** Options of {@link createHandlerDeps}. */
export interface CreateHandlerDepsOptions {
  /**
   * Region, credentials and timeouts of the SDK clients.
   *
   * @default - the SDK's resolution: `AWS_REGION`, the role's credentials, and the endpoints of
   * `AWS_ENDPOINT_URL_ECS` / `AWS_ENDPOINT_URL_KMS` when set (the local emulator's, say)
   */
  readonly aws?: AwsClientOptions;
  /** @default - a directory store under the OS temporary directory */
  readonly outputStore?: OutputStore;
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
    outputStore: options.outputStore ?? createDirectoryOutputStore(path.join(os.tmpdir(), 'runbook-outputs')),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
}
