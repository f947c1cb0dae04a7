import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsError, type LocalKms, LocalOptionError, startLocalKms } from '../../lib/local/index.ts';

const CONTEXT = { 'aws:ssm:SessionId': 'ecs-execute-command-0123', 'aws:ssm:TargetId': 'ecs:demo_abc_abc-0' };

describe('startLocalKms', () => {
  let kms: LocalKms | undefined;

  async function start(
    options: Parameters<typeof startLocalKms>[0] = {},
  ): Promise<{ kms: LocalKms; client: KMSClient }> {
    kms = await startLocalKms({ region: 'eu-west-1', accountId: '123456789012', ...options });
    const client = new KMSClient({
      endpoint: kms.endpoint,
      region: kms.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return { kms, client };
  }

  afterEach(async () => {
    await kms?.close();
    kms = undefined;
  });

  it('round-trips a 64-byte data key through GenerateDataKey and Decrypt with the real SDK', async () => {
    // Arrange
    const { client } = await start();

    // Act
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/exec', NumberOfBytes: 64, EncryptionContext: CONTEXT }),
    );
    const decrypted = await client.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: CONTEXT }),
    );

    // Assert
    expect(generated.Plaintext).toHaveLength(64);
    expect(generated.KeyId).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f-]{36}$/);
    expect(Buffer.from(decrypted.Plaintext ?? []).equals(Buffer.from(generated.Plaintext ?? []))).toBe(true);
    expect(decrypted.KeyId).toBe(generated.KeyId);
  });

  it.each([
    ['a different TargetId', { ...CONTEXT, 'aws:ssm:TargetId': 'ecs:other_abc_abc-0' }],
    ['an extra key', { ...CONTEXT, 'aws:ssm:RandomChallenge': 'q83vEjRWeJCrze8SNFZ4kA==' }],
    ['no context', undefined],
  ])('rejects Decrypt with %s with InvalidCiphertextException', async (_name, context) => {
    // Arrange
    const { client } = await start();
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/exec', NumberOfBytes: 64, EncryptionContext: CONTEXT }),
    );

    // Act
    const attempt = client.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
    );

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(attempt).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects a tampered blob with InvalidCiphertextException', async () => {
    const { client } = await start();
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: 'alias/exec', Plaintext: Buffer.from('x') }),
    );
    const tampered = Buffer.from(CiphertextBlob ?? []);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await expect(client.send(new DecryptCommand({ CiphertextBlob: tampered }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
  });

  it('resolves a key by id, key ARN, alias and alias ARN', async () => {
    // Arrange
    const { client } = await start({
      keys: [{ keyId: '11111111-2222-4333-8444-555555555555', aliases: ['alias/exec'] }],
    });
    const refs = [
      '11111111-2222-4333-8444-555555555555',
      'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555',
      'alias/exec',
      'arn:aws:kms:eu-west-1:123456789012:alias/exec',
    ];

    // Act
    const described = await Promise.all(refs.map((KeyId) => client.send(new DescribeKeyCommand({ KeyId }))));

    // Assert
    for (const { KeyMetadata } of described) {
      expect(KeyMetadata).toMatchObject({
        KeyId: '11111111-2222-4333-8444-555555555555',
        Arn: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555',
        Enabled: true,
        KeyState: 'Enabled',
      });
    }
  });

  it('reports NotFoundException for an unknown alias when keys are not auto-created', async () => {
    const { client } = await start({ autoCreateKeys: false });
    const attempt = client.send(new GenerateDataKeyCommand({ KeyId: 'alias/missing', NumberOfBytes: 64 }));
    await expect(attempt).rejects.toBeInstanceOf(NotFoundException);
    await expect(attempt).rejects.toThrow('alias/missing');
  });

  it('reports NotFoundException for a key ARN of another region', async () => {
    const { client } = await start();
    const KeyId = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555';
    await expect(client.send(new DescribeKeyCommand({ KeyId }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('creates the same key for an alias on first use every time', async () => {
    const first = (await start()).kms.keyring.describeKey('alias/exec').keyId;
    await kms?.close();
    const second = (await start()).kms.keyring.describeKey('alias/exec').keyId;
    expect(second).toBe(first);
  });

  it('reports IncorrectKeyException when Decrypt names another key', async () => {
    const { client } = await start();
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: 'alias/a', Plaintext: Buffer.from('x') }),
    );
    await expect(
      client.send(new DecryptCommand({ CiphertextBlob, KeyId: 'alias/b' })),
    ).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it.each([
    [{ KeyId: 'alias/exec', NumberOfBytes: 2000 }, 'ValidationException', 'numberOfBytes'],
    [{ KeyId: 'alias/exec' }, 'ValidationException', 'number of bytes or key spec'],
  ])('reports %j as %s', async (input, name, message) => {
    const { client } = await start();
    const attempt = client.send(new GenerateDataKeyCommand(input));
    await expect(attempt).rejects.toMatchObject({ name });
    await expect(attempt).rejects.toThrow(message);
  });

  it('generates a key spec sized data key', async () => {
    const { client } = await start();
    const out = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/exec', KeySpec: 'AES_128' }));
    expect(out.Plaintext).toHaveLength(16);
  });

  it('decrypts in-process what the SDK generated, as the agent does', async () => {
    // Arrange
    const { kms: local, client } = await start();
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/exec', NumberOfBytes: 64, EncryptionContext: CONTEXT }),
    );

    // Act
    const out = local.decrypt({
      ciphertextBlob: generated.CiphertextBlob ?? new Uint8Array(),
      encryptionContext: CONTEXT,
    });

    // Assert
    expect(Buffer.from(out.plaintext).equals(Buffer.from(generated.Plaintext ?? []))).toBe(true);
    expect(() => local.decrypt({ ciphertextBlob: generated.CiphertextBlob ?? new Uint8Array() })).toThrow(
      KmsError,
    );
  });

  it.each([
    ['TrentService.ListKeys', '{}', 'UnknownOperationException'],
    [undefined, '{}', 'UnknownOperationException'],
    ['TrentService.Decrypt', '{not json', 'SerializationException'],
    ['TrentService.Decrypt', '{"CiphertextBlob": 5}', 'SerializationException'],
  ])('answers target %s with body %s as a 400 %s', async (target, body, type) => {
    // Arrange
    const { kms: local } = await start();
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (target) headers['x-amz-target'] = target;

    // Act
    const response = await fetch(local.endpoint, { method: 'POST', headers, body });

    // Assert
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: type });
    expect(local.stats().errors).toBe(1);
  });

  it.each([
    [{ regoin: 'x' }, 'unknown option "regoin"'],
    [{ accountId: '12' }, 'accountId must be 12 digits'],
    [{ keys: [{ aliases: ['exec'] }] }, 'an alias is "alias/"'],
  ])('rejects the options %j', async (options, message) => {
    await expect(startLocalKms(options as never)).rejects.toBeInstanceOf(LocalOptionError);
    await expect(startLocalKms(options as never)).rejects.toThrow(message);
  });
});
