/**
 * The entry points of the Lambda-backed states: one `${ExecFnArn}` dispatcher for single steps
 * and batches, events parsed before anything runs, and createHandlerDeps' real clients.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlerDeps } from '../../lib/handlers/create-deps.ts';
import type {
  BatchResult,
  ExecStepValue,
  FanOutStepValue,
  InlineTargets,
} from '../../lib/handlers/events.ts';
import { invokeExecFn, invokeFanOutSummaryFn, invokeTargetsFn } from '../../lib/handlers/invoke.ts';
import { createDirectoryOutputStore } from '../../lib/handlers/output-store.ts';
import { InvalidInputError } from '../../lib/handlers/parse-input.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { closeHarnesses, startHarness } from './harness.ts';

const BASE = {
  runbook: 'rb',
  stepId: 'step1',
  execution: 'arn:aws:states:eu-west-1:000000000000:execution:rb:run-1',
  outputBucket: 'local',
} as const;

const { outputBucket: _, ...SUMMARY_BASE } = BASE;

const API_TASKS = [0, 1, 2].map((i) => taskIdFor('demo', 'api', i)).sort();

const saved = { ...process.env };
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await closeHarnesses();
});

describe('invokeExecFn', () => {
  it('runs a single-target step when kind is exec', async () => {
    // Arrange
    const { deps } = await startHarness();
    const event = {
      ...BASE,
      kind: 'exec',
      target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
      script: 'echo "hello $RB_P_who"',
      env: { RB_P_who: 'world' },
      timeoutMs: 10_000,
      captures: [],
      stateTailBytes: 2048,
    };

    // Act
    const value = (await invokeExecFn(event, deps)) as ExecStepValue;

    // Assert
    expect(value).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(value.result?.output.tail).toContain('hello world');
  });

  it('runs a batch when kind is batch', async () => {
    // Arrange
    const { deps } = await startHarness();
    const event = {
      ...BASE,
      kind: 'batch',
      cluster: 'demo',
      container: 'app',
      taskIds: API_TASKS,
      script: 'exit 0',
      env: {},
      timeoutMs: 10_000,
      concurrency: 3,
      ratePerSecond: 20,
    };

    // Act
    const results = (await invokeExecFn(event, deps)) as BatchResult;

    // Assert
    expect(results.map((r) => [r.taskId, r.status])).toEqual(API_TASKS.map((t) => [t, 'succeeded']));
  });

  it('throws InvalidInputError before any call to ECS when the event does not parse', async () => {
    // Arrange
    let calls = 0;
    const ecs = {
      send: async () => {
        calls++;
        throw new Error('ECS must not be called');
      },
    } as unknown as ECSClient;
    const deps = { ecs, outputStore: createDirectoryOutputStore('/nonexistent') };

    // Act
    const error = await invokeExecFn({ ...BASE, kind: 'batch', cluster: 'demo' }, deps).catch((e) => e);

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual([
      'taskIds',
      'script',
      'env',
      'timeoutMs',
      'concurrency',
      'ratePerSecond',
    ]);
    expect(calls).toBe(0);
  });
});

describe('invokeTargetsFn and invokeFanOutSummaryFn', () => {
  it('resolve a fan-out and summarize it through createHandlerDeps, honouring AWS_ENDPOINT_URL_ECS', async () => {
    // Arrange
    const { local } = await startHarness();
    process.env.AWS_ENDPOINT_URL_ECS = local.endpoint;
    process.env.AWS_REGION = local.region;
    process.env.AWS_ACCESS_KEY_ID = local.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = local.credentials.secretAccessKey;
    const deps = createHandlerDeps();

    // Act
    const targets = (await invokeTargetsFn(
      {
        ...BASE,
        kind: 'targets',
        target: { cluster: 'demo', service: 'api', pick: 'all', container: 'app' },
        batchSize: 2,
        distributedThreshold: 1000,
      },
      deps,
    )) as InlineTargets;
    const summary = (await invokeFanOutSummaryFn(
      {
        ...SUMMARY_BASE,
        kind: 'summary',
        fanOut: {
          results: targets.batches.map((batch) =>
            batch.map((taskId) => ({ taskId, exitCode: 0, status: 'succeeded' })),
          ),
        },
        toleratedFailures: { count: 0 },
        maxListedFailures: 10,
      },
      deps,
    )) as FanOutStepValue;

    // Assert
    expect(targets.batches).toEqual([API_TASKS.slice(0, 2), API_TASKS.slice(2)]);
    expect(summary).toMatchObject({ status: 'succeeded', outputs: { total: 3, succeeded: 3, failed: 0 } });
    deps.ecs.destroy();
  });

  it('throw InvalidInputError naming the field', async () => {
    const deps = { ecs: {} as ECSClient, outputStore: createDirectoryOutputStore('/nonexistent') };
    await expect(invokeTargetsFn({ ...BASE, kind: 'targets' }, deps)).rejects.toThrow(
      /target: received nothing/,
    );
    await expect(
      invokeFanOutSummaryFn(
        { ...SUMMARY_BASE, kind: 'summary', fanOut: { results: [] }, maxListedFailures: 1 },
        deps,
      ),
    ).rejects.toThrow(/toleratedFailures: received nothing/);
  });
});
