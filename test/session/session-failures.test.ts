import { describe, expect, it } from 'vitest';
import { encode } from '../../lib/session/codec.ts';
import {
  AgentError,
  SessionAbortedError,
  SessionConnectError,
  SessionError,
  SessionInterruptedError,
  SessionTimeoutError,
} from '../../lib/session/errors.ts';
import { PayloadType } from '../../lib/session/message.ts';
import { runSession, type SessionOptions } from '../../lib/session/session.ts';
import type { Transport, TransportHandlers } from '../../lib/session/transport.ts';
import { FakeClock, flush } from '../helpers/fake-clock.ts';
import { FakeAgent, SESSION_ID, startSession } from './helpers/fake-agent.ts';

const isCtrlC = (agent: FakeAgent) =>
  agent.inputs.some(
    (m) => m.payloadType === PayloadType.Output && m.payload.length === 1 && m.payload[0] === 0x03,
  );

describe('runSession failures', () => {
  it('rejects AGENT_ERROR with the Output verbatim when channel_closed carries one, keeping delivered bytes', async () => {
    // Arrange
    const agentText =
      '----------ERROR-------\nUnable to start command: Failed to start pty: exec: "nope": executable file not found in $PATH\n';
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'partial');
    const run = startSession(agent);
    await agent.waitFor(() => agent.acks.length === 1, 'the ack');
    // Act
    agent.sendChannelClosed(agentText);
    const { error } = await run.outcome;
    // Assert
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({
      name: 'AgentError',
      code: 'AGENT_ERROR',
      agentOutput: agentText,
      sessionId: SESSION_ID,
      bytesReceived: 7,
    });
    expect(run.output().toString()).toBe('partial');
  });

  it.each([
    ['closes', (agent: FakeAgent) => agent.server.close(1006, 'gone'), 1006, /code 1006 "gone"/],
    ['fails', (agent: FakeAgent) => agent.server.fail(new Error('ECONNRESET')), 1006, /ECONNRESET/],
  ])(
    'rejects INTERRUPTED with the bytes so far when the socket %s mid-stream',
    async (_, cut, closeCode, message) => {
      const agent = new FakeAgent();
      agent.onOpen = () => {
        agent.sendOutput(0, 'abc');
        agent.sendOutput(2, 'never delivered');
      };
      const run = startSession(agent);
      await agent.waitFor(() => agent.acks.length === 2, 'two acks');
      cut(agent);
      const { error } = await run.outcome;
      expect(error).toBeInstanceOf(SessionInterruptedError);
      expect(error).toMatchObject({ code: 'INTERRUPTED', bytesReceived: 3, closeCode });
      expect((error as Error).message).toMatch(message);
      expect(run.output().toString()).toBe('abc');
    },
  );

  it('rejects INTERRUPTED when channel_closed arrives while output is held behind a gap', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => {
      agent.sendOutput(0, 'a');
      agent.sendOutput(2, 'c');
      agent.sendChannelClosed();
    };
    const run = startSession(agent);
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'INTERRUPTED', bytesReceived: 1 });
    expect((error as Error).message).toMatch(/1 output message\(s\) were held behind missing seq 1/);
  });

  it('rejects CONNECT_FAILED when the transport cannot open', async () => {
    const { error } = await startSession(new FakeAgent(), {
      connect: async () => {
        throw new Error('Unexpected server response: 403');
      },
    }).outcome;
    expect(error).toBeInstanceOf(SessionConnectError);
    expect(error).toMatchObject({ code: 'CONNECT_FAILED', bytesReceived: 0 });
    expect((error as Error).message).toMatch(
      /could not open the data channel: Unexpected server response: 403/,
    );
  });

  it('rejects with the error onOutput throws', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'x');
    const boom = new Error('disk full');
    const { error } = await startSession(agent, {
      onOutput: () => {
        throw boom;
      },
    }).outcome;
    expect(error).toBe(boom);
  });
});

