/**
 * The time source of a session: wall-clock milliseconds and one-shot timers.
 *
 * Injected so that stream bookkeeping (RTO samples) and every timeout run off one clock a test
 * can drive; nothing in `lib/session` reads `Date.now()` or calls `setTimeout` directly.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** A clock: `now()` in epoch milliseconds plus one-shot timers. */
export interface Clock {
  /** Epoch milliseconds; also written as each message's CreatedDate. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
