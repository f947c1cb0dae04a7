import { describe, expect, it } from 'vitest';
import { fullJitterDelay, TokenBucket, withRetries } from '../../lib/exec/retry.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { sequence } from './fixtures.ts';

describe('fullJitterDelay', () => {
  it.each([
    [0, 0.5, 50],
    [1, 0.5, 100],
    [3, 0.999, 799],
    [10, 0.5, 500],
    [10, 0, 0],
  ])('draws below min(cap, base·2^attempt) for attempt %i and random %d', (attempt, r, expected) => {
    expect(fullJitterDelay(attempt, { baseMs: 100, capMs: 1_000 }, () => r)).toBe(expected);
  });
});

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate seconds', async () => {
    // Arrange
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const bucket = new TokenBucket({ ratePerSecond: 20, burst: 20, clock });
    const grantedAt: number[] = [];
    // Act
    for (let i = 0; i < 25; i++) {
      await bucket.take();
      grantedAt.push(clock.now());
    }
    // Assert
    expect(grantedAt.slice(0, 20)).toEqual(new Array(20).fill(0));
    expect(grantedAt.slice(20)).toEqual([50, 100, 150, 200, 250]);
  });

  it('serves concurrent takers in arrival order without overspending', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, clock });
    const order: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (n) => {
        await bucket.take();
        order.push([n, clock.now()]);
      }),
    );
    expect(order).toEqual([
      [0, 0],
      [1, 0],
      [2, 100],
      [3, 200],
      [4, 300],
    ]);
  });

  it('refills up to the burst and no further after idle time', () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 3, clock });
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.advance(10_000);
    expect(bucket.available).toBe(3);
  });

  it('rejects a take with the abort reason when the signal aborts', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, clock });
    await bucket.take();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(bucket.take(controller.signal)).rejects.toThrow('stop');
    expect(bucket.tryTake()).toBe(false);
  });

  it.each([
    [{ ratePerSecond: 0, burst: 1 }, /ratePerSecond must be a positive finite number; received 0/],
    [{ ratePerSecond: 1, burst: 0.5 }, /burst must be an integer ≥ 1; received 0.5/],
  ])('throws for invalid options %j', (options, message) => {
    expect(() => new TokenBucket(options)).toThrow(message);
  });
});

describe('withRetries', () => {
  it('retries retryable errors with jittered sleeps and returns the value', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    let calls = 0;
    const retries: number[] = [];
    const value = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new Error('again');
        return 'ok';
      },
      {
        maxRetries: 5,
        backoff: { baseMs: 100, capMs: 1_000 },
        shouldRetry: () => true,
        onRetry: (_e, retry) => retries.push(retry),
        clock,
        random: sequence(0.5, 0.5),
      },
    );
    expect(value).toBe('ok');
    expect(retries).toEqual([1, 2]);
    expect(clock.delays).toEqual([50, 100]);
  });

  it('rethrows the last error once the retries are spent', async () => {
    let calls = 0;
    const run = withRetries(
      async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      {
        maxRetries: 2,
        backoff: { baseMs: 1, capMs: 1 },
        shouldRetry: () => true,
        clock: new FakeClock({ autoAdvance: true }),
      },
    );
    await expect(run).rejects.toThrow('fail 3');
  });

  it('rethrows at once an error that is not retryable', async () => {
    let calls = 0;
    const run = withRetries(
      async () => {
        calls++;
        throw new Error('fatal');
      },
      {
        maxRetries: 5,
        backoff: { baseMs: 1, capMs: 1 },
        shouldRetry: () => false,
        clock: new FakeClock({ autoAdvance: true }),
      },
    );
    await expect(run).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });
});
