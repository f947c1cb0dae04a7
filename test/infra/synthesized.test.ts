/**
 * What CDK synthesizes runs: the app is synthesized once into a temporary cdk.out, and the test
 * runs what is there, not the sources: each state machine's definition with its substitutions
 * resolved to stand-in ARNs, in aws-local-stepfunctions; each function's bundled asset exactly
 * as CDK wrote it, through a Lambda-shaped harness, its SDK clients pointed at loopback
 * stand-ins (a real S3 API, s3rver; an SNS Publish stand-in; the local ECS API and agent) by
 * AWS_ENDPOINT_URL_* and fake credentials. Each example runbook runs end to end this way and,
 * for comparison, through the local runner: both must give the same step values and outputs,
 * and the assets' full outputs must be in the bucket.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcsClient, createKmsClient } from '../../lib/exec/clients.ts';
import { runExec } from '../../lib/exec/run-exec.ts';
import type {
  BatchTargetResult,
  ExecStepValue,
  ExecutionOutput,
  FanOutStepValue,
  RunbookInput,
  StepValue,
} from '../../lib/handlers/events.ts';
import { FUNCTION_NAMES, type FunctionName, PROJECT_ROOT } from '../../lib/infra/index.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';
import { runLocal } from '../../lib/runner/run-local.ts';
import { CLUSTER_FILE } from '../handlers/harness.ts';
import {
  type CdkOut,
  STAND_IN_BUCKET,
  type SynthesizedStateMachine,
  synthesizeCdkOut,
} from './support/cdk-out.ts';
import { LambdaHarness, lambdaProcessEnv, setEnv } from './support/lambda-harness.ts';
import { type LoopbackSns, startLoopbackSns } from './support/loopback-sns.ts';
import { Harnesses, invokedFunctionArn, runMachine, TaskTokens, taskStates } from './support/run-machine.ts';
import { type LoopbackS3, startLoopbackS3 } from './support/s3.ts';

const RUNBOOKS = path.join(PROJECT_ROOT, 'runbooks');
const FIXTURE_LAMBDAS = path.join(import.meta.dirname, '..', 'fixtures', 'lambdas');

/** The entries written so far; the others are synthesized from the echo fixtures. */
const WRITTEN = FUNCTION_NAMES.filter((name) => existsSync(path.join(PROJECT_ROOT, 'lambdas', `${name}.ts`)));
const MISSING = FUNCTION_NAMES.filter((name) => !WRITTEN.includes(name));

let cdkOut: CdkOut;
let s3: LoopbackS3;
let sns: LoopbackSns;
let restoreEnv: () => void;
let harnesses: Harnesses;

/** The local ECS API and agent the exec assets reach (AWS_ENDPOINT_URL_ECS), and clients for the local runs. */
let local: { emulator: LocalEcs; ecs: ECSClient; kms: KMSClient };
let s3Client: S3Client;
let localOutputs: string;

beforeAll(async () => {
  let emulator: LocalEcs;
  [s3, sns, emulator] = await Promise.all([
    startLoopbackS3([STAND_IN_BUCKET]),
    startLoopbackSns(),
    startLocalEcs({ configFile: CLUSTER_FILE, port: 0, initialWaitMs: 0, paceMs: 0 }),
  ]);
  const common = { region: emulator.region, credentials: emulator.credentials };
  local = {
    emulator,
    ecs: createEcsClient({ ...common, endpoint: emulator.endpoint }),
    kms: createKmsClient({ ...common, endpoint: emulator.kmsEndpoint }),
  };
  localOutputs = mkdtempSync(path.join(tmpdir(), 'synthrun-local-outputs-'));
  restoreEnv = setEnv(
    lambdaProcessEnv({
      S3: s3.endpoint,
      SNS: sns.endpoint,
      ECS: emulator.endpoint,
      KMS: emulator.kmsEndpoint,
    }),
  );
  s3Client = new S3Client({});
  cdkOut = synthesizeCdkOut({
    runbooksDir: RUNBOOKS,
    entries: Object.fromEntries(MISSING.map((name) => [name, path.join(FIXTURE_LAMBDAS, `${name}.ts`)])),
  });
  harnesses = new Harnesses(cdkOut);
}, 240_000);

