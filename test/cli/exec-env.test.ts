import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';
import { captureIo } from './io.ts';

const VARIABLES = [
  'AWS_ENDPOINT_URL_ECS',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_PROFILE',
] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
let emulator: LocalEcs | undefined;

afterEach(async () => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await emulator?.close();
  emulator = undefined;
});

describe('runbook exec without --local', () => {
  it('reaches the endpoints, region and credentials the standard AWS variables name, KMS sessions included', async () => {
    // Arrange: what `runbook local up` prints, as a user would export it.
    emulator = await startLocalEcs({
      configFile: 'runbooks/local/cluster.yaml',
      port: 0,
      initialWaitMs: 0,
      paceMs: 0,
    });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ECS: emulator.endpoint,
      AWS_ENDPOINT_URL_KMS: emulator.kmsEndpoint,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
    });
    delete process.env.AWS_PROFILE;
    const plain = captureIo();
    const encrypted = captureIo();

    // Act
    const plainCode = await main(
      ['exec', '--cluster', 'demo', '--service', 'api', '--', 'echo "$APP_ENV"; exit 4'],
      plain.io,
    );
    const encryptedCode = await main(
      ['exec', '--cluster', 'secure', '--service', 'api', '--', 'echo sealed'],
      encrypted.io,
    );

    // Assert
    expect(plainCode).toBe(4);
    expect(plain.stdout()).toBe('local\n');
    expect(encryptedCode).toBe(0);
    expect(encrypted.stdout()).toBe('sealed\n');
    expect(emulator.stats.calls.ExecuteCommand).toBe(2);
  });
});
