/**
 * The data-channel client (lib/session) against the local agent (lib/local) over a real
 * WebSocket, for every fault mode of the agent, with KMS encryption on and off: the output is
 * byte-exact to what the agent sent, or a typed error arrives within the configured bounds.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCommand } from '../../lib/exec/command.ts';
import { OutputCollector } from '../../lib/exec/output.ts';
import { type AgentFaults, generatedBytes, type LocalAgent, startLocalAgent } from '../../lib/local/agent.ts';
import { type LocalKms, startLocalKms } from '../../lib/local/kms.ts';
import { SessionError } from '../../lib/session/errors.ts';
import { kmsDataKeyProvider } from '../../lib/session/kms.ts';
import { runSession, type SessionOptions } from '../../lib/session/session.ts';

const BYTES = 64 * 1024 + 333; // 65 frames, the last one short
const TARGET_ID = 'ecs:demo_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-0';

let agent: LocalAgent;
let kms: LocalKms;
let kmsClient: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ host: '127.0.0.1', port: 0, region: 'eu-west-1' });
  agent = await startLocalAgent({
    host: '127.0.0.1',
    port: 0,
    initialWaitMs: 0,
    paceMs: 0,
    kms,
  });
  kmsClient = new KMSClient({
    endpoint: kms.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  kmsClient.destroy();
  await agent.close();
  await kms.close();
});

/** Opens a generated-output session with these faults and runs the client to its end. */
async function generated(
  faults: AgentFaults,
  encrypted: boolean,
  options: Partial<SessionOptions> = {},
  from: LocalAgent = agent,
) {
  const session = from.createSession({
    generate: { bytes: BYTES },
    faults,
    ...(encrypted ? { kms: { keyId: 'alias/exec', targetId: TARGET_ID } } : {}),
  });
  const chunks: Uint8Array[] = [];
  const outcome = runSession({
    streamUrl: session.streamUrl,
    tokenValue: session.tokenValue,
    sessionId: session.sessionId,
    targetId: TARGET_ID,
    kms: kmsDataKeyProvider(kmsClient),
    onOutput: (chunk) => chunks.push(chunk),
    idleTimeoutMs: 5_000,
    totalTimeoutMs: 15_000,
    ...options,
  });
  return { outcome, received: () => Buffer.concat(chunks) };
}

// Frames the agent must re-send go out one at a time (the oldest unacked, per 100 ms tick), and
// the agent waits at most 2 s for acks before channel_closed, as the real one does: the rates keep
// the re-sends inside that window. Beyond it the output is incomplete: see the test below.
const FAULTS: Array<[string, AgentFaults]> = [
  ['no fault', {}],
  ['reordered frames', { reorder: 0.3 }],
  ['duplicated frames', { duplicate: 0.3 }],
  ['withheld first sends', { withholdFirstSend: 0.05 }],
  ['ignored acks', { ignoreAcks: 10 }],
  ['delayed acks of client input', { ackDelayMs: 300 }],
  ['corrupted digests', { corruptDigest: 0.05 }],
  ['paused publication', { pausePublication: { afterFrames: 5, forMs: 400 } }],
  ['a slow start', { slowStartMs: 300 }],
  [
    'every fault at once',
    { reorder: 0.2, duplicate: 0.2, withholdFirstSend: 0.03, corruptDigest: 0.03, ignoreAcks: 5 },
  ],
];

