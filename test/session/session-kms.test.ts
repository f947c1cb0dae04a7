import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal } from '../../lib/session/crypto.ts';
import type { DataKeyProvider, GenerateDataKeyInput } from '../../lib/session/kms.ts';
import { type ClientMessage, PayloadType } from '../../lib/session/message.ts';
import { FakeAgent, json, SESSION_ID, startSession, text } from './helpers/fake-agent.ts';

// The fake data key of protocol.md §12 TV7.
const P = Uint8Array.from({ length: 64 }, (_, i) => i);
const AGENT_KEY = P.subarray(0, 32);
const CLIENT_KEY = P.subarray(32, 64);
const BLOB = new Uint8Array([1, 2, 3, 4, 5]);
const TARGET_ID = 'ecs:demo_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-0';
const CHALLENGE = 'q83vEjRWeJCrze8SNFZ4kA==';
const R = Uint8Array.from({ length: 64 }, (_, i) => (i * 7) & 0xff);

function fakeKms() {
  const calls: GenerateDataKeyInput[] = [];
  const provider: DataKeyProvider = {
    async generateDataKey(input) {
      calls.push(input);
      return { plaintext: P, ciphertextBlob: BLOB };
    },
  };
  return { provider, calls };
}

const nonce = (n: number) => new Uint8Array(12).fill(n);
const agentSeal = (plaintext: Uint8Array | string, n = 9) =>
  aesGcmSeal(
    AGENT_KEY,
    nonce(n),
    typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext,
  );

function handshakeRequest(challenge: string | undefined) {
  return {
    AgentVersion: '3.3.987.0',
    RequestedClientActions: [
      {
        ActionType: 'SessionType',
        ActionParameters: { SessionType: 'InteractiveCommands', Properties: null },
      },
      {
        ActionType: 'KMSEncryption',
        ActionParameters: { KMSKeyId: 'alias/exec', ...(challenge ? { Challenge: challenge } : {}) },
      },
    ],
  };
}

/** Plays the agent's KMS handshake: request, challenge, complete, then encrypted output. */
function scriptKmsAgent(agent: FakeAgent, challenge: string | undefined) {
  const seen: { challengeAnswer?: Uint8Array; sizeBeforeComplete?: boolean } = {};
  agent.onOpen = () => agent.sendJson(0, PayloadType.HandshakeRequest, handshakeRequest(challenge));
  agent.onInput = (message: ClientMessage) => {
    if (message.payloadType === PayloadType.HandshakeResponse) {
      agent.sendJson(1, PayloadType.EncChallengeRequest, {
        Challenge: Buffer.from(agentSeal(R)).toString('base64'),
      });
    } else if (message.payloadType === PayloadType.EncChallengeResponse) {
      const answer = json(message.payload) as { Challenge: string };
      seen.challengeAnswer = aesGcmOpen(CLIENT_KEY, Buffer.from(answer.Challenge, 'base64'));
      seen.sizeBeforeComplete = agent.inputs.some((m) => m.payloadType === PayloadType.Size);
      agent.sendJson(2, PayloadType.HandshakeComplete, {
        HandshakeTimeToComplete: 1_234_567,
        CustomerMessage: 'This session is encrypted using AWS KMS.',
      });
    } else if (message.payloadType === PayloadType.Size) {
      agent.sendOutput(3, agentSeal('hello', 1));
      agent.sendOutput(4, agentSeal(', kms', 2));
    }
  };
  return seen;
}

