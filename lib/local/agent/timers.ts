/**
 * Timers a session owns, so ending it clears every one of them.
 */

/** Waits `ms`; resolves `true` when the time passed, `false` when `signal` aborted first. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Yields to the event loop (so acks and resends get their turn); `false` when aborted. */
export function yieldToLoop(signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => setImmediate(() => resolve(!signal.aborted)));
}

/** One-shot and repeating timers cleared together. */
export class TimerSet {
  readonly #timeouts = new Set<NodeJS.Timeout>();
  readonly #intervals = new Set<NodeJS.Timeout>();

  after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timeouts.delete(timer);
      run();
    }, ms);
    this.#timeouts.add(timer);
    return timer;
  }

  every(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setInterval(run, ms);
    this.#intervals.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    clearInterval(timer);
    this.#timeouts.delete(timer);
    this.#intervals.delete(timer);
  }

  clear(): void {
    for (const timer of this.#timeouts) clearTimeout(timer);
    for (const timer of this.#intervals) clearInterval(timer);
    this.#timeouts.clear();
    this.#intervals.clear();
  }
}
