/**
 * The S3 output store against a real S3 API on loopback (s3rver): the exec handler core's
 * outputs through the local emulator, single and multipart uploads, the metadata, a retried
 * try's own key, a missing bucket, and the Distributed Map's items and results.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { measureS3Store } from '../../bench/s3-store.ts';
import type { ExecResult } from '../../lib/exec/index.ts';
import { runBatch } from '../../lib/handlers/batch.ts';
import { createHandlerDeps } from '../../lib/handlers/create-deps.ts';
import type { BatchEvent, ExecEvent, ExecStepValue } from '../../lib/handlers/events.ts';
import { runExecStep } from '../../lib/handlers/exec-step.ts';
import { type OutputLocation, OutputNotStoredError } from '../../lib/handlers/output-store.ts';
import { createS3OutputStore } from '../../lib/handlers/s3-output-store.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { TaskError } from '../../lib/shared/errors.ts';
import { type LoopbackS3, startLoopbackS3 } from '../infra/support/s3.ts';
import { closeHarnesses, startHarness } from './harness.ts';

const BUCKET = 'outputs';
const EXECUTION = 'arn:aws:states:eu-west-1:000000000000:execution:test-runbook:run-1';
const MIB = 1024 * 1024;

let s3: LoopbackS3;
let client: S3Client;
let staging: string;

beforeAll(async () => {
  s3 = await startLoopbackS3([BUCKET]);
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

beforeAll(() => {
  staging = mkdtempSync(path.join(os.tmpdir(), 's3-store-staging-'));
});
afterAll(() => rmSync(staging, { recursive: true, force: true }));
afterEach(closeHarnesses);

/** The S3 commands the stores of a test sent, by name. */
let commands: string[] = [];
beforeEach(() => {
  commands = [];
});

function store(options: { partSizeBytes?: number } = {}) {
  return createS3OutputStore({ client, stagingDir: staging, ...options });
}

/** How many of each command the test sent. */
function sent(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of commands) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

async function getObject(key: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
  const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const body = Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return { body, metadata: out.Metadata ?? {} };
}

function keyOf(uri: string | undefined): string {
  expect(uri).toMatch(new RegExp(`^s3://${BUCKET}/`));
  return (uri as string).slice(`s3://${BUCKET}/`.length);
}

function execEvent(overrides: Partial<ExecEvent> = {}): ExecEvent {
  return {
    kind: 'exec',
    runbook: 'test-runbook',
    stepId: 'step1',
    execution: EXECUTION,
    target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
    script: 'echo hello',
    env: {},
    timeoutMs: 20_000,
    captures: [],
    stateTailBytes: 2048,
    outputBucket: BUCKET,
    ...overrides,
  };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A staged output file and the record lib/exec would have made for it. */
function stagedRecord(
  dir: string,
  taskId: string,
  bytes: Buffer,
  overrides: Partial<ExecResult> = {},
): ExecResult {
  const file = path.join(dir, `${taskId}-app-s1.log`);
  // lib/exec's sink makes the directory when it is gone (the store removes it when it empties).
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, bytes);
  const at = new Date(0).toISOString();
  return {
    cluster: 'demo',
    taskArn: `arn:aws:ecs:eu-west-1:000000000000:task/demo/${taskId}`,
    taskId,
    container: 'app',
    containerArn: '',
    sessionId: 's1',
    exitCode: 0,
    status: 'succeeded',
    startedAt: at,
    endedAt: at,
    durationMs: 1,
    polls: 0,
    retries: 0,
    output: { tail: '', totalBytes: bytes.length, truncated: true, uri: pathToFileURL(file).href },
    interrupted: false,
    ...overrides,
  };
}

const location: OutputLocation = {
  bucket: BUCKET,
  runbook: 'unit-runbook',
  execution: EXECUTION,
  stepId: 'direct',
  command: 'cat big.log',
};

