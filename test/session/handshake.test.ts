import { describe, expect, it } from 'vitest';
import { aesGcmOpen, aesGcmSeal, SessionCipher } from '../../lib/session/crypto.ts';
import {
  answerEncryptionChallenge,
  answerHandshakeRequest,
  parseHandshakeComplete,
} from '../../lib/session/handshake.ts';
import type { DataKeyProvider, GenerateDataKeyInput } from '../../lib/session/kms.ts';

const P = Uint8Array.from({ length: 64 }, (_, i) => i);
const BLOB = new Uint8Array([0xca, 0xfe, 0xba, 0xbe]);
const enc = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function fakeKms(key: Uint8Array = P) {
  const calls: GenerateDataKeyInput[] = [];
  const provider: DataKeyProvider = {
    async generateDataKey(input) {
      calls.push(input);
      return { plaintext: key, ciphertextBlob: BLOB };
    },
  };
  return { provider, calls };
}

const sessionType = {
  ActionType: 'SessionType',
  ActionParameters: { SessionType: 'InteractiveCommands', Properties: null },
};
const kmsAction = (challenge?: string) => ({
  ActionType: 'KMSEncryption',
  ActionParameters: { KMSKeyId: 'alias/exec', ...(challenge === undefined ? {} : { Challenge: challenge }) },
});
const request = (...actions: unknown[]) =>
  enc({ AgentVersion: '3.3.987.0', RequestedClientActions: actions });
const context = { sessionId: 'ecs-execute-command-1', targetId: 'ecs:demo_t1_t1-0' };

describe('answerHandshakeRequest', () => {
  it('answers SessionType exactly as protocol.md §6.3 (TV3 payload)', async () => {
    const answer = await answerHandshakeRequest(request(sessionType), context);
    expect(dec(answer.payload)).toBe(
      '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}',
    );
    expect(answer.dataKey).toBeUndefined();
    expect(answer.errors).toEqual([]);
  });

  it('generates a 64-byte key with the challenge in the context and acknowledges the challenge', async () => {
    // Arrange
    const kms = fakeKms();
    // Act
    const answer = await answerHandshakeRequest(request(sessionType, kmsAction('q83vEjRWeJCrze8SNFZ4kA==')), {
      ...context,
      kms: kms.provider,
    });
    // Assert
    expect(kms.calls).toEqual([
      {
        keyId: 'alias/exec',
        numberOfBytes: 64,
        encryptionContext: {
          'aws:ssm:SessionId': 'ecs-execute-command-1',
          'aws:ssm:TargetId': 'ecs:demo_t1_t1-0',
          'aws:ssm:RandomChallenge': 'q83vEjRWeJCrze8SNFZ4kA==',
        },
      },
    ]);
    expect(dec(answer.payload)).toBe(
      '{"ClientVersion":"1.2.677.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""},{"ActionType":"KMSEncryption","ActionStatus":1,"ActionResult":{"KMSCipherTextKey":"yv66vg==","KMSCipherTextHash":null,"ChallengeAcknowledgement":true},"Error":""}],"Errors":null}',
    );
    expect(answer.dataKey).toEqual(P);
  });

  it('uses the two-key context and no acknowledgement when no challenge is offered', async () => {
    const kms = fakeKms();
    const answer = await answerHandshakeRequest(request(sessionType, kmsAction()), {
      ...context,
      kms: kms.provider,
    });
    expect(kms.calls[0]?.encryptionContext).toEqual({
      'aws:ssm:SessionId': 'ecs-execute-command-1',
      'aws:ssm:TargetId': 'ecs:demo_t1_t1-0',
    });
    expect(JSON.parse(dec(answer.payload)).ProcessedClientActions[1].ActionResult).toEqual({
      KMSCipherTextKey: 'yv66vg==',
      KMSCipherTextHash: null,
    });
  });

  it.each([
    [
      'an unknown action',
      request(sessionType, { ActionType: 'Teleport', ActionParameters: {} }),
      3,
      'Unsupported action Teleport',
    ],
    [
      'an unknown session type',
      request({ ActionType: 'SessionType', ActionParameters: { SessionType: 'Nope' } }),
      2,
      'Failed to process action SessionType: Unknown session type Nope',
    ],
  ])('reports %s with its status and error', async (_, payload, status, error) => {
    const answer = await answerHandshakeRequest(payload, context);
    const response = JSON.parse(dec(answer.payload));
    const failed = response.ProcessedClientActions.at(-1);
    expect(failed).toMatchObject({ ActionStatus: status, ActionResult: null, Error: error });
    expect(response.Errors).toEqual([error]);
    expect(answer.errors).toEqual([error]);
  });

  it('reports a failed KMS call as status 2 with the SDK error name', async () => {
    const provider: DataKeyProvider = {
      generateDataKey: async () => {
        throw Object.assign(new Error('Invalid EncryptionContext'), { name: 'InvalidCiphertextException' });
      },
    };
    const answer = await answerHandshakeRequest(request(sessionType, kmsAction()), {
      ...context,
      kms: provider,
    });
    expect(answer.errors).toEqual([
      'Failed to process action KMSEncryption: GenerateDataKey for alias/exec failed: InvalidCiphertextException: Invalid EncryptionContext',
    ]);
    expect(JSON.parse(dec(answer.payload)).ProcessedClientActions[1].ActionStatus).toBe(2);
    expect(answer.dataKey).toBeUndefined();
  });

  it.each([
    ['no DataKeyProvider', { ...context }, /no DataKeyProvider \(kms option\) was given/],
    ['no targetId', { sessionId: 'sid', kms: fakeKms().provider }, /KMS sessions need targetId/],
    [
      'a 32-byte key',
      { ...context, kms: fakeKms(new Uint8Array(32)).provider },
      /returned a 32-byte key; 64 bytes/,
    ],
  ])('reports KMSEncryption failed when given %s', async (_, ctx, error) => {
    const answer = await answerHandshakeRequest(request(sessionType, kmsAction()), ctx);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors[0]).toMatch(error);
  });

  it('throws when the payload is not a HandshakeRequest', async () => {
    await expect(answerHandshakeRequest(enc('{"AgentVersion":"1"}'), context)).rejects.toThrow(
      /HandshakeRequest must be JSON .*received "\{\\"AgentVersion\\":\\"1\\"\}"/,
    );
  });
});

