import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encode } from '../../lib/session/codec.ts';
import { Flags, MessageType, PayloadType } from '../../lib/session/message.ts';
import { FakeClock, flush } from '../helpers/fake-clock.ts';
import { CREATED, FakeAgent, json, SESSION_ID, startSession, text } from './helpers/fake-agent.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('runSession', () => {
  it('sends OpenDataChannel as its first frame, as text', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendChannelClosed();
    const run = startSession(agent);
    await run.outcome;
    expect(agent.received[0]?.kind).toBe('text');
    const open = JSON.parse(agent.texts[0] ?? '');
    expect(Object.keys(open)).toEqual([
      'MessageSchemaVersion',
      'RequestId',
      'TokenValue',
      'ClientId',
      'ClientVersion',
    ]);
    expect(open).toMatchObject({
      MessageSchemaVersion: '1.0',
      TokenValue: 'token-value-1',
      ClientVersion: '1.2.677.0',
    });
    expect(open.RequestId).toMatch(UUID_RE);
    expect(open.ClientId).toMatch(UUID_RE);
  });

  it('delivers output in order, acks each message and resolves on channel_closed (no KMS)', async () => {
    // Arrange
    const agent = new FakeAgent();
    agent.onOpen = () => agent.sendOutput(0, 'hello');
    const run = startSession(agent);
    // Act
    await agent.waitFor(() => agent.inputs.length === 1, 'the terminal size');
    agent.sendOutput(1, ' world');
    await agent.waitFor(() => agent.acks.length === 2, 'the second ack');
    agent.sendChannelClosed();
    const { summary, error } = await run.outcome;
    // Assert
    expect(error).toBeUndefined();
    expect(run.output().toString()).toBe('hello world');
    expect(agent.received.map((r) => r.kind)).toEqual(['text', 'ack', 'input', 'ack']);
    expect(agent.acks[0]).toMatchObject({
      AcknowledgedMessageType: 'output_stream_data',
      AcknowledgedMessageSequenceNumber: 0,
      IsSequentialMessage: true,
    });
    expect(summary).toEqual({
      sessionId: SESSION_ID,
      bytesReceived: 11,
      frames: 2,
      duplicates: 0,
      reordered: 0,
      droppedFrames: 0,
      badFrames: {},
      acksSent: 2,
      resends: 0,
      ignored: 0,
      encrypted: false,
      customerMessage: undefined,
    });
  });

  it('sends the terminal size once, only after the first output', async () => {
    // Arrange
    const agent = new FakeAgent();
    const run = startSession(agent, { terminalSize: { cols: 80, rows: 24 } });
    await agent.waitFor(() => agent.texts.length === 1, 'OpenDataChannel');
    // Act
    await flush(20);
    const before = agent.inputs.length;
    agent.sendOutput(0, 'a');
    agent.sendOutput(1, 'b');
    await agent.waitFor(() => agent.acks.length === 2, 'two acks');
    agent.sendChannelClosed();
    await run.outcome;
    // Assert
    expect(before).toBe(0);
    expect(agent.inputs).toHaveLength(1);
    const size = agent.inputs[0];
    expect(size).toMatchObject({
      messageType: 'input_stream_data',
      sequenceNumber: 0n,
      flags: 0n,
      payloadType: 3,
    });
    expect(text(size?.payload ?? new Uint8Array())).toBe('{"cols":80,"rows":24}');
  });

  it('delivers a multi-frame output byte-exact through reordering and duplicates, acking every copy', async () => {
    // Arrange
    const data = randomBytes(100 * 1024 + 17);
    const frames: Uint8Array[] = [];
    for (let at = 0, seq = 0; at < data.length; at += 1024, seq++) {
      frames.push(new FakeAgent().outputFrame(seq, data.subarray(at, at + 1024)));
    }
    const order = [...frames.keys()].reverse();
    const sent = [...order, 50, 3, 0];
    const agent = new FakeAgent();
    agent.onOpen = () => {
      for (const seq of sent) agent.server.send(frames[seq] as Uint8Array);
    };
    const run = startSession(agent);
    // Act
    await agent.waitFor(() => agent.acks.length === sent.length, 'every copy acked');
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    // Assert
    expect(Buffer.compare(run.output(), data)).toBe(0);
    expect(agent.ackedSequenceNumbers).toEqual(sent);
    expect(summary).toMatchObject({
      bytesReceived: data.length,
      frames: frames.length,
      duplicates: 3,
      reordered: frames.length - 1,
      acksSent: sent.length,
    });
  });

  it('drops a frame with a bad digest without ack and accepts its resend', async () => {
    // Arrange
    const agent = new FakeAgent();
    const good = agent.outputFrame(0, 'payload');
    const bad = good.slice();
    bad[bad.length - 1] = 0x21;
    agent.onOpen = () => {
      agent.server.send(bad);
      agent.server.send(good);
    };
    const run = startSession(agent);
    // Act
    await agent.waitFor(() => agent.acks.length === 1, 'the ack');
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    // Assert
    expect(run.output().toString()).toBe('payload');
    expect(agent.ackedSequenceNumbers).toEqual([0]);
    expect(summary?.badFrames).toEqual({ bad_digest: 1 });
  });

  it('drops an early frame without ack when the reorder buffer is full, and takes it when resent', async () => {
    // Arrange
    const agent = new FakeAgent();
    agent.onOpen = () => {
      agent.sendOutput(1, 'b');
      agent.sendOutput(2, 'c');
      agent.sendOutput(3, 'd');
    };
    const run = startSession(agent, { maxReorderFrames: 2 });
    await agent.waitFor(() => agent.acks.length === 2, 'two acks');
    await flush();
    // Act
    agent.sendOutput(0, 'a');
    agent.sendOutput(3, 'd');
    await agent.waitFor(() => agent.acks.length === 4, 'four acks');
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    // Assert
    expect(run.output().toString()).toBe('abcd');
    expect(agent.ackedSequenceNumbers).toEqual([1, 2, 0, 3]);
    expect(summary).toMatchObject({ droppedFrames: 1, reordered: 2 });
  });

  it('ignores publication control, unknown payload types and text frames, counting them', async () => {
    // Arrange
    const agent = new FakeAgent();
    agent.onOpen = () => {
      agent.server.send(
        encode({
          messageType: MessageType.PausePublication,
          schemaVersion: 1,
          createdDate: CREATED,
          sequenceNumber: 0n,
          flags: Flags.None,
          messageId: '11111111-2222-4333-8444-555555555555',
          payloadType: 0,
          payload: new Uint8Array(),
        }),
      );
      agent.server.send('{"not":"binary"}');
      agent.sendOutput(0, 'EXIT_CODE: 0', PayloadType.ExitCode);
      agent.sendOutput(1, 'x');
    };
    const run = startSession(agent);
    // Act
    await agent.waitFor(() => agent.acks.length === 2, 'two acks');
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    // Assert
    expect(run.output().toString()).toBe('x');
    expect(summary).toMatchObject({ ignored: 2, frames: 2, badFrames: { text_frame: 1 } });
  });

  it('resends its unacknowledged message after the RTO, off the injected clock', async () => {
    // Arrange
    const clock = new FakeClock();
    const agent = new FakeAgent({ autoAck: false });
    agent.onOpen = () => agent.sendOutput(0, 'x');
    const run = startSession(agent, { clock });
    await agent.waitFor(() => agent.inputs.length === 1, 'the size');
    // Act
    clock.advance(200);
    await flush();
    const atRto = agent.inputs.length;
    clock.advance(1);
    await agent.waitFor(() => agent.inputs.length === 2, 'the resend');
    agent.autoAck = true;
    agent.server.send(
      encode({
        messageType: MessageType.Acknowledge,
        schemaVersion: 1,
        createdDate: CREATED,
        sequenceNumber: 0n,
        flags: Flags.SynFin,
        messageId: '11111111-2222-4333-8444-555555555555',
        payloadType: 0,
        payload: new TextEncoder().encode(
          '{"AcknowledgedMessageType":"input_stream_data","AcknowledgedMessageId":"x","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}',
        ),
      }),
    );
    await flush();
    clock.advance(5000);
    await flush();
    agent.sendChannelClosed();
    const { summary } = await run.outcome;
    // Assert
    expect(atRto).toBe(1);
    expect(agent.inputs.map((m) => m.sequenceNumber)).toEqual([0n, 0n]);
    expect(agent.inputs[1]?.messageId).toBe(agent.inputs[0]?.messageId);
    expect(summary?.resends).toBe(1);
  });

  it('hands over StdErr payloads like Output', async () => {
    const agent = new FakeAgent();
    agent.onOpen = () => {
      agent.sendOutput(0, 'out ');
      agent.sendOutput(1, 'err', PayloadType.StdErr);
    };
    const run = startSession(agent);
    await agent.waitFor(() => agent.acks.length === 2, 'two acks');
    agent.sendChannelClosed();
    await run.outcome;
    expect(run.output().toString()).toBe('out err');
    expect(json(agent.inputs[0]?.payload ?? new Uint8Array())).toEqual({ cols: 300, rows: 100 });
  });
});