afterAll(async () => {
  restoreEnv?.();
  s3Client?.destroy();
  local?.ecs.destroy();
  local?.kms.destroy();
  await Promise.all([s3?.close(), sns?.close(), local?.emulator.close()]);
  if (localOutputs) rmSync(localOutputs, { recursive: true, force: true });
  cdkOut?.cleanup();
});

function yamlNames(): string[] {
  return ['flush-cache', 'incident-api-5xx', 'nightly-maintenance'].filter((name) =>
    existsSync(path.join(RUNBOOKS, `${name}.yaml`)),
  );
}

describe('cdk.out', () => {
  it('holds a state machine per example runbook whose substituted definition the engine loads', () => {
    const names = yamlNames();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const machine = cdkOut.stateMachine(name);
      const text = JSON.stringify(machine.definition);
      // Every substitution was applied; what is left of ${…} is shell (RB_P_…, RB_E_…, $DATA_DIR).
      for (const key of Object.keys(machine.substitutions)) expect(text).not.toContain(`\${${key}}`);
      for (const [, key] of text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) expect(key).toMatch(/^(RB_|[A-Z_]+$)/);
      expect(
        () =>
          new StateMachine(machine.definition as unknown as StateMachineDefinition, {
            validationOptions: { checkArn: true, checkPaths: true },
          }),
      ).not.toThrow();
    }
  });

  it('routes every Task state to a function of cdk.out whose asset CDK wrote, or to SNS', () => {
    for (const machine of cdkOut.stateMachines) {
      const tasks = taskStates(machine.definition.States as never);
      expect(tasks.size).toBeGreaterThan(0);
      for (const [name, state] of tasks) {
        const arn = invokedFunctionArn(state);
        if (arn === undefined) {
          expect(state.Resource, `${machine.name}/${name}`).toBe('arn:aws:states:::sns:publish');
          continue;
        }
        const fn = cdkOut.functionByArn(arn);
        expect(existsSync(fn.assetFile), `${machine.name}/${name} → ${fn.assetFile}`).toBe(true);
      }
    }
  });

  it.each(WRITTEN)(
    'the %s asset cold-starts with the environment CDK gave it and exports its handler',
    async (name) => {
      const harness = new LambdaHarness(cdkOut.functionNamed(name));
      await harness.load();
      // The bundle is the real entry, not a fixture echo.
      expect(readFileSync(harness.fn.assetFile, 'utf8')).not.toContain('fixture:');
    },
  );
});

describe('the loopback S3 API', () => {
  it.each(['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const)(
    "takes lib-storage's single and multipart uploads with requestChecksumCalculation %s, bytes and metadata intact",
    async (mode) => {
      // Configured as a function's client would be: endpoint, region and credentials from the environment.
      const client = new S3Client({ requestChecksumCalculation: mode });
      for (const size of [1024, 11 * 1024 * 1024]) {
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i += 4096) body.write(`${mode}:${i}\n`, i);
        const key = `checks/${mode}/${size}.log`;
        await new Upload({
          client,
          params: { Bucket: STAND_IN_BUCKET, Key: key, Body: body, Metadata: { 'exit-code': '0' } },
          partSize: 5 * 1024 * 1024,
        }).done();
        const head = await client.send(new HeadObjectCommand({ Bucket: STAND_IN_BUCKET, Key: key }));
        expect(head.Metadata).toEqual({ 'exit-code': '0' });
        const got = await client.send(new GetObjectCommand({ Bucket: STAND_IN_BUCKET, Key: key }));
        const bytes = Buffer.from(
          await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        );
        expect(bytes.equals(body)).toBe(true);
      }
      client.destroy();
    },
    60_000,
  );
});

