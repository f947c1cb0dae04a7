/**
 * The one fake clock of the tests: time moves only when the test says so.
 *
 * Manual (the default): timers fire only through {@link FakeClock.advance}, each at its own time,
 * as the session tests need to step through acks and resends. With `autoAdvance`, every wait
 * ends at once in wall time: on the next event-loop turn after a timer is set, time jumps to the
 * earliest pending timer and it fires, which is what the retry, polling and token-bucket tests
 * need (they assert the delays asked for and the times things happened, never wait for them).
 */
import type { Clock, TimerHandle } from '../../lib/shared/clock.ts';

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /** Epoch milliseconds at the start. @default 1_503_434_274_948 */
  readonly start?: number;
  /** Fire each timer on the next event-loop turn, jumping time to it. @default false */
  readonly autoAdvance?: boolean;
}

interface Timer {
  readonly at: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  /** Every delay asked of {@link setTimeout}, in order (a `sleep` asks one). */
  readonly delays: number[] = [];
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  readonly #autoAdvance: boolean;

  constructor(options: FakeClockOptions = {}) {
    this.#now = options.start ?? 1_503_434_274_948;
    this.#autoAdvance = options.autoAdvance ?? false;
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.delays.push(ms);
    this.#timers.set(id, { at: this.#now + ms, callback });
    if (this.#autoAdvance) setImmediate(() => this.#fireEarliest());
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order (each at its own time). */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to epoch milliseconds `target`, firing due timers in order. */
  advanceTo(target: number): void {
    if (target < this.#now) throw new RangeError(`FakeClock cannot go back from ${this.#now} to ${target}`);
    for (;;) {
      const due = this.#earliest(target);
      if (due === undefined) break;
      this.#fire(due);
    }
    this.#now = target;
  }

  #earliest(notAfter: number): [number, Timer] | undefined {
    let due: [number, Timer] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].at <= notAfter && (due === undefined || entry[1].at < due[1].at)) due = entry;
    }
    return due;
  }

  #fire([id, timer]: [number, Timer]): void {
    this.#timers.delete(id);
    this.#now = Math.max(this.#now, timer.at);
    timer.callback();
  }

  #fireEarliest(): void {
    const due = this.#earliest(Number.POSITIVE_INFINITY);
    if (due !== undefined) this.#fire(due);
  }
}

/** Lets queued deliveries (setImmediate) run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