describe('the S3 output store with the exec handler core', () => {
  it('uploads a step’s whole output under <runbook>/<execution>/<step>/1/<taskId>.log with its metadata, and keeps the tail and the s3:// URI in the value', async () => {
    // Arrange
    const { deps } = await startHarness();
    const script = 'for i in 1 2 3; do echo "line $i"; done; exit 0';

    // Act
    const value = await runExecStep(execEvent({ script }), { ...deps, outputStore: store() });

    // Assert
    const taskId = value.result?.taskId as string;
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(value.result?.output.uri).toBe(`s3://${BUCKET}/test-runbook/run-1/step1/1/${taskId}.log`);
    expect(value.result?.output.tail).toBe('line 1\nline 2\nline 3\n');
    const object = await getObject(keyOf(value.result?.output.uri));
    expect(object.body.toString('utf8')).toBe('line 1\nline 2\nline 3\n');
    expect(object.metadata).toEqual({
      'exit-code': '0',
      status: 'succeeded',
      'command-sha256': sha256(script),
      'total-bytes': '21',
    });
    // The staged file is gone once uploaded.
    expect(readdirSync(staging)).toEqual([]);
  });

  it('records a failed command’s exit code, status and error in the metadata', async () => {
    const { deps } = await startHarness();
    const { value } = await rejection(
      runExecStep(execEvent({ script: 'echo before; exit 3' }), { ...deps, outputStore: store() }),
    );
    expect(value.exitCode).toBe(3);
    const object = await getObject(keyOf(value.result?.output.uri));
    expect(object.body.toString('utf8')).toBe('before\n');
    expect(object.metadata).toMatchObject({ 'exit-code': '3', status: 'failed', error: 'CommandFailed' });
  });

  it('puts a retried try (retryCount 1) under attempt 2, beside the first try’s object', async () => {
    const { deps } = await startHarness();
    const deps2 = { ...deps, outputStore: store() };
    const target = {
      cluster: 'demo',
      task: taskIdFor('demo', 'api', 0),
      pick: 'one' as const,
      container: 'app',
    };
    await rejection(runExecStep(execEvent({ target, script: 'echo first; exit 1' }), deps2));
    const second = await runExecStep(execEvent({ target, script: 'echo second', retryCount: 1 }), deps2);

    const taskId = taskIdFor('demo', 'api', 0);
    expect(second.result?.output.uri).toBe(`s3://${BUCKET}/test-runbook/run-1/step1/2/${taskId}.log`);
    expect((await getObject(`test-runbook/run-1/step1/1/${taskId}.log`)).body.toString()).toBe('first\n');
    expect((await getObject(`test-runbook/run-1/step1/2/${taskId}.log`)).body.toString()).toBe('second\n');
  });

  it('streams a 12 MB output as a multipart upload, bytes intact', async () => {
    const { deps } = await startHarness();
    // 1,333,333 numbered lines of 9 bytes each.
    const script = 'seq 10000000 11333332';
    const value = await runExecStep(execEvent({ script, timeoutMs: 60_000 }), {
      ...deps,
      outputStore: store({ partSizeBytes: 5 * MIB }),
    });

    expect(value.result?.output.totalBytes).toBe(11_999_997);
    const key = keyOf(value.result?.output.uri);
    // 11,999,997 bytes in 5 MiB parts: three parts.
    expect(sent()).toEqual({
      CreateMultipartUploadCommand: 1,
      UploadPartCommand: 3,
      CompleteMultipartUploadCommand: 1,
    });
    const { body } = await getObject(key);
    let expected = '';
    for (let n = 10_000_000; n <= 11_333_332; n++) expected += `${n}\n`;
    expect(body.length).toBe(11_999_997);
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha256(expected));
  }, 90_000);

  it('fails the step with OutputNotStored when the bucket is missing, and keeps the exit code and tail', async () => {
    const { deps } = await startHarness();
    const { error, value } = await rejection(
      runExecStep(execEvent({ script: 'echo done; exit 0', outputBucket: 'no-such-bucket' }), {
        ...deps,
        outputStore: store(),
      }),
    );
    expect(error.name).toBe('OutputNotStored');
    expect(value).toMatchObject({
      status: 'failed',
      exitCode: 0,
      error: { name: 'OutputNotStored' },
      result: { status: 'succeeded', exitCode: 0, output: { tail: 'done\n' } },
    });
    expect(value.result?.output.uri).toBeUndefined();
    expect(value.error?.message).toMatch(
      /s3:\/\/no-such-bucket\/test-runbook\/run-1\/step1\/1\/[0-9a-f]{32}\.log/,
    );
    expect(value.error?.message).toContain('NoSuchBucket');
    expect(value.error?.message).toContain('exit code 0');
    expect(readdirSync(staging)).toEqual([]);
  });
});