describe('answerEncryptionChallenge', () => {
  it('decrypts with the agent key and re-encrypts the same bytes with the client key', () => {
    // Arrange
    const challenge = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const sealed = aesGcmSeal(P.subarray(0, 32), new Uint8Array(12).fill(7), challenge);
    const payload = enc({ Challenge: Buffer.from(sealed).toString('base64') });
    // Act
    const response = JSON.parse(dec(answerEncryptionChallenge(payload, new SessionCipher(P))));
    // Assert
    expect(aesGcmOpen(P.subarray(32, 64), Buffer.from(response.Challenge, 'base64'))).toEqual(
      Buffer.from(challenge),
    );
  });

  it('throws when the challenge does not decrypt with the data key', () => {
    const sealed = aesGcmSeal(P.subarray(32, 64), new Uint8Array(12), new Uint8Array(64));
    const payload = enc({ Challenge: Buffer.from(sealed).toString('base64') });
    expect(() => answerEncryptionChallenge(payload, new SessionCipher(P))).toThrow(/does not decrypt/);
  });

  it('throws when the payload has no Challenge', () => {
    expect(() => answerEncryptionChallenge(enc({}), new SessionCipher(P))).toThrow(
      /must be JSON \{"Challenge"/,
    );
  });
});

describe('parseHandshakeComplete', () => {
  it('reads the customer message and duration', () => {
    expect(
      parseHandshakeComplete(
        enc({
          HandshakeTimeToComplete: 1500000,
          CustomerMessage: 'This session is encrypted using AWS KMS.',
        }),
      ),
    ).toEqual({
      handshakeTimeToCompleteNs: 1500000,
      customerMessage: 'This session is encrypted using AWS KMS.',
    });
  });

  it('throws when the payload is not a JSON object', () => {
    expect(() => parseHandshakeComplete(enc('nope'))).toThrow(/HandshakeComplete must be JSON/);
  });
});
