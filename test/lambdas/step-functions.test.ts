/**
 * The step functions' handlers, called as Lambda calls them (an event and a Lambda-shaped
 * context) against the local ECS emulator and agent.
 */
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecStepValue, InlineTargets } from '../../lib/handlers/index.ts';
import { closeHarnesses, startHarness } from '../handlers/harness.ts';

const saved = { ...process.env };
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await closeHarnesses();
});

/** A Lambda context whose deadline is `remainingMs` from now. */
function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    awsRequestId: 'req-1',
    functionName: 'exec',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:exec',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/exec',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const BASE = {
  runbook: 'rb',
  stepId: 'step1',
  execution: 'arn:aws:states:eu-west-1:000000000000:execution:rb:run-1',
} as const;

function execEvent(script: string) {
  return {
    ...BASE,
    kind: 'exec',
    target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
    script,
    env: {},
    timeoutMs: 60_000,
    captures: [],
    stateTailBytes: 2048,
    outputBucket: 'local',
  };
}

/** Points the SDK's standard variables at the emulator, as a local Lambda environment would. */
async function localEnvironment(): Promise<void> {
  const { local } = await startHarness();
  process.env.AWS_ENDPOINT_URL_ECS = local.endpoint;
  process.env.AWS_ENDPOINT_URL_KMS = local.kmsEndpoint;
  process.env.AWS_REGION = local.region;
  process.env.AWS_ACCESS_KEY_ID = local.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = local.credentials.secretAccessKey;
}

describe('lambdas/exec', () => {
  it('returns the step value for a single-target step', async () => {
    await localEnvironment();
    const { handler } = await import('../../lambdas/exec.ts');
    const value = (await handler(execEvent('echo from-lambda'), lambdaContext(60_000))) as ExecStepValue;
    expect(value).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(value.result?.output.tail).toContain('from-lambda');
  });
});

describe('lambdas/targets and lambdas/fan-out-summary', () => {
  it('resolve the batches and apply the error budget', async () => {
    await localEnvironment();
    const targets = await import('../../lambdas/targets.ts');
    const summary = await import('../../lambdas/fan-out-summary.ts');
    const resolved = (await targets.handler(
      {
        ...BASE,
        kind: 'targets',
        target: { cluster: 'demo', service: 'api', pick: 'all', container: 'app' },
        batchSize: 25,
        distributedThreshold: 1000,
        outputBucket: 'local',
      },
      lambdaContext(60_000),
    )) as InlineTargets;
    expect(resolved.total).toBe(3);
    const failed = await Promise.resolve(
      summary.handler(
        {
          ...BASE,
          kind: 'summary',
          fanOut: {
            results: [
              resolved.batches[0]?.map((taskId) => ({ taskId, exitCode: 1, status: 'failed' })) ?? [],
            ],
          },
          toleratedFailures: { count: 1 },
          maxListedFailures: 10,
        },
        lambdaContext(60_000),
      ),
    ).catch((e: unknown) => e);
    expect((failed as Error).name).toBe('ErrorBudgetExceeded');
  });
});

describe('lambdas/check-input', () => {
  const parameters = [
    { name: 'days', type: 'integer', required: true, minimum: 1 },
    { name: 'reason', type: 'string', required: false },
  ];

  it('returns params and trigger for a good input', async () => {
    const { handler } = await import('../../lambdas/check-input.ts');
    const input = { params: { days: 3 }, trigger: { api: { caller: 'arn:aws:iam::1:user/a' } } };
    const value = await handler(
      { kind: 'checkInput', runbook: 'purge', parameters, input },
      lambdaContext(30_000),
    );
    expect(value).toEqual(input);
  });

  it('fails with InvalidInput naming each bad field of the execution input', async () => {
    const { handler } = await import('../../lambdas/check-input.ts');
    const input = { params: { days: 'a[$(touch /tmp/x)]', extra: 1 } };
    const failure = handler(
      { kind: 'checkInput', runbook: 'purge', parameters, input },
      lambdaContext(30_000),
    );
    await expect(failure).rejects.toMatchObject({ name: 'InvalidInput' });
    const message = JSON.parse(((await failure.catch((e: Error) => e)) as Error).message);
    expect(message.runbook).toBe('purge');
    expect(message.problems.map((p: { field: string }) => p.field).sort()).toEqual([
      'params.days',
      'params.extra',
    ]);
  });

  it('refuses an event whose shape is not what the compiler emits, naming the field', async () => {
    const { handler } = await import('../../lambdas/check-input.ts');
    const event = {
      kind: 'checkInput',
      runbook: 'purge',
      parameters: [{ name: 'days', type: 'int' }],
      input: {},
    };
    const error = await handler(event, lambdaContext(30_000)).catch((e: Error) => e);
    // Mapped at the edge: InvalidInput, its message a step value naming each field.
    expect((error as Error).name).toBe('InvalidInput');
    const value = JSON.parse((error as Error).message);
    expect(value.error.message).toMatch(/parameters\[0\]\.type: received "int"/);
    expect(value.problems.map((p: { field: string }) => p.field)).toContain('parameters[0].type');
  });
});
