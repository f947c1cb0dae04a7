import { DescribeClustersCommand, ListClustersCommand } from '@aws-sdk/client-ecs';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { createEcsClient } from '../../lib/exec/clients.ts';
import { captureIo } from './io.ts';

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runbook local up', () => {
  it('serves the cluster file and prints the environment that points the SDK at it until interrupted', async () => {
    // Arrange
    const interrupt = new AbortController();
    const cap = captureIo({ signal: interrupt.signal });
    const running = main(['local', 'up', '--fast'], cap.io);
    const endpoint = await waitFor(() => /AWS_ENDPOINT_URL_ECS=(\S+)/.exec(cap.stdout())?.[1], 10_000);
    const ecs = createEcsClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    const sfnEndpoint = /AWS_ENDPOINT_URL_SFN=(\S+)/.exec(cap.stdout())?.[1];
    const sfn = new SFNClient({
      endpoint: sfnEndpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['demo', 'secure'] }));
    const listed = await ecs.send(new ListClustersCommand({}));
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    ecs.destroy();
    sfn.destroy();
    interrupt.abort();

    // Assert
    expect(described.clusters?.map((c) => c.clusterName)).toEqual(['demo', 'secure']);
    expect(listed.clusterArns).toContain('arn:aws:ecs:eu-west-1:000000000000:cluster/demo');
    expect(machines.stateMachines?.map((m) => m.name).sort()).toEqual([
      'runbooks-flush-cache',
      'runbooks-incident-api-5xx',
      'runbooks-nightly-maintenance',
    ]);
    expect(await running).toBe(0);
    expect(cap.stdout()).toContain('export AWS_REGION=eu-west-1');
  });

  it('reports an unknown action and a missing cluster file', async () => {
    const unknown = captureIo();
    expect(await main(['local', 'down'], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('unknown action "down"; accepted: up');
    const missing = captureIo();
    expect(await main(['local', 'up', 'no/such/cluster.yaml'], missing.io)).toBe(1);
    expect(missing.stderr()).toContain('no/such/cluster.yaml');
  });
});