const written = (name: FunctionName) => WRITTEN.includes(name);

describe.runIf(written('approval-request'))('an approval step, through the approval-request asset', () => {
  /** The flush-cache machine's approval state alone, as CDK wrote it (its Catch and Next cut). */
  function approvalMachine(): SynthesizedStateMachine {
    const machine = cdkOut.stateMachine('flush-cache');
    const states = machine.definition.States as Record<string, Record<string, unknown>>;
    const { Catch: _catch, Next: _next, ...approve } = states.approve as Record<string, unknown>;
    return { ...machine, definition: { StartAt: 'approve', States: { approve: { ...approve, End: true } } } };
  }

  const input = {
    params: { cluster: 'demo', service: 'web', olderThanMinutes: 0, reason: 'disk full' },
    trigger: { type: 'api', api: { caller: 'arn:aws:iam::123456789012:user/ops' } },
    steps: { measure: { status: 'succeeded', exitCode: 0, outputs: { entries: 3, kib: 12 } } },
  };

  it('publishes the request with the task token to the topic CDK wired, and the answer resumes the state', async () => {
    const tokens = new TaskTokens();
    const run = runMachine(harnesses, approvalMachine(), input, { tokens });
    run.catch(() => undefined);
    const published = await sns.nextMessage();
    const approvalFn = cdkOut.functionNamed('approval-request');
    expect(published.topicArn).toBe(
      Object.entries(approvalFn.environment).find(([key]) => key.endsWith('TOPIC_ARN'))?.[1],
    );
    expect(published.message).toContain(
      'Flush the cache of web (3 entries, 12 KiB in one task)? Reason: disk full',
    );
    const token = published.attributes.taskToken as string;
    expect(token).toMatch(/^synthrun-token-/);
    expect(published.message).toContain(token);
    expect(published.attributes.stepId).toBe('approve');
    tokens.sendTaskSuccess(token, { approvedBy: 'arn:aws:iam::123456789012:user/lead', comment: 'go' });
    const { output, executionArn } = await run;
    expect(published.attributes.execution).toBe(executionArn);
    expect((output as typeof input & { steps: { approve: unknown } }).steps.approve).toEqual({
      status: 'succeeded',
      exitCode: null,
      outputs: { approvedBy: 'arn:aws:iam::123456789012:user/lead', comment: 'go' },
    });
  });

  it('a rejected token fails the state with the error the test sent', async () => {
    const tokens = new TaskTokens();
    const run = runMachine(harnesses, approvalMachine(), input, { tokens });
    run.catch(() => undefined);
    const { attributes } = await sns.nextMessage();
    tokens.sendTaskFailure(attributes.taskToken as string, 'ApprovalRejected', 'the lead said no');
    const error = (await run.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { cause?: Error };
    expect(error?.name).toBe('ExecutionError');
    expect(error.cause?.name).toBe('ApprovalRejected');
    expect(error.cause?.message).toBe('the lead said no');
  });
});

describe.runIf(written('api'))('the api asset', () => {
  function post(pathText: string, body: unknown) {
    return {
      version: '2.0',
      routeKey: `POST ${pathText}`,
      rawPath: pathText,
      rawQueryString: '',
      headers: {
        'content-type': 'application/json',
        host: 'loopbackapi.execute-api.us-east-1.amazonaws.com',
      },
      requestContext: {
        domainName: 'loopbackapi.execute-api.us-east-1.amazonaws.com',
        stage: '$default',
        http: {
          method: 'POST',
          path: pathText,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'synthrun',
        },
        authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/ops' } },
      },
      pathParameters: pathText.startsWith('/runbooks/') ? { name: pathText.split('/')[2] } : {},
      body: JSON.stringify(body),
      isBase64Encoded: false,
    };
  }

  it('answers an unknown runbook with 404 naming the runbooks the catalog CDK wrote holds', async () => {
    const api = harnesses.forArn(cdkOut.functionNamed('api').arn);
    const result = (await api.invoke(post('/runbooks/nope/executions', { params: {} }))) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode).toBe(404);
    expect(result.body).toContain('flush-cache');
  });

  it('answers wrong parameters with 400 listing each problem, before anything starts', async () => {
    const api = harnesses.forArn(cdkOut.functionNamed('api').arn);
    const result = (await api.invoke(
      post('/runbooks/flush-cache/executions', { params: { service: 'db', olderThanMinutes: 'x' } }),
    )) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(400);
    expect(result.body).toContain('service');
    expect(result.body).toContain('olderThanMinutes');
    expect(result.body).toContain('reason');
  });
});

