import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHALLENGE_TIMEOUT_TEXT,
  HANDSHAKE_FAILURE_PREFIX,
  HANDSHAKE_TIMEOUT_TEXT,
  KMS_CUSTOMER_MESSAGE,
  type LocalAgent,
  type LocalAgentOptions,
  type LocalKms,
  startLocalAgent,
  startLocalKms,
} from '../../lib/local/index.ts';
import type { ClientMessage } from '../../lib/session/message.ts';
import { PayloadType } from '../../lib/session/message.ts';
import { Probe, waitFor } from './agent-probe.ts';

const TARGET = 'ecs:demo_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-0';

function seal(key: Buffer, plaintext: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Uint8Array): Buffer {
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
}

function json(message: ClientMessage | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(message?.payload ?? []).toString('utf8'));
}

interface ScriptOptions {
  /** Put the random challenge into the context and acknowledge it. @default true */
  readonly acknowledgeChallenge?: boolean;
  readonly targetId?: string;
  readonly kmsActionStatus?: number;
  /** Answer the encryption challenge with garbage. */
  readonly wrongChallenge?: boolean;
}

describe('startLocalAgent with KMS', () => {
  let agent: LocalAgent | undefined;
  let kms: LocalKms | undefined;
  const probes: Probe[] = [];

  async function start(options: LocalAgentOptions = {}): Promise<{ agent: LocalAgent; client: KMSClient }> {
    kms = await startLocalKms({ region: 'eu-west-1' });
    agent = await startLocalAgent({ initialWaitMs: 0, paceMs: 0, kms, ...options });
    const client = new KMSClient({
      endpoint: kms.endpoint,
      region: kms.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return { agent, client };
  }

  /** Plays the client side of the handshake as the plugin does, with a real KMS client. */
  async function handshake(
    probe: Probe,
    client: KMSClient,
    sessionId: string,
    options: ScriptOptions = {},
  ): Promise<{ agentKey: Buffer; clientKey: Buffer; request: Record<string, unknown> }> {
    await waitFor(() => probe.stream().length >= 1, 5000, 'HandshakeRequest');
    const request = json(probe.stream()[0]);
    const actions = request.RequestedClientActions as Array<{
      ActionType: string;
      ActionParameters: Record<string, string>;
    }>;
    const kmsAction = actions.find((a) => a.ActionType === 'KMSEncryption');
    const acknowledge = options.acknowledgeChallenge ?? true;
    const context: Record<string, string> = {
      'aws:ssm:SessionId': sessionId,
      'aws:ssm:TargetId': options.targetId ?? TARGET,
    };
    if (acknowledge) context['aws:ssm:RandomChallenge'] = kmsAction?.ActionParameters.Challenge ?? '';
    const dataKey = await client.send(
      new GenerateDataKeyCommand({
        KeyId: kmsAction?.ActionParameters.KMSKeyId,
        NumberOfBytes: 64,
        EncryptionContext: context,
      }),
    );
    const plaintext = Buffer.from(dataKey.Plaintext ?? []);
    const agentKey = plaintext.subarray(0, 32);
    const clientKey = plaintext.subarray(32, 64);
    probe.sendInput(
      PayloadType.HandshakeResponse,
      JSON.stringify({
        ClientVersion: '1.2.677.0',
        ProcessedClientActions: [
          { ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' },
          {
            ActionType: 'KMSEncryption',
            ActionStatus: options.kmsActionStatus ?? 1,
            ActionResult: {
              KMSCipherTextKey: Buffer.from(dataKey.CiphertextBlob ?? []).toString('base64'),
              KMSCipherTextHash: null,
              ...(acknowledge ? { ChallengeAcknowledgement: true } : {}),
            },
            Error: options.kmsActionStatus && options.kmsActionStatus !== 1 ? 'boom' : '',
          },
        ],
        Errors: null,
      }),
    );
    await waitFor(
      () => probe.stream().some((m) => m.payloadType === PayloadType.EncChallengeRequest) || probe.closed,
      5000,
      'EncChallengeRequest',
    );
    const challenge = probe.stream().find((m) => m.payloadType === PayloadType.EncChallengeRequest);
    if (challenge) {
      const random = open(agentKey, Buffer.from(json(challenge).Challenge as string, 'base64'));
      const answer = options.wrongChallenge ? randomBytes(64) : random;
      probe.sendInput(
        PayloadType.EncChallengeResponse,
        JSON.stringify({ Challenge: seal(clientKey, answer).toString('base64') }),
      );
    }
    return { agentKey, clientKey, request };
  }

  afterEach(async () => {
    for (const probe of probes.splice(0)) probe.close();
    await agent?.close();
    await kms?.close();
    agent = undefined;
    kms = undefined;
  });

  it('runs the full handshake, then encrypts output and decrypts input', async () => {
    // Arrange
    const { agent: local, client } = await start({ agentVersion: '3.3.987.0' });
    const session = local.createSession({
      command: `sh -c 'echo ready; read a; echo "got:$a"'`,
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);

    // Act
    const { agentKey, clientKey, request } = await handshake(probe, client, session.sessionId);
    await waitFor(
      () =>
        probe
          .output(PayloadType.Output, (p) => open(agentKey, p))
          .toString()
          .includes('ready'),
      5000,
      'the command output',
    );
    probe.sendInput(PayloadType.Output, seal(clientKey, Buffer.from('secret\r')));
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);

    // Assert
    expect(request).toEqual({
      AgentVersion: '3.3.987.0',
      RequestedClientActions: [
        {
          ActionType: 'SessionType',
          ActionParameters: { SessionType: 'InteractiveCommands', Properties: null },
        },
        {
          ActionType: 'KMSEncryption',
          ActionParameters: {
            KMSKeyId: 'alias/exec',
            Challenge: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
          },
        },
      ],
    });
    const stream = probe.stream();
    expect(stream.slice(0, 3).map((m) => [Number(m.sequenceNumber), m.payloadType, m.flags])).toEqual([
      [0, PayloadType.HandshakeRequest, 1n],
      [1, PayloadType.EncChallengeRequest, 0n],
      [2, PayloadType.HandshakeComplete, 0n],
    ]);
    expect(json(stream[2])).toEqual({
      HandshakeTimeToComplete: expect.any(Number),
      CustomerMessage: KMS_CUSTOMER_MESSAGE,
    });
    const plain = probe.output(PayloadType.Output, (p) => open(agentKey, p)).toString();
    expect(plain).toContain('got:secret');
    expect(probe.output().toString()).not.toContain('ready');
    expect(probe.channelClosed()?.Output).toBe('');
    expect(outcome).toMatchObject({ reason: 'completed', stats: { decryptFailures: 0 } });
  });

  it('accepts a client that uses the two-key context without acknowledging the challenge', async () => {
    const { agent: local, client } = await start();
    const session = local.createSession({
      command: 'echo plain-old',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    const { agentKey } = await handshake(probe, client, session.sessionId, { acknowledgeChallenge: false });
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.output(PayloadType.Output, (p) => open(agentKey, p)).toString()).toBe('plain-old\r\n');
    expect(outcome.reason).toBe('completed');
  });

  it('reports a data key made for another target as the agent does', async () => {
    // Arrange
    const { agent: local, client } = await start();
    const session = local.createSession({
      command: 'echo never',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);

    // Act
    await handshake(probe, client, session.sessionId, { targetId: 'ecs:other_1_1-0' });
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);

    // Assert
    expect(probe.channelClosed()?.Output).toMatch(
      /^Encountered error while initiating handshake\. Fetching data key failed: Error when decrypting data key InvalidCiphertextException: /,
    );
    expect(probe.stream().some((m) => m.payloadType === PayloadType.Output)).toBe(false);
    expect(outcome.reason).toBe('handshake-failed');
  });

  it('reports a failed client action', async () => {
    const { agent: local, client } = await start();
    const session = local.createSession({
      command: 'echo never',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    await handshake(probe, client, session.sessionId, { kmsActionStatus: 2 });
    await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.channelClosed()?.Output).toBe(
      `${HANDSHAKE_FAILURE_PREFIX}KMSEncryption failed on client with status 2 error: boom`,
    );
  });

  it('reports a handshake timeout when no response arrives', async () => {
    const { agent: local } = await start({ handshakeTimeoutMs: 100 });
    const session = local.createSession({
      command: 'echo never',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.channelClosed()?.Output).toBe(
      'Encountered error while initiating handshake. Handshake timed out. Please ensure that you have the latest version of the session manager plugin.',
    );
    expect(HANDSHAKE_TIMEOUT_TEXT).toContain('Handshake timed out');
  });

  it('fails at the challenge timeout when the challenge answer is wrong', async () => {
    const { agent: local, client } = await start({ handshakeTimeoutMs: 300 });
    const session = local.createSession({
      command: 'echo never',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    await handshake(probe, client, session.sessionId, { wrongChallenge: true });
    await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.channelClosed()?.Output).toBe(`${HANDSHAKE_FAILURE_PREFIX}${CHALLENGE_TIMEOUT_TEXT}`);
    expect(probe.stream().some((m) => m.payloadType === PayloadType.HandshakeComplete)).toBe(false);
  });

  it('refuses a client without the challenge when the agent requires it', async () => {
    const { agent: local, client } = await start({ requireKmsChallengeResponse: true });
    const session = local.createSession({
      command: 'echo never',
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    await handshake(probe, client, session.sessionId, { acknowledgeChallenge: false });
    await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.channelClosed()?.Output).toBe(
      `${HANDSHAKE_FAILURE_PREFIX}client does not support required encryption context random challenge`,
    );
  });

  it('acks and drops client input that arrives before the handshake completes', async () => {
    // Arrange
    const { agent: local, client } = await start();
    const session = local.createSession({
      command: `sh -c 'read a; echo "got:$a"'`,
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);

    // Act
    probe.sendInput(PayloadType.Size, JSON.stringify({ cols: 80, rows: 24 }));
    const { agentKey, clientKey } = await handshake(probe, client, session.sessionId);
    await waitFor(
      () => probe.stream().some((m) => m.payloadType === PayloadType.HandshakeComplete),
      5000,
      'HandshakeComplete',
    );
    probe.sendInput(PayloadType.Output, seal(clientKey, Buffer.from('late\r')));
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);

    // Assert
    expect(probe.ackedInputSequences()).toEqual([0, 1, 2, 3]);
    expect(outcome.stats.discardedInputs).toBe(1);
    expect(probe.output(PayloadType.Output, (p) => open(agentKey, p)).toString()).toContain('got:late');
  });

  it('does not ack input that fails to decrypt', async () => {
    const { agent: local, client } = await start();
    const session = local.createSession({
      command: `sh -c 'read a; echo "got:$a"'`,
      kms: { keyId: 'alias/exec', targetId: TARGET },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);
    const { clientKey } = await handshake(probe, client, session.sessionId);
    await waitFor(() => probe.ackedInputSequences().length === 2, 5000, 'the handshake acks');
    probe.sendInput(PayloadType.Output, Buffer.from('plaintext is not accepted\r'), 2n);
    await waitFor(
      () => local.sessionStats(session.sessionId)?.decryptFailures === 1,
      5000,
      'the decrypt failure',
    );
    probe.sendInput(PayloadType.Output, seal(clientKey, Buffer.from('ok\r')), 2n);
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);
    expect(probe.ackedInputSequences()).toEqual([0, 1, 2]);
    expect(outcome.stats.decryptFailures).toBe(1);
  });
});