describe.each([
  ['without KMS', false],
  ['with KMS', true],
])('runSession against the local agent %s', (_label, encrypted) => {
  it.each(FAULTS)('delivers the output byte-exact with %s', async (_name, faults) => {
    const { outcome, received } = await generated(faults, encrypted);
    const summary = await outcome;
    expect(summary.bytesReceived).toBe(BYTES);
    expect(summary.encrypted).toBe(encrypted);
    expect(received().equals(generatedBytes(0, BYTES))).toBe(true);
  });

  it('reports an interrupted session with the bytes received so far when the socket is cut', async () => {
    const { outcome, received } = await generated({ abruptCloseAfterFrames: 20 }, encrypted);
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: 'INTERRUPTED' });
    const got = received();
    expect(got.length).toBe((error as SessionError).bytesReceived);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(BYTES);
    expect(got.equals(generatedBytes(0, got.length))).toBe(true);
  });

  it('reports an idle timeout, never success, when channel_closed never comes', async () => {
    const started = Date.now();
    const { outcome, received } = await generated({ noChannelClosed: true }, encrypted, {
      idleTimeoutMs: 400,
    });
    await expect(outcome).rejects.toMatchObject({ name: 'SessionTimeoutError', code: 'IDLE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(received().equals(generatedBytes(0, BYTES))).toBe(true);
  });

  it('reports a timeout within its bound when the agent starts too slowly', async () => {
    const { outcome } = await generated({ slowStartMs: 3_000 }, encrypted, {
      firstOutputTimeoutMs: 300,
      idleTimeoutMs: 300,
    });
    // With KMS the handshake is the agent's first message; the silence after it is idle time.
    await expect(outcome).rejects.toMatchObject({
      code: encrypted ? 'IDLE_TIMEOUT' : 'FIRST_OUTPUT_TIMEOUT',
    });
  });

  it('reports incomplete output, never success, when the agent closes before its re-sends got through', async () => {
    const hasty = await startLocalAgent({
      host: '127.0.0.1',
      port: 0,
      initialWaitMs: 0,
      paceMs: 0,
      kms,
      closeDrainMs: 100,
    });
    try {
      const { outcome, received } = await generated({ withholdFirstSend: 0.5 }, encrypted, {}, hasty);
      await expect(outcome).rejects.toMatchObject({
        code: 'INTERRUPTED',
        message: expect.stringContaining('incomplete'),
      });
      const got = received();
      expect(got.length).toBeLessThan(BYTES);
      expect(got.equals(generatedBytes(0, got.length))).toBe(true);
    } finally {
      await hasty.close();
    }
  });
});

describe('runSession and the output collector against commands under the agent’s PTY', () => {
  async function run(script: string) {
    const built = buildCommand({ script });
    const session = agent.createSession({ command: built.command });
    const collector = new OutputCollector({ marker: built.marker });
    await runSession({
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      sessionId: session.sessionId,
      onOutput: (chunk) => collector.push(chunk),
      totalTimeoutMs: 15_000,
    });
    return collector.end();
  }

  it.each([0, 1, 2, 127, 130, 255])('returns exit code %d', async (code) => {
    const result = await run(`echo before; exit ${code}`);
    expect(result.exitCode).toBe(code);
    expect(result.tail).toBe('before\n');
  });

  it('returns 127 when the command inside the script does not exist', async () => {
    const result = await run('no-such-command-here');
    expect(result.exitCode).toBe(127);
    expect(result.tail).toContain('not found');
  });

  it('keeps empty output empty and output with no final newline as it is', async () => {
    expect(await run('true')).toMatchObject({ exitCode: 0, tail: '', totalBytes: 0 });
    expect(await run('printf "no newline"')).toMatchObject({
      exitCode: 0,
      tail: 'no newline',
      totalBytes: 10,
    });
  });

  it('keeps a multi-byte character that straddles the 1 KiB frame boundary whole', async () => {
    const result = await run(`printf '%1023s' '' | tr ' ' a; printf 'é€😀\\n'`);
    expect(result.exitCode).toBe(0);
    expect(result.tail).toBe(`${'a'.repeat(1023)}é€😀\n`);
  });

  it('runs many short commands in a row, each to its exit code', async () => {
    // The client sends Size after the first output; for a command as short as `true` it can land
    // after the terminal closed (the exec.latency benchmark hit an ENOTTY there, now caught).
    for (let i = 0; i < 40; i++) {
      const result = await run('true');
      expect(result.exitCode).toBe(0);
    }
  });

  it('reads 50 MB of output to the last byte', async () => {
    // 50 MiB of "x" lines from the PTY: every byte must arrive, none may be lost at the end.
    const result = await run(`head -c 52428800 /dev/zero | tr '\\0' x | fold -w 1023`);
    expect(result.exitCode).toBe(0);
    expect(result.totalBytes).toBe(52428800 + Math.floor(52428800 / 1023));
    expect(result.truncated).toBe(true);
  }, 60_000);
});
