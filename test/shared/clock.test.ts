import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, MAX_TIMER_MS, sleep, systemClock } from '../../lib/shared/clock.ts';
import { FakeClock, flush } from '../helpers/fake-clock.ts';

describe('sleep', () => {
  it('resolves once the clock has moved by the delay, not before', async () => {
    // Arrange
    const clock = new FakeClock({ start: 0 });
    let done = false;
    const waiting = sleep(clock, 1_000).then(() => {
      done = true;
    });
    // Act
    clock.advance(999);
    await flush();
    const early = done;
    clock.advance(1);
    await waiting;
    // Assert
    expect(early).toBe(false);
    expect(done).toBe(true);
    expect(clock.delays).toEqual([1_000]);
  });

  it('rejects with the abort reason and clears its timer when the signal aborts during the wait', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const waiting = sleep(clock, 10_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once, setting no timer, when the signal has already aborted', async () => {
    const clock = new FakeClock();
    await expect(sleep(clock, 5, AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(clock.delays).toEqual([]);
  });

  it('rejects when the signal aborts while the timer is being set', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const aborting: Clock = {
      now: () => clock.now(),
      setTimeout: (callback, ms) => {
        controller.abort(new Error('stop now'));
        return clock.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    await expect(sleep(aborting, 100, controller.signal)).rejects.toThrow('stop now');
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits on real timers with the system clock', async () => {
    const started = Date.now();
    await sleep(systemClock, 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('holds a delay above the timer maximum at the maximum instead of overflowing', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const handle = systemClock.setTimeout(() => undefined, MAX_TIMER_MS * 2);
    systemClock.clearTimeout(handle);
    expect(spy).toHaveBeenCalledWith(expect.any(Function), MAX_TIMER_MS);
  });
});

describe('FakeClock', () => {
  it('fires timers in time order when advanced past several', () => {
    const clock = new FakeClock({ start: 0 });
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['late', clock.now()]), 30);
    clock.setTimeout(() => fired.push(['early', clock.now()]), 10);
    clock.advance(50);
    expect(fired).toEqual([
      ['early', 10],
      ['late', 30],
    ]);
    expect(clock.now()).toBe(50);
  });

  it('with autoAdvance, ends each wait on the next turn with time at its end', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    await sleep(clock, 250);
    await sleep(clock, 750);
    expect(clock.now()).toBe(1_000);
    expect(clock.delays).toEqual([250, 750]);
  });
});
