import { afterEach, describe, expect, it } from 'vitest';
import {
  generatedBytes,
  type LocalAgent,
  type LocalAgentOptions,
  type LocalAgentSession,
  type LocalSessionOutcome,
  startLocalAgent,
} from '../../lib/local/index.ts';
import { MessageType, PayloadType } from '../../lib/session/message.ts';
import { Probe, type ProbeFrame, type ProbeOptions, waitFor } from './agent-probe.ts';

/** Sequence number read straight from the header, for frames that do not decode. */
function rawSequence(frame: ProbeFrame): number {
  return Number(frame.raw.readBigInt64BE(48));
}

function isStreamFrame(frame: ProbeFrame): boolean {
  return frame.raw.subarray(4, 22).toString('latin1') === MessageType.OutputStreamData;
}

function streamSequences(probe: Probe): number[] {
  return probe.frames.filter(isStreamFrame).map(rawSequence);
}

describe('startLocalAgent faults', () => {
  let agent: LocalAgent | undefined;
  const probes: Probe[] = [];

  async function start(options: LocalAgentOptions = {}): Promise<LocalAgent> {
    agent = await startLocalAgent({ initialWaitMs: 0, paceMs: 0, ...options });
    return agent;
  }

  async function run(
    session: LocalAgentSession,
    options: ProbeOptions = {},
  ): Promise<{ probe: Probe; outcome: LocalSessionOutcome }> {
    const probe = await Probe.connect(session.streamUrl, session.tokenValue, options);
    probes.push(probe);
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);
    return { probe, outcome };
  }

  afterEach(async () => {
    for (const probe of probes.splice(0)) probe.close();
    await agent?.close();
    agent = undefined;
  });

  it('reorder swaps pairs of output frames', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 4096 }, faults: { reorder: 1 } });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    expect(streamSequences(probe).slice(0, 4)).toEqual([1, 0, 3, 2]);
    expect(probe.output().equals(generatedBytes(0, 4096))).toBe(true);
    expect(outcome.stats.faults.reorder).toBe(2);
  });

  it('duplicate sends frames twice with identical bytes', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 3072 }, faults: { duplicate: 1 } });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    const stream = probe.frames.filter(isStreamFrame);
    expect(stream.map(rawSequence)).toEqual([0, 0, 1, 1, 2, 2]);
    for (let i = 0; i < stream.length; i += 2)
      expect(stream[i]?.raw.equals(stream[i + 1]?.raw as Buffer)).toBe(true);
    expect(outcome.stats.faults.duplicate).toBe(3);
  });

  it('withholdFirstSend delivers frames only through the RTO resend', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 2048 }, faults: { withholdFirstSend: 1 } });
    const openedAt = Date.now();

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    expect(streamSequences(probe)).toEqual([0, 1]);
    expect((probe.frames[0]?.at ?? 0) - openedAt).toBeGreaterThanOrEqual(150);
    expect(outcome.stats).toMatchObject({ resends: 2, faults: { withholdFirstSend: 2 } });
    expect(probe.output().equals(generatedBytes(0, 2048))).toBe(true);
  });

  it('ignoreAcks makes the agent re-send frames the client already acked', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 2048 }, faults: { ignoreAcks: 2 } });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    const sequences = streamSequences(probe);
    expect(sequences.filter((s) => s === 0).length).toBeGreaterThanOrEqual(2);
    expect(sequences.filter((s) => s === 1).length).toBeGreaterThanOrEqual(2);
    expect(outcome.stats).toMatchObject({ acksIgnored: 2, faults: { ignoreAcks: 2 } });
  });

  it('corruptDigest sends a frame with a broken digest first and a correct one on resend', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 2048 }, faults: { corruptDigest: 1 } });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    for (const sequence of [0, 1]) {
      const copies = probe.frames.filter((f) => isStreamFrame(f) && rawSequence(f) === sequence);
      expect(copies[0]?.decoded).toMatchObject({ ok: false, reason: 'bad_digest' });
      expect(copies.slice(1).some((f) => f.decoded.ok)).toBe(true);
    }
    expect(probe.output().equals(generatedBytes(0, 2048))).toBe(true);
    expect(outcome.stats.faults.corruptDigest).toBe(2);
  });

  it('ackDelayMs acks client input only after the delay', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({
      command: `sh -c 'read a; echo "got:$a"; read b'`,
      faults: { ackDelayMs: 300 },
    });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);

    // Act
    probe.sendInput(PayloadType.Output, 'x\r');
    await waitFor(() => probe.ackedInputSequences().length === 1, 5000, 'the delayed ack');
    probe.sendInput(PayloadType.Output, 'y\r');
    const [outcome] = await Promise.all([session.ended, probe.waitForClose()]);

    // Assert: the command already answered when the ack arrived
    const ackIndex = probe.frames.findIndex(
      (f) => f.decoded.ok && f.decoded.message.messageType === 'acknowledge',
    );
    const answerIndex = probe.frames.findIndex(
      (f) => f.decoded.ok && Buffer.from(f.decoded.message.payload).toString().includes('got:x'),
    );
    expect(answerIndex).toBeGreaterThanOrEqual(0);
    expect(ackIndex).toBeGreaterThan(answerIndex);
    expect(outcome.stats.faults.ackDelayMs).toBe(2);
  });

  it('pausePublication stops sending for a while mid-stream, then resumes', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({
      generate: { bytes: 5120 },
      faults: { pausePublication: { afterFrames: 2, forMs: 300 } },
    });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    const stream = probe.frames.filter(isStreamFrame);
    const at = (sequence: number): number => stream.find((f) => rawSequence(f) === sequence)?.at ?? 0;
    expect(at(2) - at(1)).toBeGreaterThanOrEqual(250);
    expect(probe.output().equals(generatedBytes(0, 5120))).toBe(true);
    expect(outcome.stats.faults.pausePublication).toBe(1);
  });

  it('abruptCloseAfterFrames cuts the socket without channel_closed', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({
      generate: { bytes: 10_240 },
      faults: { abruptCloseAfterFrames: 3 },
    });

    // Act
    const { probe, outcome } = await run(session);

    // Assert
    expect(probe.closeCode).toBe(1006);
    expect(probe.channelClosed()).toBeUndefined();
    expect(probe.stream().map((m) => Number(m.sequenceNumber))).toEqual([0, 1, 2]);
    expect(outcome.reason).toBe('abrupt-close-fault');
  });

  it('abruptCloseAfterFrames kills a running command', async () => {
    const local = await start();
    const session = local.createSession({
      command: `sh -c 'echo started; sleep 30'`,
      faults: { abruptCloseAfterFrames: 1 },
    });
    const { outcome } = await run(session);
    expect(outcome.reason).toBe('abrupt-close-fault');
    expect(outcome.exit?.signal).toBe(1);
  });

  it('noChannelClosed keeps the socket open after the output drains', async () => {
    // Arrange
    const local = await start();
    const session = local.createSession({ generate: { bytes: 2048 }, faults: { noChannelClosed: true } });
    const probe = await Probe.connect(session.streamUrl, session.tokenValue);
    probes.push(probe);

    // Act
    await waitFor(
      () => local.sessionStats(session.sessionId)?.faults.noChannelClosed === 1,
      5000,
      'the fault',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const openAfterDrain = !probe.closed;
    probe.socket.close();
    const outcome = await session.ended;

    // Assert
    expect(openAfterDrain).toBe(true);
    expect(probe.output().equals(generatedBytes(0, 2048))).toBe(true);
    expect(probe.channelClosed()).toBeUndefined();
    expect(outcome.reason).toBe('client-closed');
  });

  it('slowStartMs delays the first output frame', async () => {
    const local = await start();
    const session = local.createSession({ generate: { bytes: 10 }, faults: { slowStartMs: 300 } });
    const openedAt = Date.now();
    const { probe, outcome } = await run(session);
    expect((probe.frames[0]?.at ?? 0) - openedAt).toBeGreaterThanOrEqual(250);
    expect(outcome.stats.faults.slowStartMs).toBe(1);
  });

  it('makes the same random choices for the same seed', async () => {
    // Arrange
    const local = await start();
    const duplicated = async (seed: number): Promise<number[]> => {
      const session = local.createSession({
        generate: { bytes: 32 * 1024 },
        faults: { seed, duplicate: 0.5 },
      });
      const { probe } = await run(session);
      const sequences = streamSequences(probe);
      return [...new Set(sequences.filter((s, i) => sequences.indexOf(s) !== i))];
    };

    // Act
    const first = await duplicated(3);
    const again = await duplicated(3);
    const other = await duplicated(4);

    // Assert
    expect(first.length).toBeGreaterThan(0);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('lets a session override the agent faults', async () => {
    // Arrange
    const local = await start({ faults: { duplicate: 1 } });

    // Act
    const plain = await run(local.createSession({ generate: { bytes: 2048 }, faults: { duplicate: false } }));
    const faulty = await run(local.createSession({ generate: { bytes: 2048 } }));

    // Assert
    expect(streamSequences(plain.probe)).toEqual([0, 1]);
    expect(streamSequences(faulty.probe)).toEqual([0, 0, 1, 1]);
    expect(local.stats().faults.duplicate).toBe(2);
  });
});
