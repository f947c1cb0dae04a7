import { type ECSClient, ECSServiceException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { executeOnTarget } from '../../lib/exec/execute.ts';
import { TokenBucket } from '../../lib/exec/retry.ts';
import { FakeClock, flush } from '../helpers/fake-clock.ts';
import { target } from './fixtures.ts';

/** An ECS stand-in (AWS itself is the one thing tests may fake) whose every call fails with `name`. */
function failingEcs(name: string, calls: number[], clock: FakeClock): ECSClient {
  return {
    config: { region: async () => 'eu-west-1' },
    send: async () => {
      calls.push(clock.now());
      throw new ECSServiceException({ name, message: `${name} message`, $fault: 'client', $metadata: {} });
    },
  } as unknown as ECSClient;
}

describe('executeOnTarget', () => {
  it('polls TargetNotConnectedException with growing jittered waits until the deadline, never past it', async () => {
    // Arrange
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const calls: number[] = [];
    const ecs = failingEcs('TargetNotConnectedException', calls, clock);
    // Act
    const { result } = await executeOnTarget(
      target(1),
      { script: 'true' },
      { targetNotConnectedDeadlineMs: 1_000, pollBackoff: { baseMs: 100, capMs: 400 } },
      { ecs, clock, random: () => 0.5 },
    );
    // Assert
    expect(clock.delays).toEqual([50, 100, 200, 200, 200, 200, 50]);
    expect(calls.at(-1)).toBe(1_000);
    expect(result).toMatchObject({ status: 'error', polls: calls.length, retries: 0, durationMs: 1_000 });
    expect(result.error?.hint).toContain('did not connect within 1s (8 polls)');
  });

  it('spends one token of the bucket per ExecuteCommand call', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const calls: number[] = [];
    const ecs = failingEcs('ThrottlingException', calls, clock);
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 1, clock });
    const { result } = await executeOnTarget(
      target(1),
      { script: 'true' },
      { maxRetries: 2, retryBackoff: { baseMs: 1, capMs: 1 } },
      { ecs, clock, bucket, random: () => 0 },
    );
    expect(calls).toEqual([0, 500, 1_000]);
    expect(result).toMatchObject({ status: 'error', retries: 2, error: { name: 'ThrottlingException' } });
  });

  it('reports cancelled when the signal aborts while waiting to poll again', async () => {
    // Arrange
    const clock = new FakeClock({ start: 0 });
    const controller = new AbortController();
    const calls: number[] = [];
    const ecs = failingEcs('TargetNotConnectedException', calls, clock);
    // Act
    const running = executeOnTarget(
      target(1),
      { script: 'true' },
      { signal: controller.signal },
      { ecs, clock },
    );
    while (clock.pendingTimers === 0) await flush(1);
    controller.abort(new Error('stop now'));
    const { result } = await running;
    // Assert
    expect(result).toMatchObject({ status: 'cancelled', polls: 1, sessionId: null });
    expect(result.error?.message).toContain('stop now');
    expect(clock.pendingTimers).toBe(0);
  });

  it('returns the preflight error without calling ExecuteCommand', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: true });
    const calls: number[] = [];
    const preflightError = { name: 'PreflightFailed', message: 'exec off', hint: 'enable it' } as const;
    const { result } = await executeOnTarget(
      { ...target(1), preflightError },
      { script: 'true' },
      {},
      { ecs: failingEcs('ClientException', calls, clock), clock },
    );
    expect(calls).toEqual([]);
    expect(result).toMatchObject({ status: 'error', error: preflightError });
  });
});
