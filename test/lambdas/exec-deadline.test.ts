/**
 * lambdas/exec when the invocation's remaining time runs short: with a Lambda-shaped context
 * whose deadline falls while the command still prints, against the local ECS API and the local
 * agent at its own pace (about 1 MB/s), the command is interrupted, its output file holds every
 * byte the agent sent, and the step (or the batch) fails with ExecTimeout carrying the bytes so
 * far.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchTargetResult, ExecStepValue, FanOutStepValue } from '../../lib/handlers/index.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';
import { CLUSTER_FILE } from '../handlers/harness.ts';
import { lambdaContext } from './lambda-context.ts';

/** The wrapper's margin (lambdas/shared/with-defaults.ts) plus the time the command gets. */
const REMAINING_MS = 15_000 + 1_500;

/** Prints numbered lines without end, in containers that have a file `slow`; others print once. */
const SCRIPT = 'if [ -e slow ]; then i=0; while :; do echo "line $i"; i=$((i+1)); done; else echo quick; fi';

const RUNBOOK = `deadline-${randomUUID().slice(0, 8)}`;
const saved = { ...process.env };
let local: LocalEcs;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

beforeAll(async () => {
  local = await startLocalEcs({ configFile: CLUSTER_FILE, port: 0, initialWaitMs: 0, paceMs: 1 });
  process.env.AWS_ENDPOINT_URL_ECS = local.endpoint;
  process.env.AWS_ENDPOINT_URL_KMS = local.kmsEndpoint;
  process.env.AWS_REGION = local.region;
  process.env.AWS_ACCESS_KEY_ID = local.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = local.credentials.secretAccessKey;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  ({ handler } = (await import('../../lambdas/exec.ts')) as unknown as { handler: typeof handler });
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await local?.close();
  // lambdas/exec.ts's directory store (createHandlerDeps' default).
  rmSync(path.join(os.tmpdir(), 'runbook-outputs', RUNBOOK), { recursive: true, force: true });
});

const apiTasks = () => local.world.clusters[0]?.tasks.filter((t) => t.serviceName === 'api') ?? [];

function markSlow(taskIndex: number): void {
  const container = apiTasks()[taskIndex]?.containers.find((c) => c.name === 'app');
  if (!container) throw new Error('the example cluster has no api task with an app container');
  writeFileSync(path.join(container.workdir, 'slow'), '');
}

function unmarkAll(): void {
  for (const task of apiTasks())
    for (const c of task.containers) rmSync(path.join(c.workdir, 'slow'), { force: true });
}

const base = (execution: string) => ({
  runbook: RUNBOOK,
  stepId: 'print',
  execution: `arn:aws:states:eu-west-1:000000000000:execution:${RUNBOOK}:${execution}`,
  script: SCRIPT,
  env: {},
  timeoutMs: 120_000,
  outputBucket: 'local',
});

/** Output bytes the agent sent so far, over all sessions. */
const agentBytes = () => local.agent.stats().outputBytes;

/**
 * The file is complete: the agent's bytes are the program's output after the PTY's ONLCR
 * (`\n` sent as `\r\n`; the program prints no `\r`), so the file has every byte sent when its
 * length plus its newlines is what the agent counted.
 */
function expectCompleteFile(file: Buffer, sentBytes: number): void {
  const newlines = file.toString('latin1').split('\n').length - 1;
  expect(file.length + newlines).toBe(sentBytes);
  // Whole lines, numbered without a gap from 0: nothing dropped in the middle either.
  const lines = file.toString('utf8').split('\n');
  const numbered = lines.slice(0, -1);
  expect(numbered.length).toBeGreaterThan(100);
  numbered.forEach((line, i) => {
    if (line !== `line ${i}`) expect(line).toBe(`line ${i}`);
  });
}

describe('lambdas/exec under a short remaining time', () => {
  it('interrupts a single-target step, publishes the whole output and fails with ExecTimeout', async () => {
    unmarkAll();
    markSlow(0);
    const before = agentBytes();
    const event = {
      ...base('single'),
      kind: 'exec',
      target: { cluster: 'demo', task: apiTasks()[0]?.id, container: 'app' },
      captures: [],
      stateTailBytes: 256,
    };

    const error = await handler(event, lambdaContext(REMAINING_MS)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.name).toBe('ExecTimeout');
    const value = JSON.parse(error?.message ?? '') as ExecStepValue;
    expect(value).toMatchObject({ status: 'failed', exitCode: null, error: { name: 'ExecTimeout' } });
    expect(value.error?.message).toContain('Lambda invocation');
    const result = value.result;
    expect(result).toMatchObject({ status: 'timed_out', exitCode: null, interrupted: true });
    const file = readFileSync(fileURLToPath(result?.output.uri ?? ''));
    expectCompleteFile(file, agentBytes() - before);
    expect(result?.output.totalBytes).toBe(file.length);
    // The tail is the file's last bytes (the PTY echoes the Ctrl-C as ^C).
    const tail = result?.output.tail ?? '';
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(256);
    expect(tail).toMatch(/line \d+\n/);
    expect(file.toString('utf8').endsWith(tail)).toBe(true);
  });

  it('keeps the finished targets of a batch and fails it with ExecTimeout listing every target', async () => {
    unmarkAll();
    markSlow(1);
    const tasks = apiTasks();
    const before = agentBytes();
    const event = {
      ...base('batch'),
      kind: 'batch',
      cluster: 'demo',
      container: 'app',
      taskIds: tasks.map((t) => t.id),
      concurrency: 3,
      ratePerSecond: 20,
    };

    const error = await handler(event, lambdaContext(REMAINING_MS)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.name).toBe('ExecTimeout');
    const value = JSON.parse(error?.message ?? '') as FanOutStepValue & { results: BatchTargetResult[] };
    expect(value).toMatchObject({
      status: 'failed',
      exitCode: null,
      outputs: { total: 3, succeeded: 2, failed: 1 },
      error: { name: 'ExecTimeout' },
    });
    const [quick0, slow, quick2] = value.results;
    for (const [quick, task] of [
      [quick0, tasks[0]],
      [quick2, tasks[2]],
    ] as const) {
      expect(quick).toMatchObject({ taskId: task?.id, status: 'succeeded', exitCode: 0 });
      expect(readFileSync(fileURLToPath(quick?.uri ?? ''), 'utf8')).toBe('quick\n');
    }
    expect(slow).toMatchObject({
      taskId: tasks[1]?.id,
      status: 'timed_out',
      exitCode: null,
      error: 'ExecTimeout',
    });
    const file = readFileSync(fileURLToPath(slow?.uri ?? ''));
    // Each quick session sent "quick\r\n" and the exit-code marker `__RB_<32 hex>__:0\r\n`.
    const quickSessionBytes = 'quick\r\n'.length + `__RB_${'0'.repeat(32)}__:0\r\n`.length;
    expectCompleteFile(file, agentBytes() - before - 2 * quickSessionBytes);
  });
});
