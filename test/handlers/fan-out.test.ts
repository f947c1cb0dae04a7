/**
 * The fan-out handler cores: targets and batch against the local emulator, summary on data.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecResult } from '../../lib/exec/result.ts';
import { retryDelayMs, runBatch } from '../../lib/handlers/batch.ts';
import type {
  BatchEvent,
  BatchTargetResult,
  FanOutStepValue,
  InlineTargets,
  SummaryEvent,
  TargetsEvent,
} from '../../lib/handlers/events.ts';
import { summarizeFanOut } from '../../lib/handlers/fan-out-summary.ts';
import { createDirectoryOutputStore } from '../../lib/handlers/output-store.ts';
import { batchesOf, resolveFanOutTargets } from '../../lib/handlers/targets.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { TaskError } from '../../lib/shared/errors.ts';
import { closeHarnesses, startHarness } from './harness.ts';

afterEach(closeHarnesses);

const BASE = {
  runbook: 'test-runbook',
  stepId: 'fan',
  execution: 'arn:aws:states:eu-west-1:000000000000:execution:test-runbook:run-1',
  outputBucket: 'local',
} as const;

const API_TASKS = [0, 1, 2].map((i) => taskIdFor('demo', 'api', i)).sort();

function targetsEvent(overrides: Partial<TargetsEvent> = {}): TargetsEvent {
  return {
    ...BASE,
    kind: 'targets',
    target: { cluster: 'demo', service: 'api', pick: 'all', container: 'app' },
    batchSize: 2,
    distributedThreshold: 1000,
    ...overrides,
  };
}

function batchEvent(overrides: Partial<BatchEvent> = {}): BatchEvent {
  return {
    ...BASE,
    kind: 'batch',
    cluster: 'demo',
    container: 'app',
    taskIds: API_TASKS,
    script: 'echo ok',
    env: {},
    timeoutMs: 10_000,
    concurrency: 3,
    ratePerSecond: 20,
    ...overrides,
  };
}

function failedValue(error: unknown): FanOutStepValue {
  expect(error).toBeInstanceOf(TaskError);
  return JSON.parse((error as TaskError).message) as FanOutStepValue;
}

describe('resolveFanOutTargets', () => {
  it('cuts the tasks into batches of batchSize, in task ARN order, when the fan-out is small', async () => {
    const { deps } = await startHarness();
    const result = (await resolveFanOutTargets(targetsEvent(), deps)) as InlineTargets;
    expect(result.total).toBe(3);
    expect(result.cluster).toBe('arn:aws:ecs:eu-west-1:000000000000:cluster/demo');
    expect(result.batches).toEqual([API_TASKS.slice(0, 2), API_TASKS.slice(2)]);
  });

  it('keeps the batches inline past the threshold when the store cannot hold items', async () => {
    const { deps } = await startHarness();
    const result = await resolveFanOutTargets(targetsEvent({ distributedThreshold: 1 }), deps);
    expect('batches' in result).toBe(true);
  });

  it('writes the batches to the store past the threshold when it can hold items', async () => {
    const { deps } = await startHarness();
    const written: (readonly string[])[][] = [];
    const outputStore = {
      ...deps.outputStore,
      writeItems: async (_location: unknown, batches: readonly (readonly string[])[]) => {
        written.push([...batches]);
        return { bucket: 'b', key: 'k', resultPrefix: 'p' };
      },
    };
    const result = await resolveFanOutTargets(targetsEvent({ distributedThreshold: 2 }), {
      ...deps,
      outputStore,
    });
    expect(result).toEqual({
      cluster: 'arn:aws:ecs:eu-west-1:000000000000:cluster/demo',
      total: 3,
      items: { bucket: 'b', key: 'k', resultPrefix: 'p' },
    });
    expect(written).toEqual([[API_TASKS.slice(0, 2), API_TASKS.slice(2)]]);
  });

  it('throws NoTargets with a failed fan-out value when nothing matches', async () => {
    const { deps } = await startHarness();
    const error = await resolveFanOutTargets(
      targetsEvent({ target: { cluster: 'demo', family: 'none', pick: 'all' } }),
      deps,
    ).catch((e: unknown) => e);
    expect((error as Error).name).toBe('NoTargets');
    expect(failedValue(error)).toMatchObject({
      status: 'failed',
      exitCode: null,
      outputs: { total: 0, succeeded: 0, failed: 0 },
      error: { name: 'NoTargets' },
    });
  });

  it('throws ClusterNotFoundException when the cluster does not exist', async () => {
    const { deps } = await startHarness();
    const error = await resolveFanOutTargets(
      targetsEvent({ target: { cluster: 'nope', service: 'api', pick: 'all' } }),
      deps,
    ).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ClusterNotFoundException');
  });

  it('rejects a batch size below 1', () => {
    expect(() => batchesOf(['a'], 0)).toThrow(/batchSize must be an integer ≥ 1; received 0/);
  });
});

describe('runBatch', () => {
  it('returns one small result per task in batch order and writes each whole output', async () => {
    const { deps } = await startHarness();
    const results = await runBatch(batchEvent({ script: 'echo "out of $PWD"' }), deps);
    expect(results.map((r) => r.taskId)).toEqual(API_TASKS);
    for (const result of results) {
      expect(Object.keys(result).sort()).toEqual(['exitCode', 'status', 'taskId', 'uri']);
      expect(result).toMatchObject({ exitCode: 0, status: 'succeeded' });
      const text = await readFile(fileURLToPath(result.uri as string), 'utf8');
      expect(text).toContain(result.taskId);
    }
  });

  it('records each failure as a status instead of throwing', async () => {
    const { deps } = await startHarness();
    const failing = API_TASKS[1] as string;
    const results = await runBatch(
      batchEvent({ script: `case "$PWD" in *${failing}*) exit 4;; esac` }),
      deps,
    );
    expect(results.map((r) => [r.taskId, r.status, r.exitCode])).toEqual([
      [API_TASKS[0], 'succeeded', 0],
      [failing, 'failed', 4],
      [API_TASKS[2], 'succeeded', 0],
    ]);
  });

  it('retries only the failed target per retry until it succeeds', async () => {
    // Arrange: each target counts its runs in its own data directory; one fails its first run.
    const { deps } = await startHarness();
    const flaky = API_TASKS[0] as string;
    const script = [
      'mkdir -p "$DATA_DIR"; n=$(cat "$DATA_DIR/runs" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$DATA_DIR/runs"',
      `case "$PWD" in *${flaky}*) [ "$n" -ge 2 ] || exit 7;; esac`,
      'echo "run $n"',
    ].join('\n');
    const seen: [string, number, string][] = [];

    // Act
    const results = await runBatch(
      batchEvent({ script, retry: { attempts: 3, intervalMs: 10, backoff: 2 } }),
      deps,
      { onResult: (result: ExecResult, attempt) => seen.push([result.taskId, attempt, result.status]) },
    );

    // Assert
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(seen.filter(([taskId]) => taskId === flaky).map(([, a, s]) => [a, s])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(seen.filter(([taskId]) => taskId !== flaky).map(([, a]) => a)).toEqual([1, 1]);
    const text = await readFile(fileURLToPath(results[0]?.uri as string), 'utf8');
    expect(text).toBe('run 2\n');
  });

  it('stops retrying after attempts and keeps the last failure', async () => {
    const { deps } = await startHarness();
    let runs = 0;
    const results = await runBatch(
      batchEvent({
        taskIds: [API_TASKS[0] as string],
        script: 'exit 2',
        retry: { attempts: 2, intervalMs: 1, backoff: 1 },
      }),
      deps,
      { onResult: () => runs++ },
    );
    expect(runs).toBe(2);
    expect(results).toEqual([expect.objectContaining({ status: 'failed', exitCode: 2 })]);
  });

  it('reports a task that is gone as an error without running anything', async () => {
    const { deps } = await startHarness();
    const gone = '0'.repeat(32);
    const reasons: string[] = [];
    const results = await runBatch(batchEvent({ taskIds: [gone, API_TASKS[0] as string] }), deps, {
      onResult: (r) => reasons.push(`${r.taskId}:${r.error?.name ?? 'ok'}`),
    });
    expect(results[0]).toEqual({ taskId: gone, exitCode: null, status: 'error', error: 'NoTargets' });
    expect(results[1]).toMatchObject({ status: 'succeeded' });
    expect(reasons).toContain(`${gone}:NoTargets`);
  });

  it('reports a missing container per task with the containers it has', async () => {
    const { deps } = await startHarness();
    const worker = taskIdFor('demo', 'worker', 0);
    const messages: string[] = [];
    const results = await runBatch(batchEvent({ taskIds: [worker], container: undefined }), deps, {
      onResult: (r) => messages.push(r.error?.message ?? ''),
    });
    expect(results).toEqual([
      { taskId: worker, exitCode: null, status: 'error', error: 'InvalidParameterException' },
    ]);
    expect(messages[0]).toContain('app, sidecar');
  });

  it('computes retry delays as interval times backoff, capped', () => {
    const retry = { attempts: 5, intervalMs: 1000, backoff: 2, maxIntervalMs: 3000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(retry, n))).toEqual([1000, 2000, 3000, 3000]);
  });
});

describe('summarizeFanOut', () => {
  const ok = (taskId: string): BatchTargetResult => ({ taskId, exitCode: 0, status: 'succeeded' });
  const bad = (taskId: string): BatchTargetResult => ({ taskId, exitCode: 1, status: 'failed' });
  const store = { outputStore: createDirectoryOutputStore('/nonexistent-never-written') };

  function summaryEvent(
    results: BatchTargetResult[][],
    toleratedFailures: SummaryEvent['toleratedFailures'],
  ): SummaryEvent {
    return { ...BASE, kind: 'summary', fanOut: { results }, toleratedFailures, maxListedFailures: 2 };
  }

  it('returns the counts and the tolerated failures when the budget holds', async () => {
    const value = await summarizeFanOut(summaryEvent([[ok('a'), bad('b')], [ok('c')]], { count: 1 }), store);
    expect(value).toEqual({
      status: 'succeeded',
      exitCode: null,
      outputs: { total: 3, succeeded: 2, failed: 1 },
      failures: [bad('b')],
    });
  });

  it.each([
    // [failures of 10, percent, holds]: ⌊10·P/100⌋ failures are tolerated.
    [1, 10, true],
    [2, 10, false],
    [2, 25, true],
    [3, 25, false],
    [0, 0, true],
    [10, 100, true],
  ])(
    'applies %i failures of 10 against %i%% as Step Functions does (holds: %s)',
    async (failures, percent, holds) => {
      const results = Array.from({ length: 10 }, (_, i) => (i < failures ? bad(`t${i}`) : ok(`t${i}`)));
      const outcome = await summarizeFanOut(summaryEvent([results], { percent }), store).then(
        () => true,
        () => false,
      );
      expect(outcome).toBe(holds);
    },
  );

  it('throws ErrorBudgetExceeded listing at most maxListedFailures and counting the rest', async () => {
    const results = [
      bad('a'),
      { taskId: 'b', exitCode: null, status: 'timed_out' as const },
      bad('c'),
      ok('d'),
    ];
    const error = await summarizeFanOut(summaryEvent([results], { count: 0 }), store).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('ErrorBudgetExceeded');
    const value = failedValue(error);
    expect(value).toMatchObject({
      status: 'failed',
      outputs: { total: 4, succeeded: 1, failed: 3 },
      failuresOmitted: 1,
      error: { name: 'ErrorBudgetExceeded' },
    });
    expect(value.failures?.map((f) => f.taskId)).toEqual(['a', 'b']);
    expect(value.error?.message).toBe(
      '3 of 4 targets failed (2 exited non-zero, 1 timed out), more than the 0 tolerated',
    );
  });

  it.each([
    // Each fact once: no "(failed)" after "failed", no second copy of a count budget.
    [{ count: 0 }, '3 of 3 targets failed, more than the 0 tolerated'],
    [{ percent: 50 }, '3 of 3 targets failed, more than the 1 tolerated (toleratedFailures: 50%)'],
  ] as const)('says the budget %j was exceeded once, in words', async (tolerate, message) => {
    const error = await summarizeFanOut(
      summaryEvent([[bad('a'), bad('b'), bad('c')]], tolerate),
      store,
    ).catch((e: unknown) => e);
    expect(failedValue(error).error?.message).toBe(message);
  });

  it('rejects Distributed Map results when the store cannot read them', async () => {
    const event: SummaryEvent = {
      ...BASE,
      kind: 'summary',
      fanOut: { resultWriterDetails: { Bucket: 'b', Key: 'k' } },
      toleratedFailures: { count: 0 },
      maxListedFailures: 10,
    };
    await expect(summarizeFanOut(event, store)).rejects.toThrow(/cannot read them/);
  });
});
