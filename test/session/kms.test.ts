import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { kmsDataKeyProvider } from '../../lib/session/kms.ts';

let server: Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** A one-operation KMS stand-in speaking awsJson1_1, recording each request. */
async function startKms(reply: (body: Record<string, unknown>) => [number, unknown]) {
  const requests: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      requests.push({ headers: req.headers, body });
      const [status, payload] = reply(body);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    });
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const address = s.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  const client = new KMSClient({
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'eu-west-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return { client, requests };
}

describe('kmsDataKeyProvider', () => {
  it('calls GenerateDataKey with the key, 64 bytes and the encryption context', async () => {
    // Arrange
    const plaintext = Buffer.alloc(64, 7);
    const { client, requests } = await startKms(() => [
      200,
      {
        KeyId: 'arn:aws:kms:eu-west-1:000000000000:key/1',
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: 'AQID',
      },
    ]);
    const context = { 'aws:ssm:SessionId': 'sid', 'aws:ssm:TargetId': 'ecs:c_t_r' };
    // Act
    const key = await kmsDataKeyProvider(client).generateDataKey({
      keyId: 'alias/exec',
      numberOfBytes: 64,
      encryptionContext: context,
    });
    // Assert
    expect(requests[0]?.headers['x-amz-target']).toBe('TrentService.GenerateDataKey');
    expect(requests[0]?.body).toEqual({ KeyId: 'alias/exec', NumberOfBytes: 64, EncryptionContext: context });
    expect(Buffer.from(key.plaintext)).toEqual(plaintext);
    expect(Array.from(key.ciphertextBlob)).toEqual([1, 2, 3]);
  });

  it('rejects with the SDK error name when KMS refuses', async () => {
    const { client } = await startKms(() => [
      400,
      { __type: 'AccessDeniedException', message: 'not authorized to perform kms:GenerateDataKey' },
    ]);
    const error = await kmsDataKeyProvider(client)
      .generateDataKey({ keyId: 'alias/exec', numberOfBytes: 64, encryptionContext: {} })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException' });
  });

  it('rejects when the answer lacks the plaintext', async () => {
    const { client } = await startKms(() => [200, { KeyId: 'k', CiphertextBlob: 'AQID' }]);
    await expect(
      kmsDataKeyProvider(client).generateDataKey({
        keyId: 'alias/exec',
        numberOfBytes: 64,
        encryptionContext: {},
      }),
    ).rejects.toThrow(/returned no Plaintext or no CiphertextBlob/);
  });
});
