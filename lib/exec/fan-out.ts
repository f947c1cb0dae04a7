/**
 * Fan-out: one command over many targets, with a concurrency limit, one session at a time per
 * container, and an error budget.
 *
 * The budget has Step Functions' semantics (`ToleratedFailureCount` / `…Percentage`): it is
 * exceeded when the failures, every status but `succeeded`, exceed the tolerated count or
 * percentage of all targets. Once it is exceeded no new target starts: the remaining ones get
 * status `cancelled` with error `ErrorBudgetExceeded`, because the run has already failed and
 * starting more commands would only touch more containers for a result that cannot change.
 * Targets already running finish normally; killing a command halfway could leave a container
 * worse off than letting it end.
 */

import { setMaxListeners } from 'node:events';
import { abortReason, type Clock, systemClock } from '../shared/clock.ts';
import { DEFAULT_FAN_OUT_CONCURRENCY } from '../shared/defaults.ts';
import { ExecUsageError } from './errors.ts';
import { notStartedRecord } from './internal/records.ts';
import type { ExecErrorInfo, ExecResult } from './result.ts';
import type { ResolvedTarget } from './targets.ts';

/** How many failures a fan-out tolerates: a count, or a percentage of all targets. */
export type Tolerate = { readonly count: number } | { readonly percent: number };

/** The outcome of a fan-out as a whole. */
export interface FanOutSummary {
  readonly total: number;
  readonly succeeded: number;
  /** Every target whose status is not `succeeded` (failed, error, timed_out, cancelled). */
  readonly failed: number;
  /** The failures the budget allows for this many targets. */
  readonly toleratedFailures: number;
  /** `failed > toleratedFailures`: the fan-out failed (ErrorBudgetExceeded). */
  readonly budgetExceeded: boolean;
}

/** Results in target order, and the summary. */
export interface FanOutResult {
  readonly results: ExecResult[];
  readonly summary: FanOutSummary;
}

/** Options of {@link fanOut}. */
export interface FanOutOptions {
  /** Targets running at once. @default 10 */
  readonly concurrency?: number;
  /** @default { count: 0 } */
  readonly tolerate?: Tolerate;
  /** Cancels the fan-out: running targets are aborted, pending ones get status `cancelled`. */
  readonly signal?: AbortSignal;
  /** Called as each target's record is ready (started or not), for progress output. */
  readonly onResult?: (result: ExecResult, index: number) => void;
}

/** Dependencies of {@link fanOut}. */
export interface FanOutDeps {
  /**
   * Which containers have a session open; share one between fan-outs that may reach the same
   * containers at the same time.
   *
   * @default - a new registry for this fan-out
   */
  readonly locks?: ContainerLocks;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Runs one target; must resolve to a record (never reject) for per-target failures. */
export type RunTarget = (target: ResolvedTarget, signal: AbortSignal) => Promise<ExecResult>;

const DEFAULTS = {
  concurrency: DEFAULT_FAN_OUT_CONCURRENCY,
  tolerate: { count: 0 },
} as const satisfies FanOutOptions;

/**
 * Parses a user's tolerance: `N` (a count) or `P%` (a percentage, decimals allowed); throws
 * {@link ExecUsageError} for anything else.
 */
export function parseTolerate(text: string | number): Tolerate {
  if (typeof text === 'number') return validateTolerate({ count: text });
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) return validateTolerate({ percent: Number(percent[1]) });
  if (/^\d+$/.test(trimmed)) return validateTolerate({ count: Number(trimmed) });
  throw new ExecUsageError(
    `Tolerated failures must be a count (e.g. 2) or a percentage (e.g. 10%); received ${JSON.stringify(text)}`,
  );
}

/** Checks a {@link Tolerate}; throws {@link ExecUsageError} for a negative or fractional count, or a percentage outside 0–100. */
export function validateTolerate(tolerate: Tolerate): Tolerate {
  if ('count' in tolerate) {
    if (!(Number.isSafeInteger(tolerate.count) && tolerate.count >= 0)) {
      throw new ExecUsageError(
        `Tolerated failure count must be an integer ≥ 0; received ${JSON.stringify(tolerate.count)}`,
      );
    }
  } else if (!(Number.isFinite(tolerate.percent) && tolerate.percent >= 0 && tolerate.percent <= 100)) {
    throw new ExecUsageError(
      `Tolerated failure percentage must be between 0 and 100; received ${JSON.stringify(tolerate.percent)}`,
    );
  }
  return tolerate;
}

/**
 * The failures tolerated among `total` targets. A percentage P tolerates ⌊total·P/100⌋, so
 * "failures > tolerated" is exactly Step Functions' "failure percentage > P".
 */
export function toleratedFailuresOf(tolerate: Tolerate, total: number): number {
  if ('count' in tolerate) return tolerate.count;
  // The epsilon keeps 10% of 30 at 3 despite binary fractions.
  return Math.floor((total * tolerate.percent) / 100 + 1e-9);
}

