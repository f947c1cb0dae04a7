/**
 * Retry policies as ASL: whole seconds, the Retrier of a step's `retry`, the longest wait.
 */
import type { Retry } from '../../runbook/model.ts';
import type { Json, JsonObject } from '../asl.ts';

export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The longest total wait between the tries of a retry policy (whole seconds, rounded up). */
export function retryWaitSeconds(
  retry: { attempts: number; intervalMs: number; backoff: number; maxIntervalMs?: number } | undefined,
): number {
  if (!retry) return 0;
  let totalMs = 0;
  for (let i = 0; i < retry.attempts - 1; i++) {
    const wait = retry.intervalMs * retry.backoff ** i;
    totalMs += retry.maxIntervalMs === undefined ? wait : Math.min(wait, retry.maxIntervalMs);
  }
  return Math.ceil(totalMs / 1000);
}

/** A step's `retry` as one Retrier on `errors`; undefined when it allows a single try. */
export function retriers(retry: Retry | undefined, errors: readonly string[]): Json[] | undefined {
  if (!retry || retry.attempts <= 1) return undefined;
  const retrier: JsonObject = {
    ErrorEquals: [...errors],
    IntervalSeconds: seconds(retry.intervalMs),
    MaxAttempts: retry.attempts - 1,
    BackoffRate: retry.backoff,
  };
  if (retry.maxIntervalMs !== undefined) retrier.MaxDelaySeconds = seconds(retry.maxIntervalMs);
  return [retrier];
}
