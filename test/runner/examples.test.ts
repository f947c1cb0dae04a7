/**
 * Every example in runbooks/*.yaml, end to end: the compiled ASL in aws-local-stepfunctions,
 * the handler cores, the real ECS client, the local ECS API and agent, real commands in sh.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runExec } from '../../lib/exec/run-exec.ts';
import type { ExecStepValue, FanOutStepValue } from '../../lib/handlers/events.ts';
import type { RunEvent } from '../../lib/runner/progress.ts';
import { type RunLocalOptions, runLocal } from '../../lib/runner/run-local.ts';
import { type Harness, startHarness } from '../handlers/harness.ts';
import { cleanUp, eventsOf, tempDir } from './helpers.ts';

afterEach(cleanUp);

const RUNBOOKS = path.join(import.meta.dirname, '..', '..', 'runbooks');

async function runExample(harness: Harness, name: string, options: Partial<RunLocalOptions> = {}) {
  const file = path.join(RUNBOOKS, `${name}.yaml`);
  const events: RunEvent[] = [];
  const result = await runLocal(readFileSync(file, 'utf8'), {
    file,
    ecs: harness.ecs,
    kms: harness.kms,
    outputDir: await tempDir('examples-outputs-'),
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { result, events };
}

/** Runs a script in every task of a demo service (to set up or inspect their data). */
async function inEvery(harness: Harness, service: string, script: string): Promise<string[]> {
  const { results } = await runExec(
    { target: { cluster: 'demo', service, pick: 'all', container: 'app' }, command: { script } },
    { ecs: harness.ecs },
  );
  return results.map((r) => r.output.tail);
}

describe('the examples', () => {
  it('are the three this suite knows', () => {
    const names = readdirSync(RUNBOOKS)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(names).toEqual(['flush-cache.yaml', 'incident-api-5xx.yaml', 'nightly-maintenance.yaml']);
  });
});

describe('nightly-maintenance', () => {
  it('measures, purges every api task and reports when run with its defaults', async () => {
    // Arrange: an old and a new temp file in every api task.
    const harness = await startHarness();
    await inEvery(
      harness,
      'api',
      'mkdir -p "$DATA_DIR/tmp" && touch -d "2000-01-01" "$DATA_DIR/tmp/old" && touch "$DATA_DIR/tmp/new"',
    );

    // Act
    const { result, events } = await runExample(harness, 'nightly-maintenance');

    // Assert
    expect(result.status).toBe('succeeded');
    const usage = result.steps.usage as ExecStepValue;
    expect(usage.status).toBe('succeeded');
    expect(usage.outputs.usedPercent).toEqual(expect.any(Number));
    expect(result.steps.purge).toMatchObject({
      status: 'succeeded',
      outputs: { total: 3, succeeded: 3, failed: 0 },
    });
    expect(result.outputs).toEqual({
      usedPercent: usage.outputs.usedPercent,
      purgedTasks: 3,
      failedTasks: 0,
    });
    const targets = eventsOf(events, 'target-finished');
    expect(targets).toHaveLength(3);
    for (const target of targets)
      expect(target.result.output.tail).toMatch(/^purged 1 of 2 temp files in \/.+\/tmp\n$/);
    expect(await inEvery(harness, 'api', 'ls "$DATA_DIR/tmp"')).toEqual(['new\n', 'new\n', 'new\n']);
    const [notification] = eventsOf(events, 'notification');
    expect(notification).toMatchObject({
      stepId: 'report',
      topic: 'arn:aws:sns:eu-west-1:000000000000:ops-nightly',
      subject: 'Nightly maintenance of api',
    });
    expect(notification?.message).toContain('purged in 3 of 3 tasks.');
  });

  it('purges the tasks of the service its parameter names', async () => {
    const harness = await startHarness();
    const { result } = await runExample(harness, 'nightly-maintenance', {
      params: { service: 'web', maxAgeDays: 0 },
    });
    expect(result.status).toBe('succeeded');
    expect(result.outputs.purgedTasks).toBe(2);
  });
});

