/**
 * runLocal when its `onEvent` observer throws: the error reaches the caller, never the process
 * as an unhandled rejection. Notify-only runbooks, so no emulator is needed.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { runLocal } from '../../lib/runner/run-local.ts';
import { cleanUp, tempDir } from './helpers.ts';

const source = `
name: notes
steps:
  - id: first
    notify: { topic: 'arn:aws:sns:eu-west-1:000000000000:ops', message: one }
  - id: second
    notify: { topic: 'arn:aws:sns:eu-west-1:000000000000:ops', message: two }
`;

afterEach(cleanUp);

describe('runLocal onEvent', () => {
  it('rejects with the error onEvent throws from a step end, leaving no unhandled rejection', async () => {
    // Never called: the runbook has no exec step.
    const ecs = new ECSClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const run = runLocal(source, {
        ecs,
        outputDir: await tempDir('runner-outputs-'),
        onEvent: (event) => {
          if (event.type === 'step-finished') throw new Error('observer broke');
        },
      });
      await expect(run).rejects.toThrow('observer broke');
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      ecs.destroy();
    }
    expect(unhandled).toEqual([]);
  });
});
