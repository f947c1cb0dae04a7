import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeTasksCommand,
  ECSClient,
  ExecuteCommandCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClusterFileError, taskIdFor } from '../../lib/local/cluster-file.ts';
import { type LocalEcs, type StartLocalEcsOptions, startLocalEcs } from '../../lib/local/emulator.ts';
import { acknowledgeFor, decode, encode, parseJson } from '../../lib/session/codec.ts';
import { kmsDataKeyProvider } from '../../lib/session/kms.ts';
import { MessageType, PayloadType } from '../../lib/session/message.ts';
import { runSession as runClientSession } from '../../lib/session/session.ts';

const CLUSTER_FILE = path.join(import.meta.dirname, '../../runbooks/local/cluster.yaml');
const FAST = { port: 0, initialWaitMs: 0, paceMs: 0 } as const;
const WAIT_MS = 10_000;

/**
 * The Docker backend runs only where a Docker engine answers `docker info` (and can run the
 * `busybox` image); elsewhere its test is not collected as a failure.
 */
const DOCKER_AVAILABLE = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;

interface SessionCapture {
  /** Output payload bytes in sequence order, decoded as UTF-8. */
  readonly output: string;
  /** The `Output` of channel_closed. */
  readonly closedOutput: string;
  /** The first HandshakeRequest payload, if the agent sent one. */
  readonly handshakeRequest?: unknown;
}

/**
 * A minimal data-channel client: opens the channel, acks every output frame, collects Output
 * payloads until channel_closed. With `stopAtHandshake` it returns at the first HandshakeRequest.
 */
