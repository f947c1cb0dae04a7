/**
 * The whole path: the real ECSClient and KMSClient → the local ECS API → the local agent → a
 * real PTY → a real sh.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { createEcsClient, createKmsClient } from '../../lib/exec/clients.ts';
import { ExecError, ExecUsageError } from '../../lib/exec/errors.ts';
import { type ExecRequest, runExec } from '../../lib/exec/run-exec.ts';
import { resolveTargets } from '../../lib/exec/targets.ts';
import { type ClusterFileInput, taskIdFor } from '../../lib/local/cluster-file.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';

const CLUSTER_FILE = path.join(import.meta.dirname, '..', '..', 'runbooks', 'local', 'cluster.yaml');

/** A cluster with one service of 20 single-container tasks. */
const MANY: ClusterFileInput = {
  region: 'eu-west-1',
  accountId: '000000000000',
  clusters: [{ name: 'wide', services: [{ name: 'many', count: 20, containers: [{ name: 'app' }] }] }],
};

interface Harness {
  local: LocalEcs;
  ecs: ECSClient;
  kms: KMSClient;
}

const open: Harness[] = [];
const tempDirs: string[] = [];

async function start(config?: ClusterFileInput): Promise<Harness> {
  const local = await startLocalEcs({
    ...(config ? { config } : { configFile: CLUSTER_FILE }),
    port: 0,
    initialWaitMs: 0,
    paceMs: 0,
  });
  const options = { region: local.region, credentials: local.credentials };
  const harness = {
    local,
    ecs: createEcsClient({ ...options, endpoint: local.endpoint }),
    kms: createKmsClient({ ...options, endpoint: local.kmsEndpoint }),
  };
  open.push(harness);
  return harness;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'exec-test-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    h.ecs.destroy();
    h.kms.destroy();
    await h.local.close();
  }
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function run(h: Harness, request: ExecRequest) {
  return runExec(request, { ecs: h.ecs, kms: h.kms });
}

async function rejection(promise: Promise<unknown>): Promise<ExecError> {
  try {
    await promise;
  } catch (error) {
    return error as ExecError;
  }
  throw new Error('expected a rejection');
}

const API_ONE = { cluster: 'demo', service: 'api' } as const;