describe('runSession timeouts and abort', () => {
  it('rejects CONNECT_TIMEOUT at connectTimeoutMs and aborts the pending connect', async () => {
    // Arrange
    const clock = new FakeClock();
    let connectSignal: AbortSignal | undefined;
    const connect = (_url: string, options: { signal?: AbortSignal }) => {
      connectSignal = options.signal;
      return new Promise<Transport>(() => {});
    };
    const run = startSession(new FakeAgent(), { clock, connect, connectTimeoutMs: 1000 });
    await flush();
    // Act
    clock.advance(999);
    await flush();
    const early = run.settled;
    clock.advance(1);
    const { error } = await run.outcome;
    // Assert
    expect(early).toBeUndefined();
    expect(error).toBeInstanceOf(SessionTimeoutError);
    expect(error).toMatchObject({ name: 'SessionTimeoutError', code: 'CONNECT_TIMEOUT', timeoutMs: 1000 });
    expect(connectSignal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects FIRST_OUTPUT_TIMEOUT when the agent sends nothing, after a Ctrl-C that the agent acks', async () => {
    // Arrange
    const clock = new FakeClock();
    const agent = new FakeAgent();
    const run = startSession(agent, { clock, firstOutputTimeoutMs: 5000 });
    await agent.waitFor(() => agent.texts.length === 1, 'OpenDataChannel');
    // Act
    clock.advance(4999);
    await flush();
    const early = run.settled;
    clock.advance(1);
    const { error } = await run.outcome;
    // Assert: the ack of the Ctrl-C ended the wait, no grace time had to pass.
    expect(early).toBeUndefined();
    expect(error).toMatchObject({ code: 'FIRST_OUTPUT_TIMEOUT', timeoutMs: 5000, bytesReceived: 0 });
    expect(isCtrlC(agent)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects IDLE_TIMEOUT measured from the last message, after the grace when Ctrl-C is not acked', async () => {
    // Arrange
    const clock = new FakeClock();
    const agent = new FakeAgent({ autoAck: false });
    agent.onOpen = () => agent.sendOutput(0, 'a');
    const run = startSession(agent, { clock, idleTimeoutMs: 1000, interruptGraceMs: 300 });
    await agent.waitFor(() => agent.acks.length === 1, 'the first ack');
    // Act
    clock.advance(600);
    agent.sendOutput(1, 'b');
    await agent.waitFor(() => agent.acks.length === 2, 'the second ack');
    clock.advance(999);
    await flush();
    const early = run.settled;
    clock.advance(1);
    await agent.waitFor(() => isCtrlC(agent), 'the Ctrl-C');
    await flush();
    const duringGrace = run.settled;
    clock.advance(300);
    const { error } = await run.outcome;
    // Assert
    expect(early).toBeUndefined();
    expect(duringGrace).toBeUndefined();
    expect(error).toMatchObject({ code: 'IDLE_TIMEOUT', timeoutMs: 1000, bytesReceived: 2 });
  });

  it('rejects TOTAL_TIMEOUT while output keeps flowing', async () => {
    const clock = new FakeClock();
    const agent = new FakeAgent();
    const run = startSession(agent, { clock, totalTimeoutMs: 10_000, idleTimeoutMs: 1000 });
    await agent.waitFor(() => agent.texts.length === 1, 'OpenDataChannel');
    for (let seq = 0; seq < 20; seq++) {
      agent.sendOutput(seq, 'x');
      await agent.waitFor(() => agent.acks.length === seq + 1, `ack ${seq}`);
      clock.advance(500);
    }
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'TOTAL_TIMEOUT', timeoutMs: 10_000, bytesReceived: 20 });
    expect(isCtrlC(agent)).toBe(true);
  });

  it('rejects ABORTED with the reason as cause and interrupts the command', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'running');
    const controller = new AbortController();
    const run = startSession(agent, { signal: controller.signal });
    await agent.waitFor(() => agent.inputs.length === 1, 'the size');
    const reason = new Error('user pressed Ctrl-C');
    controller.abort(reason);
    const { error } = await run.outcome;
    expect(error).toBeInstanceOf(SessionAbortedError);
    expect(error).toMatchObject({ code: 'ABORTED', bytesReceived: 7, cause: reason });
    expect(isCtrlC(agent)).toBe(true);
  });

  it('with interruptDrainMs, reads the output the command prints after its Ctrl-C until channel_closed', async () => {
    // Arrange
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'running');
    const controller = new AbortController();
    const run = startSession(agent, { signal: controller.signal, interruptDrainMs: 60_000 });
    await agent.waitFor(() => agent.inputs.length === 1, 'the size');
    // Act: the agent acks the Ctrl-C, then sends what the command printed as it died, then closes.
    controller.abort(new Error('deadline'));
    await agent.waitFor(() => isCtrlC(agent), 'the Ctrl-C');
    agent.sendOutput(1, ' ^C');
    await agent.waitFor(() => agent.ackedSequenceNumbers.includes(1), 'the ack of the last output');
    agent.sendChannelClosed('');
    const { error } = await run.outcome;
    // Assert: the abort is still the outcome, and no byte sent before channel_closed was lost.
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect(run.output().toString()).toBe('running ^C');
  });

  it("without interruptDrainMs, closes at the Ctrl-C's ack and reads nothing after it", async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'running');
    const controller = new AbortController();
    const run = startSession(agent, { signal: controller.signal });
    await agent.waitFor(() => agent.inputs.length === 1, 'the size');
    controller.abort(new Error('cancel'));
    const { error } = await run.outcome;
    expect(error).toMatchObject({ code: 'ABORTED', bytesReceived: 7 });
  });

  it('counts messages a transport delivers inside listen() as the first output', async () => {
    // Arrange
    const clock = new FakeClock();
    const frames = new FakeAgent();
    const sent: Array<Uint8Array | string> = [];
    let handlers: TransportHandlers | undefined;
    const transport: Transport = {
      send: (data) => sent.push(data),
      listen: (h) => {
        handlers = h;
        h.onMessage(frames.outputFrame(0, 'held'));
      },
      close: () => {},
    };
    const run = startSession(frames, {
      clock,
      connect: async () => transport,
      firstOutputTimeoutMs: 1000,
      idleTimeoutMs: 5000,
    });
    await flush();
    // Act
    clock.advance(1500);
    await flush();
    const afterFirstOutputBound = run.settled;
    handlers?.onMessage(closedFrame());
    const { summary } = await run.outcome;
    // Assert
    expect(afterFirstOutputBound).toBeUndefined();
    expect(summary?.bytesReceived).toBe(4);
    expect(typeof sent[0]).toBe('string');
  });

  it('rejects ABORTED without connecting when the signal is already aborted', async () => {
    const agent = new FakeAgent();
    const { error } = await startSession(agent, { signal: AbortSignal.abort() }).outcome;
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect(agent.connected).toBe(false);
  });
});

