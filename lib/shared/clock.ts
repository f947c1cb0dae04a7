/**
 * The one time source of the project: wall-clock milliseconds and one-shot timers.
 *
 * Every room that waits (the session's timeouts and resends, lib/exec's polling, backoff and
 * token bucket, the handlers' retries, the local runner's own timers) takes a {@link Clock}, so
 * a test drives all of them with one fake. Nothing that takes a clock reads `Date.now()` or
 * calls `setTimeout` directly.
 */

/** The longest delay a Node timer holds: 2^31−1 ms, about 24.8 days; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** A clock: `now()` in epoch milliseconds plus one-shot timers. */
export interface Clock {
  /** Epoch milliseconds (result records and session messages derive their timestamps from it). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The process clock: `Date.now()` and Node's timers. A delay above {@link MAX_TIMER_MS} waits
 * {@link MAX_TIMER_MS} instead of overflowing to 1 ms.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, MAX_TIMER_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The reason a wait was cut short by its signal: the signal's reason, or an `AbortError`. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Resolves after `ms` milliseconds of `clock`'s time; rejects with the abort reason
 * ({@link abortReason}) when `signal` aborts first, and the timer is then cleared.
 *
 * @example
 * await sleep(clock, fullJitterDelay(retry, backoff, random), signal);
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    // The signal may abort while the timer is being set (a test clock can do so).
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