describe('the S3 output store, directly', () => {
  it('uploads an output under one part in a single PutObject, and an empty output too', async () => {
    const staged = await store().stage(location);
    const small = await staged.publish(stagedRecord(staged.dir, 'small', Buffer.from('tiny\n')));
    const empty = await staged.publish(stagedRecord(staged.dir, 'empty', Buffer.alloc(0)));

    expect(sent()).toEqual({ PutObjectCommand: 2 });
    expect((await getObject(keyOf(small))).body.toString()).toBe('tiny\n');
    const got = await getObject(keyOf(empty));
    expect(got.body.length).toBe(0);
    expect(got.metadata).toMatchObject({
      'exit-code': '0',
      'total-bytes': '0',
      'command-sha256': sha256('cat big.log'),
    });
    expect(existsSync(staged.dir)).toBe(false);
  });

  it('returns no URI for a record without a staged file (no session opened)', async () => {
    const staged = await store().stage(location);
    const record = stagedRecord(staged.dir, 'none', Buffer.alloc(0));
    rmSync(staged.dir, { recursive: true });
    const { uri: _uri, ...output } = record.output;
    await expect(
      staged.publish({ ...record, exitCode: null, status: 'error', output }),
    ).resolves.toBeUndefined();
    expect(sent()).toEqual({});
  });

  it('uploads 20 MB in 5 MiB parts, keyed by the publish attempt, with "none" for a missing exit code', async () => {
    const staged = await store({ partSizeBytes: 5 * MIB }).stage({ ...location, attempt: 3 });
    const bytes = Buffer.alloc(20 * MIB);
    for (let i = 0; i < bytes.length; i += 64) bytes.write(`${i.toString(16).padStart(15, '0')}\n`, i);
    const uri = await staged.publish(
      stagedRecord(staged.dir, 'big', bytes, { exitCode: null, status: 'timed_out' }),
      { attempt: 4 },
    );
    expect(uri).toBe(`s3://${BUCKET}/unit-runbook/run-1/direct/4/big.log`);
    expect(sent()).toEqual({
      CreateMultipartUploadCommand: 1,
      UploadPartCommand: 4,
      CompleteMultipartUploadCommand: 1,
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(uri) }));
    expect(head.Metadata).toMatchObject({ 'exit-code': 'none', status: 'timed_out' });
    const { body } = await getObject(keyOf(uri));
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });

  it('throws a typed OutputNotStoredError that keeps the exit code, and removes the staged file', async () => {
    const staged = await store().stage({ ...location, bucket: 'absent-bucket' });
    const record = stagedRecord(staged.dir, 'lost', Buffer.from('x\n'), { exitCode: 7, status: 'failed' });
    const error = await staged.publish(record).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputNotStoredError);
    expect(error).toMatchObject({
      name: 'OutputNotStored',
      exitCode: 7,
      status: 'failed',
      uri: 's3://absent-bucket/unit-runbook/run-1/direct/1/lost.log',
    });
    expect((error as Error).message).toContain('NoSuchBucket');
    expect(existsSync(staged.dir)).toBe(false);
  });

  it('refuses a part size under S3’s 5 MiB minimum', () => {
    expect(() => createS3OutputStore({ client, partSizeBytes: MIB })).toThrow(/5 MiB/);
  });
});

describe('the S3 store with a 200 MB output', () => {
  it('keeps the peak RSS bounded: it grows by far less than the output (a child process, measured by getrusage)', async () => {
    // bench/s3-store.ts reports the figures (peak about 160 MB, growth about 60 MB, the same for
    // 800 MB); the bound here is generous, for a loaded machine, and still far below the output.
    const m = await measureS3Store(200 * MIB, 150_000);
    expect(m.uri).toBe('s3://outputs/bench/run/big/1/big.log');
    expect(m.bytes).toBe(200 * MIB);
    expect(m.growth).toBeLessThan(150 * MIB);
  }, 180_000);
});

describe('createHandlerDeps', () => {
  it('picks the S3 store when OUTPUT_BUCKET is set (as the stack sets it), else a directory store', () => {
    const onAws = createHandlerDeps({ env: { OUTPUT_BUCKET: 'runbook-outputs' } });
    const local = createHandlerDeps({ env: {} });
    expect(onAws.outputStore.writeItems).toBeTypeOf('function');
    expect(onAws.outputStore.readResults).toBeTypeOf('function');
    expect(local.outputStore.writeItems).toBeUndefined();
    for (const deps of [onAws, local]) deps.ecs.destroy();
  });
});