describe('flush-cache', () => {
  it('measures, asks, flushes every task and verifies when approved', async () => {
    // Arrange: two cache entries in every web task.
    const harness = await startHarness();
    await inEvery(
      harness,
      'web',
      'mkdir -p "$DATA_DIR/cache" && echo a > "$DATA_DIR/cache/a" && echo b > "$DATA_DIR/cache/b"',
    );
    const caller = 'arn:aws:iam::000000000000:user/tester';

    // Act
    const { result, events } = await runExample(harness, 'flush-cache', {
      params: { reason: "it's stale; $(touch /tmp/pwned)" },
      trigger: { type: 'api', api: { caller } },
      approval: { decision: 'approve', approvedBy: 'alice', comment: 'go' },
    });

    // Assert
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ entriesBefore: 2, entriesAfter: 0, flushedTasks: 2 });
    expect(result.steps.approve).toEqual({
      status: 'succeeded',
      exitCode: null,
      outputs: { approvedBy: 'alice', comment: 'go' },
    });
    const [requested] = eventsOf(events, 'approval-requested');
    const kib = (result.steps.measure as ExecStepValue).outputs.kib;
    expect(requested?.message).toBe(
      `Flush the cache of web (2 entries, ${kib} KiB in one task)? Reason: it's stale; $(touch /tmp/pwned)`,
    );
    const logs = await inEvery(harness, 'web', 'cat "$DATA_DIR/flush.log"; ls "$DATA_DIR/cache" | wc -l');
    expect(existsSync('/tmp/pwned')).toBe(false);
    for (const log of logs) {
      expect(log).toMatch(
        new RegExp(`flushed by ${caller}: it's stale; \\$\\(touch /tmp/pwned\\)\\n\\s*0\\n$`),
      );
    }
  });

  it('fails at the approval and flushes nothing when rejected', async () => {
    const harness = await startHarness();
    await inEvery(harness, 'web', 'mkdir -p "$DATA_DIR/cache" && touch "$DATA_DIR/cache/a"');

    const { result } = await runExample(harness, 'flush-cache', {
      params: { reason: 'maybe' },
      approval: { decision: 'reject', approvedBy: 'bob', comment: 'not now' },
    });

    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      name: 'ApprovalRejected',
      stepId: 'approve',
      message: 'Rejected by bob: not now',
    });
    expect(result.steps.approve).toMatchObject({
      status: 'failed',
      outputs: { approvedBy: 'bob', comment: 'not now' },
    });
    expect(result.steps.flush?.status).toBe('skipped');
    expect(await inEvery(harness, 'web', 'ls "$DATA_DIR/cache"')).toEqual(['a\n', 'a\n']);
  });
});

describe('incident-api-5xx', () => {
  const alarm = {
    type: 'alarm' as const,
    alarm: { name: 'api-5xx-high', state: 'ALARM', reason: 'Threshold Crossed' },
  };

  it('collects diagnostics, skips the restart and notifies when the log is quiet', async () => {
    const harness = await startHarness();

    const { result, events } = await runExample(harness, 'incident-api-5xx', { trigger: alarm });

    expect(result.status).toBe('succeeded');
    expect(result.steps.record).toMatchObject({
      status: 'succeeded',
      outputs: { total: 3, succeeded: 3, failed: 0 },
    });
    expect(result.steps.api_errors).toMatchObject({ status: 'succeeded', outputs: { errors: 0 } });
    expect(result.steps.worker_queue).toMatchObject({ status: 'succeeded', outputs: { depth: 0 } });
    // An empty access log fails `test -s`; onFailure: continue carries on.
    expect(result.steps.last_requests).toMatchObject({
      status: 'failed',
      exitCode: 1,
      error: { name: 'CommandFailed' },
    });
    expect(result.steps.restart_workers?.status).toBe('skipped');
    expect(result.steps.restart_failed?.status).toBe('skipped');
    expect(result.outputs).toEqual({ apiErrors: 0, queueDepth: 0, restart: 'skipped' });
    const [notification] = eventsOf(events, 'notification');
    expect(notification?.subject).toBe('api-5xx-high: diagnostics');
    expect(notification?.message).toContain('api-5xx-high is ALARM (Threshold Crossed)');
    expect(notification?.message).toContain('last requests: failed; worker restart: skipped.');
    const recorded = await inEvery(harness, 'api', 'cat "$DATA_DIR/incidents/alarms.log"');
    expect(recorded).toEqual(Array(3).fill('api-5xx-high ALARM: Threshold Crossed\n'));
  });

  it('restarts the workers when the access log holds more 5xx than the threshold', async () => {
    // Arrange: 12 answers 503 in every api task's access log; the threshold is lowered to 10.
    const harness = await startHarness();
    await inEvery(
      harness,
      'api',
      'mkdir -p "$DATA_DIR/logs"; i=0; while [ $i -lt 12 ]; do echo "GET /x 503 12ms" >> "$DATA_DIR/logs/access.log"; i=$((i+1)); done',
    );

    const { result, events } = await runExample(harness, 'incident-api-5xx', {
      trigger: alarm,
      params: { errorThreshold: 10 },
    });

    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ apiErrors: 12, queueDepth: 0, restart: 'succeeded' });
    expect(result.steps.last_requests).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect((result.steps.restart_workers as FanOutStepValue).outputs).toEqual({
      total: 2,
      succeeded: 2,
      failed: 0,
    });
    const restarts = eventsOf(events, 'target-finished').filter((e) => e.stepId === 'restart_workers');
    expect(restarts.map((e) => e.result.output.tail)).toEqual(
      Array(2).fill('restart requested because of api-5xx-high\n'),
    );
  });
});
