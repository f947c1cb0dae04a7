/**
 * Waiting, backing off and rate limiting, on an injected clock.
 *
 * Everything here takes a {@link Clock} and a random source so tests run on fake time; the
 * real ones are {@link systemClock} and `Math.random`.
 */
import { abortReason, type Clock, sleep, systemClock } from '../shared/clock.ts';

/** A number in `[0, 1)`, like `Math.random`. */
export type RandomSource = () => number;

/** Exponential backoff parameters. */
export interface BackoffOptions {
  /** The first attempt's ceiling. */
  readonly baseMs: number;
  /** The ceiling never grows past this. */
  readonly capMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): "full jitter", a uniform
 * draw in `[0, min(cap, base · 2^attempt))`.
 *
 * Full jitter spreads the retries of many callers that failed together (a fan-out hitting a
 * throttle) instead of moving them in lockstep.
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: RandomSource): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Tokens the bucket holds when full (and at the start). */
  readonly burst: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * A token bucket: `burst` calls at once, then `ratePerSecond` on average.
 *
 * ECS's own ExecuteCommand limit is a bucket of 100 with 40/s refill per account and region,
 * shared with RunTask/StartTask/StopTask, so a fan-out spends its own smaller bucket first.
 * Waiters are served in arrival order.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;
  /** Chains waiters so that tokens go out first come, first served. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions) {
    if (!(Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0)) {
      throw new RangeError(
        `TokenBucket ratePerSecond must be a positive finite number; received ${String(options.ratePerSecond)}`,
      );
    }
    if (!(Number.isInteger(options.burst) && options.burst >= 1)) {
      throw new RangeError(`TokenBucket burst must be an integer ≥ 1; received ${String(options.burst)}`);
    }
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = options.burst;
    this.#updatedAt = this.#clock.now();
  }

  /** Tokens available now (fractional while refilling). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes one token if one is available now, without waiting. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Takes one token, waiting for the refill when the bucket is empty; rejects with the abort
   * reason when `signal` aborts first (the token is then not spent).
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#takeInTurn(signal));
    // The next waiter starts after this one, whether this one got its token or was aborted.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #takeInTurn(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      if (this.tryTake()) return;
      const waitMs = Math.ceil(((1 - this.#tokens) * 1_000) / this.ratePerSecond);
      await sleep(this.#clock, Math.max(1, waitMs), signal);
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1_000);
      this.#updatedAt = now;
    }
  }
}

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Retries after the first try; the call runs at most `maxRetries + 1` times. */
  readonly maxRetries: number;
  readonly backoff: BackoffOptions;
  /** Whether an error is worth another try. */
  readonly shouldRetry: (error: unknown) => boolean;
  /** Called before each wait, so callers can count retries even when the last one fails. */
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly signal?: AbortSignal;
}

/**
 * Runs `call` until it resolves, a non-retryable error, or `maxRetries` retries, sleeping a
 * full-jitter backoff between tries; rethrows the last error. An abort during a wait rejects
 * with the signal's reason.
 */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  for (let retry = 0; ; retry++) {
    try {
      return await call();
    } catch (error) {
      if (retry >= options.maxRetries || !options.shouldRetry(error) || options.signal?.aborted) throw error;
      const delayMs = fullJitterDelay(retry, options.backoff, random);
      options.onRetry?.(error, retry + 1, delayMs);
      await sleep(clock, delayMs, options.signal);
    }
  }
}