describe('runSession with KMS', () => {
  it('runs the handshake with a challenge, proves the key and decrypts the output', async () => {
    // Arrange
    const kms = fakeKms();
    const agent = new FakeAgent();
    const seen = scriptKmsAgent(agent, CHALLENGE);
    const run = startSession(agent, { kms: kms.provider, targetId: TARGET_ID });
    // Act
    await agent.waitFor(() => agent.acks.length === 5, 'five acks');
    agent.sendChannelClosed();
    const { summary, error } = await run.outcome;
    // Assert
    expect(error).toBeUndefined();
    expect(kms.calls).toEqual([
      {
        keyId: 'alias/exec',
        numberOfBytes: 64,
        encryptionContext: {
          'aws:ssm:SessionId': SESSION_ID,
          'aws:ssm:TargetId': TARGET_ID,
          'aws:ssm:RandomChallenge': CHALLENGE,
        },
      },
    ]);
    // The HandshakeRequest is acked before it is answered.
    expect(agent.received.slice(1, 3).map((r) => r.kind)).toEqual(['ack', 'input']);
    const [response, challengeResponse, size] = agent.inputs;
    expect(response?.payloadType).toBe(PayloadType.HandshakeResponse);
    expect(text(response?.payload ?? new Uint8Array())).toBe(
      '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""},{"ActionType":"KMSEncryption","ActionStatus":1,"ActionResult":{"KMSCipherTextKey":"AQIDBAU=","KMSCipherTextHash":null,"ChallengeAcknowledgement":true},"Error":""}],"Errors":null}',
    );
    expect(challengeResponse?.payloadType).toBe(PayloadType.EncChallengeResponse);
    expect(seen.challengeAnswer).toEqual(Buffer.from(R));
    expect(seen.sizeBeforeComplete).toBe(false);
    expect(size).toMatchObject({ payloadType: PayloadType.Size, sequenceNumber: 2n });
    expect(text(size?.payload ?? new Uint8Array())).toBe('{"cols":300,"rows":100}');
    expect(run.output().toString()).toBe('hello, kms');
    expect(summary).toMatchObject({
      encrypted: true,
      customerMessage: 'This session is encrypted using AWS KMS.',
      bytesReceived: 10,
      frames: 5,
    });
  });

  it('uses the two-key context and sends no acknowledgement when no challenge is offered', async () => {
    const kms = fakeKms();
    const agent = new FakeAgent();
    scriptKmsAgent(agent, undefined);
    const run = startSession(agent, { kms: kms.provider, targetId: TARGET_ID });
    await agent.waitFor(() => agent.acks.length === 5, 'five acks');
    agent.sendChannelClosed();
    const { error } = await run.outcome;
    expect(error).toBeUndefined();
    expect(kms.calls[0]?.encryptionContext).toEqual({
      'aws:ssm:SessionId': SESSION_ID,
      'aws:ssm:TargetId': TARGET_ID,
    });
    const response = json(agent.inputs[0]?.payload ?? new Uint8Array()) as {
      ProcessedClientActions: Array<{ ActionResult: unknown }>;
    };
    expect(response.ProcessedClientActions[1]?.ActionResult).toEqual({
      KMSCipherTextKey: 'AQIDBAU=',
      KMSCipherTextHash: null,
    });
    expect(run.output().toString()).toBe('hello, kms');
  });

  it('encrypts its Ctrl-C with the client key when aborted after the handshake', async () => {
    // Arrange
    const agent = new FakeAgent();
    scriptKmsAgent(agent, CHALLENGE);
    const controller = new AbortController();
    const run = startSession(agent, {
      kms: fakeKms().provider,
      targetId: TARGET_ID,
      signal: controller.signal,
    });
    await agent.waitFor(() => agent.acks.length === 5, 'five acks');
    // Act
    controller.abort();
    const { error } = await run.outcome;
    // Assert
    expect(error).toMatchObject({ code: 'ABORTED', bytesReceived: 10 });
    const ctrlC = agent.inputs.at(-1);
    expect(ctrlC).toMatchObject({ payloadType: PayloadType.Output, sequenceNumber: 3n });
    expect(aesGcmOpen(CLIENT_KEY, ctrlC?.payload ?? new Uint8Array())).toEqual(Buffer.from([0x03]));
  });

  it('rejects HANDSHAKE_FAILED when the agent asks for KMS and no provider is given, after telling the agent', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendJson(0, PayloadType.HandshakeRequest, handshakeRequest(CHALLENGE));
    const run = startSession(agent, { targetId: TARGET_ID });
    const { error } = await run.outcome;
    expect(error).toMatchObject({ name: 'HandshakeError', code: 'HANDSHAKE_FAILED', sessionId: SESSION_ID });
    expect((error as Error).message).toMatch(/no DataKeyProvider/);
    await agent.waitFor(() => agent.inputs.length === 1, 'the HandshakeResponse');
    const response = json(agent.inputs[0]?.payload ?? new Uint8Array()) as { Errors: string[] };
    expect(response.Errors).toHaveLength(1);
  });

  it('rejects HANDSHAKE_FAILED when the KMS call fails', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendJson(0, PayloadType.HandshakeRequest, handshakeRequest(undefined));
    const kms: DataKeyProvider = {
      generateDataKey: async () => {
        throw Object.assign(new Error('User is not authorized to perform kms:GenerateDataKey'), {
          name: 'AccessDeniedException',
        });
      },
    };
    const run = startSession(agent, { kms, targetId: TARGET_ID });
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect((error as Error).message).toMatch(/AccessDeniedException: User is not authorized/);
  });

  it('rejects HANDSHAKE_FAILED when the KMS call does not answer within handshakeTimeoutMs', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendJson(0, PayloadType.HandshakeRequest, handshakeRequest(undefined));
    let aborted = false;
    const kms: DataKeyProvider = {
      generateDataKey: (_, options) =>
        new Promise((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    };
    const run = startSession(agent, { kms, targetId: TARGET_ID, handshakeTimeoutMs: 30 });
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    expect((error as Error).message).toMatch(/not answered within 30 ms/);
    expect(aborted).toBe(true);
  });

  it('rejects HANDSHAKE_FAILED with status 3 sent for an unsupported action', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () =>
      agent.sendJson(0, PayloadType.HandshakeRequest, {
        AgentVersion: '3.3.987.0',
        RequestedClientActions: [{ ActionType: 'Teleport', ActionParameters: null }],
      });
    const run = startSession(agent);
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED' });
    await agent.waitFor(() => agent.inputs.length === 1, 'the HandshakeResponse');
    expect(text(agent.inputs[0]?.payload ?? new Uint8Array())).toBe(
      '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"Teleport","ActionStatus":3,"ActionResult":null,"Error":"Unsupported action Teleport"}],"Errors":["Unsupported action Teleport"]}',
    );
  });

  it('rejects HANDSHAKE_FAILED when encrypted output does not decrypt', async () => {
    const agent = new FakeAgent();
    scriptKmsAgent(agent, CHALLENGE);
    agent.onInput = ((previous) => (message: ClientMessage) => {
      if (message.payloadType === PayloadType.Size)
        agent.sendOutput(3, aesGcmSeal(CLIENT_KEY, nonce(1), new Uint8Array([1])));
      else previous?.(message);
    })(agent.onInput);
    const run = startSession(agent, { kms: fakeKms().provider, targetId: TARGET_ID });
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'HANDSHAKE_FAILED', bytesReceived: 0 });
    expect((error as Error).message).toMatch(/seq 3 does not decrypt/);
  });

  it('sends the terminal size after HandshakeComplete even without KMS (SessionType-only handshake)', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () =>
      agent.sendJson(0, PayloadType.HandshakeRequest, {
        AgentVersion: '3.3.987.0',
        RequestedClientActions: [
          { ActionType: 'SessionType', ActionParameters: { SessionType: 'Standard_Stream' } },
        ],
      });
    agent.onInput = (message) => {
      if (message.payloadType === PayloadType.HandshakeResponse) {
        agent.sendOutput(1, 'early');
        agent.sendJson(2, PayloadType.HandshakeComplete, { HandshakeTimeToComplete: 1, CustomerMessage: '' });
      }
    };
    const run = startSession(agent);
    await agent.waitFor(() => agent.inputs.length === 2, 'the size');
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    expect(agent.inputs.map((m) => m.payloadType)).toEqual([PayloadType.HandshakeResponse, PayloadType.Size]);
    expect(summary).toMatchObject({ encrypted: false, customerMessage: '' });
    expect(run.output().toString()).toBe('early');
  });
});