describe('every example runbook end to end through the assets', () => {
  /** A step value as both engines must agree on it: no timings, ARNs or URIs. */
  function comparable(value: StepValue | undefined): unknown {
    if (value === undefined) return undefined;
    const v = value as StepValue & { failures?: BatchTargetResult[]; failuresOmitted?: number };
    return {
      status: v.status,
      exitCode: v.exitCode,
      outputs: v.outputs,
      ...(v.error ? { error: v.error.name } : {}),
      ...(v.failures
        ? { failures: v.failures.map(({ uri: _uri, ...rest }) => rest), failuresOmitted: v.failuresOmitted }
        : {}),
    };
  }

  /** Runs a script in one task, or every task of a service (set-up and inspection). */
  async function inTasks(target: { service: string } | { task: string }, script: string): Promise<string[]> {
    const pick = 'service' in target ? 'all' : 'one';
    const { results } = await runExec(
      { target: { cluster: 'demo', ...target, pick, container: 'app' } as never, command: { script } },
      { ecs: local.ecs },
    );
    for (const r of results) expect(r.exitCode, r.output.tail).toBe(0);
    return results.map((r) => r.output.tail);
  }

  /** Every object the run wrote: key (after `<runbook>/<execution name>/`) → its metadata. */
  async function objectsOf(
    runbook: string,
    executionArn: string,
  ): Promise<Map<string, Record<string, string>>> {
    const prefix = `${runbook}/${executionArn.slice(executionArn.lastIndexOf(':') + 1)}/`;
    const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: STAND_IN_BUCKET, Prefix: prefix }));
    const objects = new Map<string, Record<string, string>>();
    for (const { Key } of listed.Contents ?? []) {
      const head = await s3Client.send(new HeadObjectCommand({ Bucket: STAND_IN_BUCKET, Key }));
      objects.set((Key as string).slice(prefix.length), head.Metadata ?? {});
    }
    return objects;
  }

  async function objectText(uri: string): Promise<string> {
    const key = uri.replace(`s3://${STAND_IN_BUCKET}/`, '');
    const got = await s3Client.send(new GetObjectCommand({ Bucket: STAND_IN_BUCKET, Key: key }));
    return (got.Body as { transformToString(): Promise<string> }).transformToString();
  }

  interface Case {
    readonly setUp: () => Promise<void>;
    readonly input: RunbookInput;
    readonly approval?: { readonly approvedBy: string; readonly comment: string };
  }

  /**
   * Runs `name` locally (lib/runner) and then through cdk.out's definition and assets, each
   * after `setUp`, and checks that both give the same outputs and step values.
   */
  async function runBoth(name: string, c: Case) {
    await c.setUp();
    const localRun = await runLocal(readFileSync(path.join(RUNBOOKS, `${name}.yaml`), 'utf8'), {
      file: path.join(RUNBOOKS, `${name}.yaml`),
      ecs: local.ecs,
      kms: local.kms,
      outputDir: path.join(localOutputs, name),
      ...(c.input.params ? { params: c.input.params } : {}),
      ...(c.input.trigger ? { trigger: c.input.trigger } : {}),
      ...(c.approval ? { approval: { decision: 'approve' as const, ...c.approval } } : {}),
    });
    await c.setUp();
    const tokens = new TaskTokens();
    const run = runMachine(harnesses, cdkOut.stateMachine(name), c.input, { tokens });
    if (c.approval) {
      const approval = c.approval;
      void (async () => {
        // Notifications of other runs may be queued before the approval request.
        for (;;) {
          const message = await sns.nextMessage(120_000);
          const token = message.attributes.taskToken;
          if (token) return tokens.sendTaskSuccess(token, approval);
        }
      })().catch(() => undefined);
    }
    const aws = await run;
    const output = aws.output as ExecutionOutput;
    expect(localRun.status).toBe('succeeded');
    expect(output.outputs).toEqual(localRun.outputs);
    expect(Object.keys(output.steps).sort()).toEqual(Object.keys(localRun.steps).sort());
    for (const [id, value] of Object.entries(output.steps)) {
      expect(comparable(value), id).toEqual(comparable(localRun.steps[id]));
    }
    return { output, executionArn: aws.executionArn, objects: await objectsOf(name, aws.executionArn) };
  }

  const taskKey = (stepId: string, attempt: number, taskId: string) => `${stepId}/${attempt}/${taskId}.log`;
  /** The URI of an output of the run. */
  const uriOf = (runbook: string, executionArn: string, key: string) =>
    `s3://${STAND_IN_BUCKET}/${runbook}/${executionArn.slice(executionArn.lastIndexOf(':') + 1)}/${key}`;
  const webTask = (i: number) => taskIdFor('demo', 'web', i);
  const apiTasks = [0, 1, 2].map((i) => taskIdFor('demo', 'api', i));

  it('flush-cache: runs; a failing target is retried, keeps each try in the bucket and is tolerated, as locally', async () => {
    const { output, objects, executionArn } = await runBoth('flush-cache', {
      setUp: async () => {
        await inTasks(
          { service: 'web' },
          'rm -rf "$DATA_DIR/cache" "$DATA_DIR/flush.log"; mkdir -p "$DATA_DIR/cache"; echo a > "$DATA_DIR/cache/a"',
        );
        // The flush log of the first web task is a directory: its flush fails on every try.
        await inTasks({ task: webTask(0) }, 'mkdir -p "$DATA_DIR/flush.log"');
      },
      input: {
        params: { reason: 'stale assets' },
        trigger: { type: 'api', api: { caller: 'arn:aws:iam::123456789012:user/ops' } },
      },
      approval: { approvedBy: 'arn:aws:iam::123456789012:user/lead', comment: 'go' },
    });

    expect(output.outputs).toEqual({ entriesBefore: 1, entriesAfter: 0, flushedTasks: 1 });
    const flush = output.steps.flush as FanOutStepValue;
    expect(flush).toMatchObject({ status: 'succeeded', outputs: { total: 2, succeeded: 1, failed: 1 } });
    // The failed target names its last try's output.
    const failedUri = uriOf('flush-cache', executionArn, taskKey('flush', 2, webTask(0)));
    expect(flush.failures).toEqual([
      {
        taskId: webTask(0),
        exitCode: expect.any(Number),
        status: 'failed',
        error: 'CommandFailed',
        uri: failedUri,
      },
    ]);
    const measure = output.steps.measure as ExecStepValue;
    const measured = measure.result?.taskId as string;
    const verified = (output.steps.verify as ExecStepValue).result?.taskId as string;
    // Each exec's whole output: one object per target and try; the retried target has both tries.
    expect([...objects.keys()].sort()).toEqual(
      [
        taskKey('measure', 1, measured),
        taskKey('flush', 1, webTask(0)),
        taskKey('flush', 2, webTask(0)),
        taskKey('flush', 1, webTask(1)),
        taskKey('verify', 1, verified),
      ].sort(),
    );
    const failedExit = String(flush.failures?.[0]?.exitCode);
    for (const attempt of [1, 2]) {
      expect(objects.get(taskKey('flush', attempt, webTask(0)))).toMatchObject({
        'exit-code': failedExit,
        status: 'failed',
        error: 'CommandFailed',
        'command-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
    expect(objects.get(taskKey('flush', 1, webTask(1)))).toMatchObject({
      'exit-code': '0',
      status: 'succeeded',
    });
    expect(measure.result?.output.uri).toBe(
      uriOf('flush-cache', executionArn, taskKey('measure', 1, measured)),
    );
    expect(await objectText(measure.result?.output.uri as string)).toBe(measure.result?.output.tail);
    expect(await objectText(failedUri)).toMatch(/flush\.log/);
  }, 180_000);

  it('incident-api-5xx: runs; a failed step caught by onFailure keeps its output and exit code in the bucket, as locally', async () => {
    const { output, objects } = await runBoth('incident-api-5xx', {
      setUp: async () => {
        await inTasks({ service: 'api' }, 'rm -rf "$DATA_DIR/incidents" "$DATA_DIR/logs"');
      },
      input: {
        trigger: {
          type: 'alarm',
          alarm: { name: 'api-5xx-high', state: 'ALARM', reason: 'Threshold Crossed' },
        },
      },
    });

    expect(output.outputs).toEqual({ apiErrors: 0, queueDepth: 0, restart: 'skipped' });
    const last = output.steps.last_requests as ExecStepValue;
    expect(last).toMatchObject({ status: 'failed', exitCode: 1, error: { name: 'CommandFailed' } });
    expect(objects.get(taskKey('last_requests', 1, last.result?.taskId as string))).toMatchObject({
      'exit-code': '1',
      status: 'failed',
      error: 'CommandFailed',
    });
    for (const taskId of apiTasks) {
      expect(objects.get(taskKey('record', 1, taskId))).toMatchObject({
        'exit-code': '0',
        status: 'succeeded',
      });
    }
    for (const id of ['api_errors', 'worker_queue']) {
      const value = output.steps[id] as ExecStepValue;
      expect(objects.get(taskKey(id, 1, value.result?.taskId as string)), id).toMatchObject({
        status: 'succeeded',
      });
      expect(await objectText(value.result?.output.uri as string)).toBe(value.result?.output.tail);
    }
    expect([...objects.keys()].filter((k) => k.startsWith('restart_workers/'))).toEqual([]);
    expect(objects.size).toBe(6);
  }, 180_000);

  it('nightly-maintenance: runs; every target of the fan-out has its whole output in the bucket, as locally', async () => {
    const { output, objects, executionArn } = await runBoth('nightly-maintenance', {
      setUp: async () => {
        await inTasks(
          { service: 'api' },
          'rm -rf "$DATA_DIR/tmp"; mkdir -p "$DATA_DIR/tmp" && touch -d "2000-01-01" "$DATA_DIR/tmp/old" && touch "$DATA_DIR/tmp/new"',
        );
      },
      input: { trigger: { type: 'schedule', schedule: { time: '2026-12-05T02:00:00Z' } } },
    });

    expect(output.outputs).toMatchObject({ purgedTasks: 3, failedTasks: 0 });
    const usage = output.steps.usage as ExecStepValue;
    expect(await objectText(usage.result?.output.uri as string)).toMatch(/^used=\d+\n$/);
    for (const taskId of apiTasks) {
      const key = taskKey('purge', 1, taskId);
      expect(objects.get(key)).toMatchObject({ 'exit-code': '0', status: 'succeeded' });
      expect(await objectText(uriOf('nightly-maintenance', executionArn, key))).toMatch(
        /^purged 1 of 2 temp files in \/.+\/tmp\n$/,
      );
    }
    expect(objects.size).toBe(4);
  }, 180_000);
});