describe('runExec', () => {
  it.each([
    [0, 'echo done', 'succeeded', undefined],
    [1, 'echo failing; false', 'failed', 'CommandFailed'],
    [2, 'exit 2', 'failed', 'CommandFailed'],
    [127, 'no-such-command-rb-test', 'failed', 'CommandFailed'],
    [130, "sh -c 'kill -INT $$'", 'failed', 'CommandFailed'],
    [255, 'exit 255', 'failed', 'CommandFailed'],
  ])('reports exit code %i through the whole path', async (code, script, status, errorName) => {
    // Arrange
    const h = await start();
    // Act
    const { results, summary } = await run(h, { target: API_ONE, command: { script } });
    // Assert
    const [result] = results;
    expect(result).toMatchObject({ exitCode: code, status, interrupted: false, polls: 0, retries: 0 });
    expect(result?.error?.name).toBe(errorName);
    expect(result?.sessionId).toMatch(/^ecs-execute-command-/);
    expect(summary).toMatchObject({ total: 1, budgetExceeded: code !== 0 });
  });

  it('returns the output tail with the marker stripped and keeps each ExecuteCommand field', async () => {
    const h = await start();
    const { results, targets } = await run(h, {
      target: { ...API_ONE, container: 'app' },
      command: { argv: ['printf', '%s\\n', 'a b', "it's"] },
    });
    expect(results[0]?.output).toEqual({ tail: "a b\nit's\n", totalBytes: 9, truncated: false });
    const task = h.local.world.clusters[0]?.tasks.find((t) => t.id === targets[0]?.taskId);
    expect(results[0]?.containerArn).toBe(task?.containers[0]?.arn);
    expect(results[0]?.taskArn).toBe(task?.arn);
    expect(targets[0]?.targetId).toBe(`ecs:demo_${targets[0]?.taskId}_${targets[0]?.runtimeId}`);
  });

  it('streams lines with their target and writes the whole output to a file sink', async () => {
    // Arrange
    const h = await start();
    const sinkDir = await tempDir();
    const lines: string[] = [];
    // Act
    const { results } = await run(h, {
      target: { ...API_ONE, pick: 'all' },
      command: { script: 'head -c 1000000 /dev/zero | tr "\\0" x; printf "\\nlast line"' },
      tailBytes: 64,
      sinkDir,
      onLine: (target, line, newline) => {
        if (line.startsWith('last')) lines.push(`${target.taskId}: ${line} ${newline}`);
      },
    });
    // Assert
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.output).toMatchObject({ totalBytes: 1_000_010, truncated: true });
      expect(result.output.tail).toBe(`${'x'.repeat(54)}\nlast line`);
      const file = fileURLToPath(result.output.uri ?? 'file:///missing');
      expect((await stat(file)).size).toBe(1_000_010);
      expect((await readFile(file, 'latin1')).endsWith('x\nlast line')).toBe(true);
    }
    expect(lines.sort()).toEqual(results.map((r) => `${r.taskId}: last line false`).sort());
  });

  it('runs on the KMS-encrypted cluster secure end to end', async () => {
    const h = await start();
    const { results } = await run(h, {
      target: { cluster: 'secure', service: 'api' },
      command: { script: 'echo "$APP_ENV"' },
    });
    expect(results[0]).toMatchObject({ status: 'succeeded', exitCode: 0, output: { tail: 'local\n' } });
  });

  it('polls through TargetNotConnectedException and succeeds with polls counted', async () => {
    const h = await start();
    h.local.faults.set('demo', { targetNotConnectedForMs: 500 });
    const { results } = await run(h, {
      target: API_ONE,
      command: { script: 'echo connected' },
      pollBackoff: { baseMs: 100, capMs: 400 },
    });
    expect(results[0]?.status).toBe('succeeded');
    expect(results[0]?.polls).toBeGreaterThan(0);
    expect(h.local.stats.errors.TargetNotConnectedException).toBe(results[0]?.polls);
  });

  it('reports TargetNotConnectedException with the three causes once the deadline passes', async () => {
    const h = await start();
    h.local.faults.set('demo', { targetNotConnectedForMs: 60_000 });
    const { results } = await run(h, {
      target: API_ONE,
      command: { script: 'true' },
      targetNotConnectedDeadlineMs: 300,
      pollBackoff: { baseMs: 50, capMs: 100 },
    });
    const result = results[0];
    expect(result).toMatchObject({ status: 'error', exitCode: null, sessionId: null });
    expect(result?.polls).toBeGreaterThan(1);
    expect(result?.error?.name).toBe('TargetNotConnectedException');
    expect(result?.error?.message).toBe(
      'The execute command failed due to an internal error. Try again later.',
    );
    expect(result?.error?.hint).toContain('ssmmessages:CreateControlChannel');
    expect(result?.error?.hint).toContain('no route to ssmmessages');
    expect(result?.error?.hint).toContain('agent is not running');
  });

  it.each(['ThrottlingException', 'ServerException'] as const)(
    'retries %s with backoff and counts the retries',
    async (error) => {
      const h = await start();
      h.local.faults.failNext({ operation: 'ExecuteCommand', error, times: 2 });
      const { results } = await run(h, {
        target: API_ONE,
        command: { script: 'echo ok' },
        retryBackoff: { baseMs: 10, capMs: 50 },
      });
      expect(results[0]).toMatchObject({ status: 'succeeded', retries: 2 });
    },
  );

  it('reports ServerException once the bounded retries are spent', async () => {
    const h = await start();
    h.local.faults.failNext({ operation: 'ExecuteCommand', error: 'ServerException', times: 5 });
    const { results } = await run(h, {
      target: API_ONE,
      command: { script: 'true' },
      maxRetries: 2,
      retryBackoff: { baseMs: 10, capMs: 20 },
    });
    expect(results[0]).toMatchObject({ status: 'error', retries: 2, error: { name: 'ServerException' } });
    expect(results[0]?.error?.hint).toContain('2 retries spent');
  });

  it('retries throttling by the rate fault until every target of a fan-out ran', async () => {
    const h = await start();
    h.local.faults.set('demo', { throttle: { perSecond: 2 } });
    const { results, summary } = await run(h, {
      target: { cluster: 'demo', family: 'api', pick: 'all' },
      command: { script: 'true' },
      maxRetries: 20,
      retryBackoff: { baseMs: 100, capMs: 400 },
    });
    expect(summary.succeeded).toBe(3);
    expect(results.reduce((n, r) => n + r.retries, 0)).toBe(h.local.stats.errors.ThrottlingException);
    expect(h.local.stats.errors.ThrottlingException).toBeGreaterThan(0);
  });

  it('reports AccessDeniedException verbatim with a hint on IAM condition keys', async () => {
    const h = await start();
    h.local.faults.set('demo', { denyContainers: ['app'] });
    const { results } = await run(h, { target: API_ONE, command: { script: 'true' } });
    expect(results[0]?.status).toBe('error');
    expect(results[0]?.error?.name).toBe('AccessDeniedException');
    expect(results[0]?.error?.message).toMatch(/is not authorized to perform: ecs:ExecuteCommand/);
    expect(results[0]?.error?.hint).toMatch(/ecs:cluster, ecs:container-name, aws:ResourceTag\//);
    expect(results[0]?.retries).toBe(0);
  });

  it('reports InvalidParameterException and ClientException from ExecuteCommand verbatim, never retried', async () => {
    // Arrange: targets resolved while exec was on, so only ExecuteCommand sees the change.
    const h = await start();
    const targets = await resolveTargets({ ...API_ONE, pick: 2 }, { ecs: h.ecs });
    h.local.faults.set('demo', { execDisabled: [targets[1]?.taskId ?? ''] });
    h.local.faults.failNext({
      operation: 'ExecuteCommand',
      error: 'ClientException',
      message: 'Nope, verbatim.',
    });
    // Act
    const { results } = await run(h, {
      target: { targets },
      command: { script: 'true' },
      concurrency: 1,
      tolerate: 2,
    });
    // Assert
    expect(results.map((r) => [r.error?.name, r.error?.message, r.retries])).toEqual([
      ['ClientException', 'Nope, verbatim.', 0],
      [
        'InvalidParameterException',
        "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try the request again.",
        0,
      ],
    ]);
    expect(results[1]?.error?.hint).toContain('exec was not enabled when the task started');
  });

  it('reports ClusterNotFoundException from ExecuteCommand with the cluster and region', async () => {
    const h = await start();
    const [target] = await resolveTargets(API_ONE, { ecs: h.ecs });
    const lost = { ...(target as NonNullable<typeof target>), cluster: 'gone', clusterArn: 'gone' };
    const { results } = await run(h, { target: { targets: [lost] }, command: { script: 'true' } });
    expect(results[0]?.error).toMatchObject({
      name: 'ClusterNotFoundException',
      message: 'Cluster not found.',
    });
    expect(results[0]?.error?.hint).toContain('No cluster gone in region eu-west-1');
  });

  it('rejects with ClusterNotFoundException when the selection names a missing cluster', async () => {
    const h = await start();
    const error = await rejection(
      run(h, { target: { cluster: 'nope', service: 'api' }, command: { script: 'true' } }),
    );
    expect(error).toBeInstanceOf(ExecError);
    expect(error.name).toBe('ClusterNotFoundException');
    expect(error.hint).toContain('No cluster nope in region eu-west-1');
  });

  it.each([
    [
      { execDisabled: ['api/0'] },
      /ECS Exec is not enabled on task/,
      /--enable-execute-command --force-new-deployment/,
    ],
    [
      { agentNotRunning: ['api/0'] },
      /ExecuteCommandAgent of container app in task \w+ is STOPPED/,
      /ssmmessages/,
    ],
  ])('reports PreflightFailed without calling ExecuteCommand for %j', async (faults, message, hint) => {
    const h = await start();
    h.local.faults.set('demo', faults);
    h.local.stats.reset();
    const { results } = await run(h, {
      target: { cluster: 'demo', task: taskIdFor('demo', 'api', 0) },
      command: { script: 'true' },
    });
    expect(results[0]?.status).toBe('error');
    expect(results[0]?.error?.name).toBe('PreflightFailed');
    expect(results[0]?.error?.message).toMatch(message);
    expect(results[0]?.error?.hint).toMatch(hint);
    expect(h.local.stats.calls.ExecuteCommand).toBe(0);
  });

  it('picks a task that passes preflight for pick one', async () => {
    const h = await start();
    h.local.faults.set('demo', { execDisabled: ['api/0', 'api/1'] });
    const { results } = await run(h, { target: API_ONE, command: { script: 'true' } });
    expect(results[0]?.status).toBe('succeeded');
  });

  it('rejects with InvalidParameterException listing the containers when none is named', async () => {
    const h = await start();
    const error = await rejection(
      run(h, { target: { cluster: 'demo', service: 'worker' }, command: { script: 'true' } }),
    );
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(/has 2 containers \(app, sidecar\) and none was named/);
  });

  it('rejects with InvalidParameterException listing the containers for a wrong name', async () => {
    const h = await start();
    const error = await rejection(
      run(h, {
        target: { cluster: 'demo', service: 'worker', container: 'db' },
        command: { script: 'true' },
      }),
    );
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(/Container db is not in task \w+; its containers: app, sidecar/);
  });

  it('runs in the named container of a task with several', async () => {
    const h = await start();
    const { results } = await run(h, {
      target: { cluster: 'demo', service: 'worker', container: 'sidecar' },
      command: { script: 'basename "$PWD"' },
    });
    expect(results[0]).toMatchObject({ container: 'sidecar', output: { tail: 'sidecar\n' } });
  });

  it.each([
    [{ cluster: 'demo', startedBy: 'nobody' }, /No RUNNING task matched startedBy nobody in cluster demo/],
    [{ cluster: 'demo', service: 'ghost' }, /Service ghost was not found in cluster demo/],
    [{ cluster: 'demo', group: 'service:ghost' }, /No RUNNING task matched group service:ghost/],
    [{ cluster: 'demo', task: '0'.repeat(32) }, /Task 0{32} was not found in cluster demo \(MISSING\)/],
  ])('rejects with NoTargets for %j', async (target, message) => {
    const h = await start();
    const error = await rejection(run(h, { target, command: { script: 'true' } }));
    expect(error.name).toBe('NoTargets');
    expect(error.message).toMatch(message);
    expect(error.hint).toContain('aws ecs list-tasks --cluster demo --desired-status RUNNING');
  });

  it.each([
    [{ cluster: 'demo', group: 'nightly', pick: 'all' }, 1],
    [{ cluster: 'demo', startedBy: 'nightly', pick: 'all' }, 1],
    [{ cluster: 'demo', family: 'web', pick: 'all' }, 2],
    [{ cluster: 'demo', service: 'api', pick: 2 }, 2],
    [{ cluster: 'demo', service: 'api', pick: 'random' }, 1],
  ] as const)('resolves %j to %i targets', async (selector, count) => {
    const h = await start();
    const targets = await resolveTargets(selector, { ecs: h.ecs });
    expect(targets).toHaveLength(count);
  });

  it('ends a command at its timeout with ExecTimeout', async () => {
    const h = await start();
    const { results } = await run(h, {
      target: API_ONE,
      command: { script: 'echo started; sleep 20' },
      timeoutMs: 300,
    });
    expect(results[0]).toMatchObject({
      status: 'timed_out',
      exitCode: null,
      interrupted: true,
      output: { tail: 'started\n' },
      error: { name: 'ExecTimeout' },
    });
  });

  it('reports SessionInterrupted when the shell dies before the exit-code marker', async () => {
    const h = await start();
    const { results } = await run(h, { target: API_ONE, command: { script: 'echo before; kill -9 $$' } });
    expect(results[0]).toMatchObject({ status: 'error', exitCode: null, interrupted: true });
    expect(results[0]?.error?.name).toBe('SessionInterrupted');
    expect(results[0]?.output.tail).toBe('before\n');
  });

  it('reports cancelled when the signal aborts a running command', async () => {
    const h = await start();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('operator cancelled')), 300);
    const { results } = await run(h, {
      target: API_ONE,
      command: { script: 'echo started; sleep 20' },
      signal: controller.signal,
    }).finally(() => clearTimeout(timer));
    expect(results[0]).toMatchObject({
      status: 'cancelled',
      exitCode: null,
      error: { name: 'SessionInterrupted' },
    });
    expect(results[0]?.error?.message).toContain('operator cancelled');
  });

  it('throws a usage error before any remote call', async () => {
    const h = await start();
    await expect(
      run(h, { target: { service: 'api', family: 'x' }, command: { script: 'true' } }),
    ).rejects.toThrow(ExecUsageError);
    await expect(run(h, { target: API_ONE, command: { argv: [] } })).rejects.toThrow(ExecUsageError);
    await expect(run(h, { target: API_ONE, command: { script: 'true' }, tolerate: '5 %' })).rejects.toThrow(
      /received "5 %"/,
    );
    await expect(run(h, { target: API_ONE, command: { script: 'true' }, timeoutMs: 0 })).rejects.toThrow(
      /timeoutMs must be an integer number of milliseconds from 1 to 2147483647; received 0/,
    );
    expect(h.local.stats.calls.ListTasks + h.local.stats.calls.ExecuteCommand).toBe(0);
  });

  it('throws a usage error before any remote call when a timeout exceeds what a timer can hold', async () => {
    // Arrange: 600h is 2,160,000,000 ms, past Node's 2^31−1 ms timer limit.
    const h = await start();
    // Act + Assert
    await expect(
      run(h, { target: API_ONE, command: { script: 'true' }, timeoutMs: 2_160_000_000 }),
    ).rejects.toThrow(
      /timeoutMs must be an integer number of milliseconds from 1 to 2147483647; received 2160000000/,
    );
    await expect(
      run(h, { target: API_ONE, command: { script: 'true' }, idleTimeoutMs: 1_500.5 }),
    ).rejects.toThrow(ExecUsageError);
    expect(h.local.stats.calls.ListTasks + h.local.stats.calls.ExecuteCommand).toBe(0);
  });
});

