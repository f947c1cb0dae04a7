/**
 * The exec handler core against the local emulator: the real ECS client → local ECS API →
 * agent → PTY → sh.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecEvent, ExecStepValue } from '../../lib/handlers/events.ts';
import { runExecStep } from '../../lib/handlers/exec-step.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { TaskError } from '../../lib/shared/errors.ts';
import { closeHarnesses, startHarness } from './harness.ts';

afterEach(closeHarnesses);

function execEvent(overrides: Partial<ExecEvent> = {}): ExecEvent {
  return {
    kind: 'exec',
    runbook: 'test-runbook',
    stepId: 'step1',
    execution: 'arn:aws:states:eu-west-1:000000000000:execution:test-runbook:run-1',
    target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
    script: 'echo hello',
    env: {},
    timeoutMs: 10_000,
    captures: [],
    stateTailBytes: 2048,
    outputBucket: 'local',
    ...overrides,
  };
}

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

describe('runExecStep', () => {
  it('returns the value with captures when the command exits 0', async () => {
    // Arrange
    const { deps } = await startHarness();
    const event = execEvent({
      script: 'echo "used=42"; echo "ratio=0.5"; echo \'{"queue": {"depth": "7"}}\'',
      captures: [
        { name: 'used', type: 'integer', extract: { kind: 'regex', pattern: '^used=(\\d+)$', group: 1 } },
        {
          name: 'ratio',
          type: 'number',
          extract: { kind: 'regex', pattern: '^ratio=(?<r>[0-9.]+)$', group: 'r' },
        },
        {
          name: 'depth',
          type: 'integer',
          extract: { kind: 'json', path: '.queue.depth', segments: ['queue', 'depth'] },
        },
        {
          name: 'absent',
          type: 'string',
          extract: { kind: 'regex', pattern: '^nothing=(.*)$', group: 1 },
          default: 'none',
        },
      ],
    });

    // Act
    const value = await runExecStep(event, deps);

    // Assert
    expect(value).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      outputs: { used: 42, ratio: 0.5, depth: 7, absent: 'none' },
      result: { cluster: 'demo', container: 'app', status: 'succeeded', exitCode: 0 },
    });
    expect([0, 1, 2].map((i) => taskIdFor('demo', 'api', i))).toContain(value.result?.taskId);
  });

  it('runs the KMS handshake when the cluster encrypts exec sessions', async () => {
    const { deps } = await startHarness();
    const value = await runExecStep(
      execEvent({ target: { cluster: 'secure', service: 'api', pick: 'one' }, script: 'echo secret' }),
      deps,
    );
    expect(value).toMatchObject({
      status: 'succeeded',
      result: { cluster: 'secure', output: { tail: 'secret\n' } },
    });
  });

  it('exports env values as text: strings as they are, numbers, booleans, null as empty', async () => {
    const { deps } = await startHarness();
    const event = execEvent({
      script: 'printf "[%s]" "$RB_P_s" "$RB_P_n" "$RB_P_f" "$RB_P_b" "$RB_P_z"',
      env: { RB_P_s: "it's $(x)", RB_P_n: 42, RB_P_f: 1.5, RB_P_b: false, RB_P_z: null },
    });
    const value = await runExecStep(event, deps);
    expect(value.result?.output.tail).toBe("[it's $(x)][42][1.5][false][]");
  });

  it('keeps stateTailBytes of the tail in the value and the whole output at the uri', async () => {
    const { deps } = await startHarness();
    const event = execEvent({
      script: 'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done',
      stateTailBytes: 64,
    });

    const value = await runExecStep(event, deps);

    const output = value.result?.output;
    expect(Buffer.byteLength(output?.tail ?? '')).toBeLessThanOrEqual(64);
    expect(output?.tail.endsWith('line 499\n')).toBe(true);
    expect(output?.truncated).toBe(true);
    expect(output?.uri).toMatch(/^file:\/\//);
    const whole = await readFile(fileURLToPath(output?.uri ?? ''), 'utf8');
    expect(whole.split('\n')).toHaveLength(501);
    expect(output?.totalBytes).toBe(Buffer.byteLength(whole));
  });

  it('cuts the tail at a character boundary when a multi-byte character straddles the cut', async () => {
    const { deps } = await startHarness();
    const value = await runExecStep(execEvent({ script: 'printf "ééééé"', stateTailBytes: 5 }), deps);
    expect(value.result?.output.tail).toBe('éé');
  });

  it('throws CommandFailed with the failed value as message when the command exits non-zero', async () => {
    const { deps } = await startHarness();
    const event = execEvent({
      script: 'echo before; exit 3',
      captures: [
        { name: 'c', type: 'integer', extract: { kind: 'regex', pattern: '^(\\d+)$', group: 1 }, default: 9 },
      ],
    });

    const { error, value } = await rejection(runExecStep(event, deps));

    expect(error.name).toBe('CommandFailed');
    expect(value).toMatchObject({
      status: 'failed',
      exitCode: 3,
      outputs: { c: 9 },
      error: { name: 'CommandFailed' },
      result: { status: 'failed', exitCode: 3, output: { tail: 'before\n' } },
    });
  });

  it('throws CaptureFailed naming the capture when one without default finds nothing', async () => {
    const { deps } = await startHarness();
    const event = execEvent({
      script: 'echo nothing here',
      captures: [
        { name: 'used', type: 'integer', extract: { kind: 'regex', pattern: '^used=(\\d+)$', group: 1 } },
      ],
    });

    const { error, value } = await rejection(runExecStep(event, deps));

    expect(error.name).toBe('CaptureFailed');
    expect(value.exitCode).toBe(0);
    expect(value.outputs).toEqual({ used: null });
    expect(value.error?.message).toContain('capture used found nothing');
  });

  it('throws ExecTimeout when the command outlives its timeout', async () => {
    const { deps } = await startHarness();
    const { error, value } = await rejection(
      runExecStep(execEvent({ script: 'sleep 5', timeoutMs: 300 }), deps),
    );
    expect(error.name).toBe('ExecTimeout');
    expect(value.result?.status).toBe('timed_out');
  });

  it('throws NoTargets without a record when the selection matches nothing', async () => {
    const { deps } = await startHarness();
    const { error, value } = await rejection(
      runExecStep(execEvent({ target: { cluster: 'demo', family: 'nope', pick: 'one' } }), deps),
    );
    expect(error.name).toBe('NoTargets');
    expect(value).toMatchObject({ status: 'failed', exitCode: null, error: { name: 'NoTargets' } });
    expect(value.result).toBeUndefined();
  });

  it('throws InvalidParameterException when the target resolves to an empty name', async () => {
    const { deps } = await startHarness();
    const { error, value } = await rejection(
      runExecStep(execEvent({ target: { cluster: 'demo', service: '', pick: 'one' } }), deps),
    );
    expect(error.name).toBe('InvalidParameterException');
    expect(value.error?.message).toContain('non-empty');
  });

  it('throws PreflightFailed when exec is disabled on the only task', async () => {
    const { deps } = await startHarness({
      region: 'eu-west-1',
      accountId: '000000000000',
      clusters: [
        {
          name: 'c1',
          services: [{ name: 's', count: 1, containers: [{ name: 'app' }] }],
          faults: { execDisabled: ['s/0'] },
        },
      ],
    });
    const { error, value } = await rejection(
      runExecStep(execEvent({ target: { cluster: 'c1', service: 's', pick: 'one' } }), deps),
    );
    expect(error.name).toBe('PreflightFailed');
    expect(value.error?.hint).toContain('enable-execute-command');
  });
});