/** The summary of finished results. */
export function summarize(results: readonly ExecResult[], tolerate: Tolerate): FanOutSummary {
  const total = results.length;
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  const failed = total - succeeded;
  const toleratedFailures = toleratedFailuresOf(tolerate, total);
  return { total, succeeded, failed, toleratedFailures, budgetExceeded: failed > toleratedFailures };
}

/** The exclusivity key of a target: its task and container. */
export function containerKey(target: Pick<ResolvedTarget, 'taskArn' | 'container'>): string {
  return `${target.taskArn}#${target.container}`;
}

/**
 * Which containers have a session open, so that no container gets two at once (the exec agent
 * allows only a small number of concurrent sessions per container, docs/protocol.md §10).
 */
export class ContainerLocks {
  readonly #held = new Set<string>();
  #waiters: Array<() => void> = [];

  /** Whether `key` is held. */
  isHeld(key: string): boolean {
    return this.#held.has(key);
  }

  /** Takes `key` if it is free; returns its release function, or `undefined` when it is held. */
  tryAcquire(key: string): (() => void) | undefined {
    if (this.#held.has(key)) return undefined;
    this.#held.add(key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held.delete(key);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    };
  }

  /** Resolves at the next release of any key; rejects with the abort reason when `signal` aborts. */
  nextRelease(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(abortReason(signal as AbortSignal));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Runs `run` over `targets`, at most `concurrency` at once and never two at once on one
 * container, and applies the error budget. Results come back in target order.
 *
 * A target whose container is busy (the same container listed twice, or a session of another
 * fan-out sharing `deps.locks`) waits while other targets go ahead. Rejects only when `run`
 * itself rejects (a broken invariant): the other targets are then aborted first.
 */
export async function fanOut(
  targets: readonly ResolvedTarget[],
  run: RunTarget,
  options: FanOutOptions = {},
  deps: FanOutDeps = {},
): Promise<FanOutResult> {
  const resolved = { ...DEFAULTS, ...options };
  const concurrency = resolved.concurrency;
  if (!(Number.isSafeInteger(concurrency) && concurrency >= 1)) {
    throw new ExecUsageError(`Concurrency must be an integer ≥ 1; received ${JSON.stringify(concurrency)}`);
  }
  const tolerate = validateTolerate(resolved.tolerate);
  const locks = deps.locks ?? new ContainerLocks();
  const clock = deps.clock ?? systemClock;
  const tolerated = toleratedFailuresOf(tolerate, targets.length);

  // One controller for every target: the caller's signal, or a broken invariant, aborts them all.
  const controller = new AbortController();
  // Every running target's SDK calls and session listen on it at once: that is by design, not
  // the leak Node's default limit of 10 listeners warns about.
  setMaxListeners(Math.max(10, concurrency * 8), controller.signal);
  const onOuterAbort = (): void => controller.abort(abortReason(options.signal as AbortSignal));
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const results: Array<ExecResult | undefined> = new Array(targets.length).fill(undefined);
  const pending: number[] = targets.map((_, index) => index);
  let failures = 0;
  let budgetExceeded = false;
  let crash: { error: unknown } | undefined;

  const takeNext = (): { index: number; release: () => void } | undefined => {
    for (let i = 0; i < pending.length; i++) {
      const index = pending[i] as number;
      const release = locks.tryAcquire(containerKey(targets[index] as ResolvedTarget));
      if (release) {
        pending.splice(i, 1);
        return { index, release };
      }
    }
    return undefined;
  };

  const worker = async (): Promise<void> => {
    while (!budgetExceeded && !controller.signal.aborted && pending.length > 0) {
      const next = takeNext();
      if (next === undefined) {
        try {
          await locks.nextRelease(controller.signal);
        } catch {
          return;
        }
        continue;
      }
      const target = targets[next.index] as ResolvedTarget;
      let result: ExecResult;
      try {
        result = await run(target, controller.signal);
      } catch (error) {
        crash ??= { error };
        controller.abort(error);
        return;
      } finally {
        next.release();
      }
      results[next.index] = result;
      if (result.status !== 'succeeded') {
        failures++;
        if (failures > tolerated) budgetExceeded = true;
      }
      options.onResult?.(result, next.index);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, targets.length)) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (crash) throw crash.error;

  const now = clock.now();
  // A cancellation says why the run stopped even when the budget had also been exceeded.
  const notStarted: ExecErrorInfo = controller.signal.aborted
    ? {
        name: 'SessionInterrupted',
        message: `Not started: the run was cancelled (${describeReason(controller.signal)})`,
        hint: 'The fan-out was cancelled before this target started; nothing ran in its container.',
      }
    : {
        name: 'ErrorBudgetExceeded',
        message: `Not started: ${failures} targets had failed, more than the ${tolerated} tolerated`,
        hint: 'The fan-out stops starting targets once its error budget is exceeded; fix the failures above and run again.',
      };
  const complete = results.map((result, index) => {
    if (result) return result;
    const record = notStartedRecord(targets[index] as ResolvedTarget, now, notStarted);
    options.onResult?.(record, index);
    return record;
  });
  return { results: complete, summary: summarize(complete, tolerate) };
}

function describeReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}