describe('the Distributed Map’s items and results', () => {
  const fanOut = { ...location, stepId: 'fan' };

  it('writes the batches as the ItemReader’s JSON array and names the result prefix', async () => {
    const batches = [['a', 'b'], ['c']];
    const items = await store().writeItems?.(fanOut, batches);
    expect(items).toEqual({
      bucket: BUCKET,
      key: 'unit-runbook/run-1/fan/fan-out/items.json',
      resultPrefix: 'unit-runbook/run-1/fan/fan-out/results',
    });
    expect(JSON.parse((await getObject(items?.key as string)).body.toString())).toEqual(batches);
  });

  it('reads each child’s batch result through the ResultWriter’s manifest; a failed child’s tasks become errors', async () => {
    // The layout Step Functions' ResultWriter writes: a manifest and result files of child executions.
    const prefix = 'unit-runbook/run-1/fan/fan-out/results/0a1b2c3d';
    const child = (taskIds: string[], output?: unknown) => ({
      ExecutionArn: `arn:aws:states:eu-west-1:000000000000:execution:test-runbook/Map:${taskIds[0]}`,
      Input: JSON.stringify({ kind: 'batch', taskIds }),
      InputDetails: { Included: true },
      Name: taskIds[0],
      ...(output === undefined
        ? { Status: 'FAILED', Error: 'States.Timeout', Cause: 'the batch timed out' }
        : { Status: 'SUCCEEDED', Output: JSON.stringify(output), OutputDetails: { Included: true } }),
    });
    const put = (key: string, body: unknown) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(body) }));
    await put(`${prefix}/SUCCEEDED_0.json`, [
      child(
        ['a', 'b'],
        [
          { taskId: 'a', exitCode: 0, status: 'succeeded', uri: 's3://outputs/a.log' },
          { taskId: 'b', exitCode: 2, status: 'failed', error: 'CommandFailed' },
        ],
      ),
    ]);
    await put(`${prefix}/FAILED_0.json`, [child(['c'])]);
    await put(`${prefix}/manifest.json`, {
      DestinationBucket: BUCKET,
      MapRunArn: 'arn:aws:states:eu-west-1:000000000000:mapRun:test-runbook/Map:0a1b2c3d',
      ResultFiles: {
        FAILED: [{ Key: `${prefix}/FAILED_0.json`, Size: 1 }],
        PENDING: [],
        SUCCEEDED: [{ Key: `${prefix}/SUCCEEDED_0.json`, Size: 1 }],
      },
    });

    const results = await store().readResults?.({ Bucket: BUCKET, Key: `${prefix}/manifest.json` });

    expect(results).toEqual([
      [
        { taskId: 'a', exitCode: 0, status: 'succeeded', uri: 's3://outputs/a.log' },
        { taskId: 'b', exitCode: 2, status: 'failed', error: 'CommandFailed' },
      ],
      [{ taskId: 'c', exitCode: null, status: 'error', error: 'States.Timeout' }],
    ]);
  });

  it('says which object it could not read', async () => {
    await expect(
      store().readResults?.({ Bucket: BUCKET, Key: 'unit-runbook/none/manifest.json' }),
    ).rejects.toThrow(/s3:\/\/outputs\/unit-runbook\/none\/manifest\.json.*NoSuchKey/);
  });
});

describe('a fan-out batch with the S3 store', () => {
  it('gives each target of the batch its own object, and a retried target each try’s', async () => {
    const { deps } = await startHarness();
    const taskIds = [0, 1].map((i) => taskIdFor('demo', 'api', i));
    // Each task's first try fails (CommandFailed, retryable); the retry succeeds.
    const script = 'if [ ! -e tried ]; then : > tried; echo first; exit 1; fi; echo second';
    const event: BatchEvent = {
      kind: 'batch',
      runbook: 'test-runbook',
      stepId: 'fan',
      execution: EXECUTION,
      cluster: 'demo',
      container: 'app',
      taskIds,
      script,
      env: {},
      timeoutMs: 20_000,
      concurrency: 2,
      ratePerSecond: 100,
      retry: { attempts: 2, intervalMs: 0, backoff: 1 },
      outputBucket: BUCKET,
    };

    const results = await runBatch(event, { ...deps, outputStore: store() });

    expect(results).toEqual(
      taskIds.map((taskId) => ({
        taskId,
        exitCode: 0,
        status: 'succeeded',
        uri: `s3://${BUCKET}/test-runbook/run-1/fan/2/${taskId}.log`,
      })),
    );
    for (const taskId of taskIds) {
      const first = await getObject(`test-runbook/run-1/fan/1/${taskId}.log`);
      expect(first.body.toString()).toBe('first\n');
      expect(first.metadata).toMatchObject({
        'exit-code': '1',
        status: 'failed',
        'command-sha256': sha256(script),
      });
      expect((await getObject(`test-runbook/run-1/fan/2/${taskId}.log`)).body.toString()).toBe('second\n');
    }
    expect(readdirSync(staging)).toEqual([]);
  });

  it('reports a target whose output could not be stored as an OutputNotStored error, its exit code kept', async () => {
    const { deps } = await startHarness();
    const taskId = taskIdFor('demo', 'api', 2);
    const results = await runBatch(
      {
        kind: 'batch',
        runbook: 'test-runbook',
        stepId: 'fan',
        execution: EXECUTION,
        cluster: 'demo',
        taskIds: [taskId],
        script: 'echo ok',
        env: {},
        timeoutMs: 20_000,
        concurrency: 1,
        ratePerSecond: 100,
        outputBucket: 'no-such-bucket',
      },
      { ...deps, outputStore: store() },
    );
    expect(results).toEqual([{ taskId, exitCode: 0, status: 'error', error: 'OutputNotStored' }]);
  });
});

/** The step value a TaskError carries as its message. */
async function rejection(promise: Promise<unknown>): Promise<{ error: TaskError; value: ExecStepValue }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the handler to throw');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskError);
  return { error: error as TaskError, value: JSON.parse((error as TaskError).message) as ExecStepValue };
}
