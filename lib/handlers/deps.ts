/**
 * What every handler core is given: the clients, where full outputs go, and the clock; plus what
 * one invocation may add (a cancellation signal, a progress observer).
 *
 * The Lambda wrappers create the clients once at module scope and inject them; the local runner
 * injects clients pointed at the emulator and a directory output store.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { ContainerLocks, ExecResult, RandomSource } from '../exec/index.ts';
import type { DataKeyProvider } from '../session/index.ts';
import type { Clock } from '../shared/index.ts';
import type { OutputStore } from './output-store.ts';

/** The dependencies of the handler cores. */
export interface HandlerDeps {
  readonly ecs: ECSClient;
  /** @default - a KMS client made on first use (only KMS-encrypted clusters need one) */
  readonly kms?: DataKeyProvider | KMSClient;
  /** Where each target's whole output goes. */
  readonly outputStore: OutputStore;
  /** @default systemClock */
  readonly clock?: Clock;
  /** For `pick: random` and backoff jitter. @default Math.random */
  readonly random?: RandomSource;
  /**
   * Which containers have a session open. Share one between handlers running in one process
   * (the local runner's concurrent batches) so no container gets two sessions at once.
   *
   * @default - a new registry per invocation
   */
  readonly locks?: ContainerLocks;
}

/** What one invocation adds to the dependencies. */
export interface HandlerInvocation {
  /** Cancels the invocation: running commands are interrupted, waits end. */
  readonly signal?: AbortSignal;
  /**
   * Receives each target's record as soon as it is final, for progress output; `attempt` counts
   * a batch's per-target retries from 1.
   */
  readonly onResult?: (result: ExecResult, attempt: number) => void;
}