describe('runExec fan-out', () => {
  /** Exits 3 in the task whose working directory holds `$RB_P_fail`, else prints ok. */
  const FAIL_ONE = 'case "$PWD" in *"$RB_P_fail"*) echo failing; exit 3;; esac; echo ok';

  async function wide() {
    const h = await start(MANY);
    const targets = await resolveTargets({ cluster: 'wide', service: 'many', pick: 'all' }, { ecs: h.ecs });
    return { h, targets };
  }

  it.each([
    [{ count: 1 }, false],
    ['4%', true],
  ] as const)(
    'runs 20 tasks at concurrency 5 with one failing, tolerate %j → exceeded %s',
    async (tolerate, exceeded) => {
      // Arrange: the last task fails, so every other one has started before the budget can run out.
      const { h, targets } = await wide();
      const failing = targets[19]?.taskId ?? '';
      // Act
      const { results, summary } = await run(h, {
        target: { cluster: 'wide', service: 'many', pick: 'all' },
        command: { script: FAIL_ONE, env: { RB_P_fail: failing } },
        concurrency: 5,
        tolerate,
      });
      // Assert
      expect(results.map((r) => r.taskId)).toEqual(targets.map((t) => t.taskId));
      expect(results.filter((r) => r.exitCode === 0)).toHaveLength(19);
      expect(results[19]).toMatchObject({ exitCode: 3, status: 'failed', output: { tail: 'failing\n' } });
      expect(summary).toMatchObject({ total: 20, succeeded: 19, failed: 1, budgetExceeded: exceeded });
    },
  );

  it('starts no new target once the budget is exceeded and marks the rest cancelled', async () => {
    const { h, targets } = await wide();
    const { results, summary } = await run(h, {
      target: { targets },
      command: { script: FAIL_ONE, env: { RB_P_fail: targets[0]?.taskId ?? '' } },
      concurrency: 5,
    });
    const cancelled = results.filter((r) => r.status === 'cancelled');
    expect(results[0]).toMatchObject({ exitCode: 3, status: 'failed' });
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((r) => r.error?.name === 'ErrorBudgetExceeded' && r.sessionId === null)).toBe(
      true,
    );
    expect(h.local.stats.sessions).toBe(20 - cancelled.length);
    expect(summary).toMatchObject({ total: 20, budgetExceeded: true, failed: 1 + cancelled.length });
  });

  it('never opens two sessions at once on one container', async () => {
    // Arrange: one container listed four times, beside two others; each session logs its task
    // (read from its working directory, <sandbox>/<taskId>/app) when it starts and ends.
    const { h, targets } = await wide();
    const [a, b, c] = targets as [(typeof targets)[0], (typeof targets)[0], (typeof targets)[0]];
    const log = path.join(await tempDir(), 'sessions.log');
    const script =
      't=$(basename "$(dirname "$PWD")"); echo "start $t" >> "$RB_P_log"; sleep 0.1; echo "end $t" >> "$RB_P_log"';
    // Act
    const { summary } = await run(h, {
      target: { targets: [a, b, a, c, a, a] },
      command: { script, env: { RB_P_log: log } },
      concurrency: 6,
    });
    // Assert: the shared container's start/end lines alternate, so its sessions never overlapped.
    expect(summary.succeeded).toBe(6);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(12);
    const ofA = lines.filter((line) => line.endsWith(a.taskId)).map((line) => line.split(' ')[0]);
    expect(ofA).toEqual(['start', 'end', 'start', 'end', 'start', 'end', 'start', 'end']);
  });
});