describe('runSession options', () => {
  const base: SessionOptions = {
    streamUrl: 'wss://x/',
    tokenValue: 't',
    sessionId: 's',
    onOutput: () => {},
  };

  it.each([
    [
      { ...base, idleTimeout: 5 },
      TypeError,
      /unknown SessionOptions key\(s\) idleTimeout; accepted: streamUrl/,
    ],
    [{ ...base, streamUrl: '' }, TypeError, /streamUrl must be a non-empty string; received ""/],
    [
      { ...base, totalTimeoutMs: 0 },
      RangeError,
      /totalTimeoutMs must be an integer .* from 1 to 2147483647; received 0/,
    ],
    [{ ...base, idleTimeoutMs: 3_000_000_000 }, RangeError, /idleTimeoutMs .* received 3000000000/],
    [
      { ...base, terminalSize: { cols: 0, rows: 10 } },
      RangeError,
      /terminalSize must be \{ cols, rows \}.*received \{"cols":0,"rows":10\}/,
    ],
    [
      { ...base, maxReorderFrames: 1.5 },
      RangeError,
      /maxReorderFrames must be an integer >= 1; received 1.5/,
    ],
    [{ ...base, onOutput: 'stdout' }, TypeError, /onOutput must be a function; received string/],
  ])('rejects invalid options %#', async (options, type, message) => {
    const promise = runSession(options as SessionOptions);
    await expect(promise).rejects.toThrow(type);
    await expect(promise).rejects.toThrow(message);
  });
});

function closedFrame(): Uint8Array {
  return encode({
    messageType: 'channel_closed',
    schemaVersion: 1,
    createdDate: 1503434274948,
    sequenceNumber: 0n,
    flags: 0n,
    messageId: 'c9a7f7a2-0c1e-4f3b-8d2a-1b2c3d4e5f60',
    payloadType: 0,
    payload: new TextEncoder().encode('{"Output":""}'),
  });
}
