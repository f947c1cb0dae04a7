/**
 * The shared composition as a Lambda runs it: errors that escape a core leave with a name of the
 * closed set (logged with errorName), and the exec function prints its metrics as EMF on stdout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExecStepValue } from '../../lib/handlers/index.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';
import { CLUSTER_FILE } from '../handlers/harness.ts';
import { lambdaContext } from './lambda-context.ts';

const saved = { ...process.env };
let local: LocalEcs;

beforeAll(async () => {
  local = await startLocalEcs({ configFile: CLUSTER_FILE, port: 0, initialWaitMs: 0, paceMs: 0 });
  process.env.AWS_ENDPOINT_URL_ECS = local.endpoint;
  process.env.AWS_ENDPOINT_URL_KMS = local.kmsEndpoint;
  process.env.AWS_REGION = local.region;
  process.env.AWS_ACCESS_KEY_ID = local.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = local.credentials.secretAccessKey;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await local?.close();
});

/**
 * Runs `fn` and returns what it printed on stdout (EMF, Logger lines up to INFO) and stderr
 * (Logger's WARN and ERROR lines), line by line, parsed where JSON.
 */
async function printedBy(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return value !== null && typeof value === 'object' ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

const BASE = {
  runbook: 'edge-rb',
  stepId: 'probe',
  execution: 'arn:aws:states:eu-west-1:000000000000:execution:edge-rb:run-1',
} as const;

describe('errors at the edge', () => {
  it('maps a bug in a core to ServerException and logs it with errorName', async () => {
    const { withDefaults } = await import('../../lambdas/shared/with-defaults.ts');
    const handler = withDefaults(async (event) => (event as { missing: { x: number } }).missing.x);
    let error: Error | undefined;
    const logged = await printedBy(async () => {
      error = await handler({ ...BASE, kind: 'exec' }, lambdaContext(30_000)).then(
        () => undefined,
        (e: Error) => e,
      );
    });
    expect(error?.name).toBe('ServerException');
    const value = JSON.parse(error?.message ?? '');
    expect(value).toMatchObject({ status: 'failed', exitCode: null, error: { name: 'ServerException' } });
    expect(value.error.message).toMatch(/^Internal error: TypeError: /);
    const line = logged.find((l) => l.message === 'step failed');
    expect(line).toMatchObject({
      level: 'ERROR',
      errorName: 'ServerException',
      runbook: 'edge-rb',
      step: 'probe',
    });
  });

  it('maps an exec event that does not parse to InvalidInput naming the field', async () => {
    const { handler } = await import('../../lambdas/exec.ts');
    const error = await handler({ ...BASE, kind: 'exec', timeoutMs: 'soon' }, lambdaContext(30_000)).catch(
      (e: Error) => e,
    );
    expect((error as Error).name).toBe('InvalidInput');
    const value = JSON.parse((error as Error).message);
    expect(value.problems.map((p: { field: string }) => p.field)).toContain('timeoutMs');
  });
});

describe('lambdas/exec metrics', () => {
  it('prints EMF with duration, status, output bytes and TargetNotConnected polls, by runbook and step', async () => {
    const { handler } = await import('../../lambdas/exec.ts');
    // The agent is not connected for the first two ExecuteCommand calls.
    local.faults.failNext({ operation: 'ExecuteCommand', error: 'TargetNotConnectedException', times: 2 });
    let value: ExecStepValue | undefined;
    const printed = await printedBy(async () => {
      value = (await handler(
        {
          ...BASE,
          kind: 'exec',
          target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
          script: 'printf "0123456789"',
          env: {},
          timeoutMs: 60_000,
          captures: [],
          stateTailBytes: 1024,
          outputBucket: 'local',
        },
        lambdaContext(60_000),
      )) as ExecStepValue;
    });
    expect(value?.status).toBe('succeeded');

    const emf = printed.find((l) => '_aws' in l) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    expect(emf).toBeDefined();
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('EcsRunbooks');
    expect(directive?.Dimensions).toEqual([['service', 'runbook', 'step']]);
    expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual([
      'ExecDuration',
      'ExecOutputBytes',
      'ExecSucceeded',
      'TargetNotConnectedPolls',
    ]);
    expect(emf).toMatchObject({
      service: 'ecs-runbooks',
      runbook: 'edge-rb',
      step: 'probe',
      ExecSucceeded: 1,
      ExecOutputBytes: 10,
      TargetNotConnectedPolls: 2,
      ExecDuration: value?.result?.durationMs,
    });
    // Low cardinality: no task id among the dimensions or values.
    expect(JSON.stringify(emf)).not.toContain(value?.result?.taskId ?? '?');
  });
});