function runSession(
  session: { streamUrl?: string; tokenValue?: string },
  options: { stopAtHandshake?: boolean } = {},
): Promise<SessionCapture> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(session.streamUrl ?? '', { perMessageDeflate: false });
    const chunks = new Map<bigint, Uint8Array>();
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no channel_closed within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const finish = (capture: Omit<SessionCapture, 'output'>) => {
      clearTimeout(timer);
      socket.close();
      const ordered = [...chunks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, bytes]) => bytes);
      resolve({ output: Buffer.concat(ordered).toString('utf8'), ...capture });
    };
    socket.on('open', () => {
      socket.send(
        JSON.stringify({
          MessageSchemaVersion: '1.0',
          RequestId: randomUUID(),
          TokenValue: session.tokenValue,
          ClientId: randomUUID(),
          ClientVersion: '1.2.677.0',
        }),
      );
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const decoded = decode(new Uint8Array(data));
      if (!decoded.ok) return;
      const message = decoded.message;
      if (message.messageType === MessageType.ChannelClosed) {
        const content = parseJson(message.payload) as { Output?: string } | undefined;
        finish({ closedOutput: content?.Output ?? '' });
        return;
      }
      if (message.messageType !== MessageType.OutputStreamData) return;
      socket.send(encode(acknowledgeFor(message, randomUUID(), Date.now())));
      if (message.payloadType === PayloadType.HandshakeRequest && options.stopAtHandshake) {
        finish({ closedOutput: '', handshakeRequest: parseJson(message.payload) });
      } else if (message.payloadType === PayloadType.Output) {
        chunks.set(message.sequenceNumber, message.payload);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('startLocalEcs', () => {
  let emulator: LocalEcs | undefined;
  let client: ECSClient | undefined;

  const start = async (options: StartLocalEcsOptions) => {
    emulator = await startLocalEcs(options);
    client = new ECSClient({
      endpoint: emulator.endpoint,
      region: emulator.region,
      credentials: emulator.credentials,
      maxAttempts: 1,
    });
    return { emulator, client };
  };

  afterEach(async () => {
    client?.destroy();
    await emulator?.close();
    client = undefined;
    emulator = undefined;
  });

  it('serves the examples cluster file with deterministic task ids', async () => {
    // Act
    const { client: ecs } = await start({ configFile: CLUSTER_FILE, ...FAST });
    const out = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'api' }));

    // Assert
    expect(out.taskArns).toEqual(
      [0, 1, 2].map((i) => `arn:aws:ecs:eu-west-1:000000000000:task/demo/${taskIdFor('demo', 'api', i)}`),
    );
  });

  it('creates every container working directory in a new sandbox under the OS temp directory', async () => {
    // Act
    const { emulator: ecs } = await start({ configFile: CLUSTER_FILE, ...FAST });

    // Assert
    expect(ecs.sandboxDir.startsWith(realpathSync(os.tmpdir()) + path.sep)).toBe(true);
    expect(ecs.sandboxDir).not.toBe(os.homedir());
    const workdirs = ecs.world.clusters.flatMap((c) =>
      c.tasks.flatMap((t) => t.containers.map((k) => k.workdir)),
    );
    expect(workdirs).toHaveLength(3 + 2 * 2 + 2 + 1 + 1);
    expect(workdirs.every((dir) => existsSync(dir) && dir.startsWith(ecs.sandboxDir))).toBe(true);
  });

  it('removes the sandbox directory when closed', async () => {
    // Arrange
    const { emulator: ecs } = await start({ configFile: CLUSTER_FILE, ...FAST });

    // Act
    await ecs.close();
    await ecs.close();

    // Assert
    expect(existsSync(ecs.sandboxDir)).toBe(false);
  });

  it('runs the command in the container workdir with its env when a client opens the session', async () => {
    // Arrange
    const { emulator: ecs, client: ecsClient } = await start({ configFile: CLUSTER_FILE, ...FAST });
    const taskId = taskIdFor('demo', 'api', 1);
    const container = ecs.world.clusters[0]?.tasks.find((t) => t.id === taskId)?.containers[0];

    // Act
    const out = await ecsClient.send(
      new ExecuteCommandCommand({
        cluster: 'demo',
        task: taskId,
        interactive: true,
        command: `sh -c 'echo hi; pwd; echo "$DATA_DIR $APP_ENV"'`,
      }),
    );
    const capture = await runSession(out.session ?? {});

    // Assert
    expect(capture.output).toBe(`hi\r\n${container?.workdir}\r\n${container?.workdir}/data local\r\n`);
    expect(container?.workdir).toBe(path.join(ecs.sandboxDir, 'demo', taskId, 'api'));
    expect(capture.closedOutput).toBe('');
  });

  it('starts the KMS handshake with the cluster key when the cluster has a kmsKeyId', async () => {
    // Arrange
    const { client: ecs } = await start({ configFile: CLUSTER_FILE, ...FAST });

    // Act
    const out = await ecs.send(
      new ExecuteCommandCommand({
        cluster: 'secure',
        task: taskIdFor('secure', 'api', 0),
        interactive: true,
        command: 'echo hi',
      }),
    );
    const capture = await runSession(out.session ?? {}, { stopAtHandshake: true });

    // Assert
    expect(JSON.stringify(capture.handshakeRequest)).toContain('"KMSKeyId":"alias/exec"');
  });

  it('runs a KMS-encrypted session end to end when the client derives the TargetId from DescribeTasks', async () => {
    // Arrange
    const { emulator: ecs, client: ecsClient } = await start({ configFile: CLUSTER_FILE, ...FAST });
    const kms = new KMSClient({
      endpoint: ecs.kmsEndpoint,
      region: ecs.region,
      credentials: ecs.credentials,
      maxAttempts: 1,
    });
    const taskId = taskIdFor('secure', 'api', 0);
    try {
      const described = await ecsClient.send(
        new DescribeTasksCommand({ cluster: 'secure', tasks: [taskId] }),
      );
      const runtimeId = described.tasks?.[0]?.containers?.[0]?.runtimeId;

      // Act
      const out = await ecsClient.send(
        new ExecuteCommandCommand({
          cluster: 'secure',
          task: taskId,
          interactive: true,
          command: 'echo secret',
        }),
      );
      const chunks: Uint8Array[] = [];
      const summary = await runClientSession({
        streamUrl: out.session?.streamUrl ?? '',
        tokenValue: out.session?.tokenValue ?? '',
        sessionId: out.session?.sessionId ?? '',
        targetId: `ecs:secure_${taskId}_${runtimeId}`,
        kms: kmsDataKeyProvider(kms),
        onOutput: (chunk) => chunks.push(chunk),
        totalTimeoutMs: WAIT_MS,
      });

      // Assert
      expect(summary.encrypted).toBe(true);
      expect(Buffer.concat(chunks).toString('utf8')).toContain('secret\r\n');
    } finally {
      kms.destroy();
    }
  });

  it('rejects the KMS session when the client uses another TargetId', async () => {
    // Arrange
    const { emulator: ecs, client: ecsClient } = await start({ configFile: CLUSTER_FILE, ...FAST });
    const kms = new KMSClient({
      endpoint: ecs.kmsEndpoint,
      region: ecs.region,
      credentials: ecs.credentials,
      maxAttempts: 1,
    });
    const taskId = taskIdFor('secure', 'api', 0);
    try {
      const out = await ecsClient.send(
        new ExecuteCommandCommand({
          cluster: 'secure',
          task: taskId,
          interactive: true,
          command: 'echo secret',
        }),
      );

      // Act
      const session = runClientSession({
        streamUrl: out.session?.streamUrl ?? '',
        tokenValue: out.session?.tokenValue ?? '',
        sessionId: out.session?.sessionId ?? '',
        targetId: `ecs:secure_${taskId}_${taskId}-9`,
        kms: kmsDataKeyProvider(kms),
        onOutput: () => undefined,
        totalTimeoutMs: WAIT_MS,
      });

      // Assert
      await expect(session).rejects.toThrow(/InvalidCiphertextException|Invalid/);
    } finally {
      kms.destroy();
    }
  });

  it('serves an in-memory config', async () => {
    // Act
    const { client: ecs } = await start({
      config: {
        region: 'us-east-1',
        accountId: '123456789012',
        clusters: [{ name: 'one', tasks: [{ family: 'job', count: 2, containers: [{ name: 'c' }] }] }],
      },
      ...FAST,
    });
    const out = await ecs.send(new ListTasksCommand({ cluster: 'one', family: 'job' }));

    // Assert
    expect(out.taskArns).toHaveLength(2);
    expect(out.taskArns?.[0]).toBe(
      `arn:aws:ecs:us-east-1:123456789012:task/one/${taskIdFor('one', 'job', 0)}`,
    );
  });

  it.each([
    { name: 'neither config nor configFile', options: { port: 0 }, text: 'exactly one of config' },
    {
      name: 'an unknown option',
      options: { configFile: CLUSTER_FILE, prot: 0 },
      text: 'unknown option "prot"',
    },
  ])('rejects $name', async ({ options, text }) => {
    await expect(startLocalEcs(options as StartLocalEcsOptions)).rejects.toThrow(text);
  });

  it('rejects with a ClusterFileError when the config is invalid', async () => {
    const config = {
      region: 'eu-west-1',
      accountId: '000000000000',
      clusters: [{ name: 'x', services: [{ name: 's' }] }],
    };
    await expect(startLocalEcs({ config: config as never, ...FAST })).rejects.toBeInstanceOf(
      ClusterFileError,
    );
  });

  it.runIf(DOCKER_AVAILABLE)(
    'runs the command with docker exec when the container names a Docker container',
    async () => {
      // Arrange
      const name = `ecs-runbooks-test-${randomUUID().slice(0, 8)}`;
      const run = spawnSync('docker', ['run', '-d', '--rm', '--name', name, 'busybox', 'sleep', '60'], {
        timeout: 60_000,
      });
      expect(run.status, String(run.stderr)).toBe(0);
      try {
        const { client: ecs } = await start({
          config: {
            region: 'eu-west-1',
            accountId: '000000000000',
            clusters: [
              {
                name: 'd',
                services: [
                  {
                    name: 's',
                    count: 1,
                    containers: [{ name: 'c', docker: name, env: { GREETING: 'hello' } }],
                  },
                ],
              },
            ],
          },
          ...FAST,
        });

        // Act
        const out = await ecs.send(
          new ExecuteCommandCommand({
            cluster: 'd',
            task: taskIdFor('d', 's', 0),
            interactive: true,
            command: `sh -c 'echo "$GREETING from $(hostname)"'`,
          }),
        );
        const capture = await runSession(out.session ?? {});

        // Assert
        expect(capture.output).toContain('hello from ');
      } finally {
        spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore', timeout: 30_000 });
      }
    },
  );
});
