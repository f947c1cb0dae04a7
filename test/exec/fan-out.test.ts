import { describe, expect, it } from 'vitest';
import { ExecUsageError } from '../../lib/exec/errors.ts';
import {
  ContainerLocks,
  fanOut,
  parseTolerate,
  summarize,
  toleratedFailuresOf,
} from '../../lib/exec/fan-out.ts';
import type { ExecStatus } from '../../lib/exec/result.ts';
import type { ResolvedTarget } from '../../lib/exec/targets.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { record, target } from './fixtures.ts';

/** Resolves on the next macrotask, so that concurrent runs interleave. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('toleratedFailuresOf', () => {
  it.each([
    [{ count: 0 }, 20, 0],
    [{ count: 3 }, 20, 3],
    [{ percent: 10 }, 20, 2],
    [{ percent: 10 }, 30, 3],
    [{ percent: 5 }, 19, 0],
    [{ percent: 100 }, 7, 7],
    [{ percent: 33.3 }, 10, 3],
  ])('tolerates %j of %i targets as %i failures', (tolerate, total, expected) => {
    expect(toleratedFailuresOf(tolerate, total)).toBe(expected);
  });
});

describe('parseTolerate', () => {
  it.each([
    ['0', { count: 0 }],
    ['5', { count: 5 }],
    ['10%', { percent: 10 }],
    ['2.5%', { percent: 2.5 }],
    [3, { count: 3 }],
  ])('parses %j', (text, expected) => {
    expect(parseTolerate(text)).toEqual(expected);
  });

  it.each(['-1', '101%', 'ten', '1.5', ''])('throws a usage error for %j', (text) => {
    expect(() => parseTolerate(text)).toThrow(ExecUsageError);
  });
});

describe('summarize', () => {
  it('counts every status but succeeded as a failure and compares with the budget', () => {
    const statuses: ExecStatus[] = ['succeeded', 'failed', 'error', 'timed_out', 'cancelled', 'succeeded'];
    const results = statuses.map((s, i) => record(target(i), s));
    expect(summarize(results, { count: 4 })).toEqual({
      total: 6,
      succeeded: 2,
      failed: 4,
      toleratedFailures: 4,
      budgetExceeded: false,
    });
    expect(summarize(results, { percent: 50 }).budgetExceeded).toBe(true);
  });
});

describe('fanOut', () => {
  it('returns results in target order and never exceeds the concurrency', async () => {
    // Arrange
    const targets = Array.from({ length: 12 }, (_, i) => target(i));
    let running = 0;
    let maxRunning = 0;
    // Act
    const { results, summary } = await fanOut(
      targets,
      async (t) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Later targets finish first, so completion order differs from target order.
        for (let i = 0; i < 12 - Number.parseInt(t.taskId, 16); i++) await tick();
        running--;
        return record(t, 'succeeded');
      },
      { concurrency: 3 },
    );
    // Assert
    expect(results.map((r) => r.taskId)).toEqual(targets.map((t) => t.taskId));
    expect(maxRunning).toBe(3);
    expect(summary).toEqual({
      total: 12,
      succeeded: 12,
      failed: 0,
      toleratedFailures: 0,
      budgetExceeded: false,
    });
  });

  it('never runs two targets on one container at once', async () => {
    const shared = target(1);
    const targets = [shared, target(2), shared, shared, target(3), shared];
    const active = new Set<string>();
    let overlaps = 0;
    const { summary } = await fanOut(
      targets,
      async (t) => {
        const key = `${t.taskArn}#${t.container}`;
        if (active.has(key)) overlaps++;
        active.add(key);
        await tick();
        await tick();
        active.delete(key);
        return record(t, 'succeeded');
      },
      { concurrency: 4 },
    );
    expect(overlaps).toBe(0);
    expect(summary.succeeded).toBe(6);
  });

  it('waits for a container held by another fan-out sharing the locks', async () => {
    const locks = new ContainerLocks();
    const t = target(7);
    const release = locks.tryAcquire(`${t.taskArn}#${t.container}`);
    let started = false;
    const run = fanOut(
      [t],
      async (x) => {
        started = true;
        return record(x, 'succeeded');
      },
      {},
      { locks },
    );
    await tick();
    expect(started).toBe(false);
    release?.();
    const { summary } = await run;
    expect(started).toBe(true);
    expect(summary.succeeded).toBe(1);
  });

  it('keeps going while failures stay within the budget', async () => {
    const targets = Array.from({ length: 10 }, (_, i) => target(i));
    const { results, summary } = await fanOut(
      targets,
      async (t) => record(t, t.taskId.endsWith('3') || t.taskId.endsWith('6') ? 'failed' : 'succeeded'),
      { concurrency: 2, tolerate: { percent: 20 } },
    );
    expect(results.filter((r) => r.status === 'cancelled')).toHaveLength(0);
    expect(summary).toEqual({
      total: 10,
      succeeded: 8,
      failed: 2,
      toleratedFailures: 2,
      budgetExceeded: false,
    });
  });

  it('reports ErrorBudgetExceeded and starts no new target once the budget is exceeded', async () => {
    // Arrange
    const targets = Array.from({ length: 10 }, (_, i) => target(i));
    const started: number[] = [];
    // Act
    const { results, summary } = await fanOut(
      targets,
      async (t) => {
        const n = Number.parseInt(t.taskId, 16);
        started.push(n);
        return record(t, n === 1 || n === 2 ? 'failed' : 'succeeded');
      },
      { concurrency: 1, tolerate: { count: 1 } },
      { clock: new FakeClock({ autoAdvance: true }) },
    );
    // Assert
    expect(started).toEqual([0, 1, 2]);
    expect(results.slice(3).map((r) => [r.status, r.error?.name])).toEqual(
      new Array(7).fill(['cancelled', 'ErrorBudgetExceeded']),
    );
    expect(summary).toEqual({
      total: 10,
      succeeded: 1,
      failed: 9,
      toleratedFailures: 1,
      budgetExceeded: true,
    });
  });

  it('cancels pending targets and aborts running ones when the signal aborts', async () => {
    const controller = new AbortController();
    const targets = Array.from({ length: 4 }, (_, i) => target(i));
    const run = fanOut(
      targets,
      (t, signal) =>
        new Promise<ReturnType<typeof record>>((resolve) => {
          signal.addEventListener('abort', () => resolve(record(t, 'cancelled')), { once: true });
        }),
      { concurrency: 2, signal: controller.signal },
    );
    await tick();
    controller.abort(new Error('user pressed Ctrl-C'));
    const { results, summary } = await run;
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(results[3]?.error?.message).toContain('user pressed Ctrl-C');
    expect(summary.budgetExceeded).toBe(true);
  });

  it('rejects when a run rejects, after aborting the others', async () => {
    const targets = [target(0), target(1)];
    let aborted = false;
    const run = fanOut(
      targets,
      (t: ResolvedTarget, signal) =>
        t.taskId.endsWith('0')
          ? Promise.reject(new Error('bug'))
          : new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve(record(t, 'cancelled'));
              });
            }),
      { concurrency: 2 },
    );
    await expect(run).rejects.toThrow('bug');
    expect(aborted).toBe(true);
  });

  it.each([0, 1.5, -2])('throws a usage error for concurrency %d', async (concurrency) => {
    await expect(fanOut([], async (t) => record(t, 'succeeded'), { concurrency })).rejects.toThrow(
      /Concurrency must be an integer ≥ 1; received/,
    );
  });
});
