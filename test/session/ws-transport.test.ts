import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { acknowledgeFor, decode, encode, parseAcknowledge } from '../../lib/session/codec.ts';
import { MessageType, PayloadType } from '../../lib/session/message.ts';
import { runSession } from '../../lib/session/session.ts';
import { connectWebSocket } from '../../lib/session/ws-transport.ts';
import { CREATED, FakeAgent } from './helpers/fake-agent.ts';

const frames = new FakeAgent();
let wss: WebSocketServer | undefined;
let tcp: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  if (wss) {
    for (const client of wss.clients) client.terminate();
    const server = wss;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    wss = undefined;
  }
  if (tcp) {
    for (const socket of sockets.splice(0)) socket.destroy();
    const server = tcp;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tcp = undefined;
  }
});

async function startServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  wss = server;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  return `ws://127.0.0.1:${address.port}/v1/data-channel/ecs-execute-command-1?role=publish_subscribe`;
}

describe('connectWebSocket', () => {
  it('runs a session over a real WebSocket, plain upgrade, OpenDataChannel first as text', async () => {
    // Arrange
    const url = await startServer();
    const seen: { headers?: IncomingHttpHeaders; firstIsBinary?: boolean; acks: number[]; sizes: number } = {
      acks: [],
      sizes: 0,
    };
    wss?.on('connection', (socket, request) => {
      seen.headers = request.headers;
      socket.on('message', (data, isBinary) => {
        if (seen.firstIsBinary === undefined) {
          seen.firstIsBinary = isBinary;
          socket.send(frames.outputFrame(0, 'hello'));
          socket.send(frames.outputFrame(1, ' over ws'));
          return;
        }
        const result = decode(data as Buffer);
        if (!result.ok) throw new Error(result.detail);
        const message = result.message;
        if (message.messageType === MessageType.Acknowledge) {
          seen.acks.push(parseAcknowledge(message.payload)?.AcknowledgedMessageSequenceNumber ?? -1);
        } else if (message.payloadType === PayloadType.Size) {
          seen.sizes++;
          socket.send(encode(acknowledgeFor(message, '11111111-2222-4333-8444-555555555555', CREATED)));
        }
        if (seen.acks.length === 2 && seen.sizes === 1) {
          socket.send(closedFrame());
        }
      });
    });
    const chunks: Buffer[] = [];
    // Act
    const summary = await runSession({
      streamUrl: url,
      tokenValue: 'tok',
      sessionId: 'ecs-execute-command-1',
      onOutput: (chunk) => chunks.push(Buffer.from(chunk)),
      totalTimeoutMs: 5000,
    });
    // Assert
    expect(Buffer.concat(chunks).toString()).toBe('hello over ws');
    expect(summary).toMatchObject({ frames: 2, acksSent: 2, resends: 0 });
    expect(seen.firstIsBinary).toBe(false);
    expect(seen.acks).toEqual([0, 1]);
    expect(seen.headers?.['sec-websocket-extensions']).toBeUndefined();
    expect(seen.headers?.['sec-websocket-protocol']).toBeUndefined();
    expect(seen.headers?.authorization).toBeUndefined();
  });

  it('holds messages that arrive before listen() and delivers them on listen()', async () => {
    const url = await startServer();
    wss?.on('connection', (socket) => socket.send(frames.outputFrame(0, 'early')));
    const transport = await connectWebSocket(url, { timeoutMs: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const received = await new Promise<Uint8Array | string>((resolve) => {
      transport.listen({ onMessage: resolve, onError: () => {}, onClose: () => {} });
    });
    transport.close();
    const result = decode(received as Uint8Array);
    expect(result.ok && new TextDecoder().decode(result.message.payload)).toBe('early');
  });

  it('reports INTERRUPTED through the session when the server drops the socket', async () => {
    const url = await startServer();
    wss?.on('connection', (socket) => {
      socket.once('message', () => {
        socket.send(frames.outputFrame(0, 'cut'), () => setTimeout(() => socket.terminate(), 20));
      });
    });
    const chunks: Uint8Array[] = [];
    const error = await runSession({
      streamUrl: url,
      tokenValue: 'tok',
      sessionId: 'sid',
      onOutput: (chunk) => chunks.push(chunk),
      totalTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERRUPTED', bytesReceived: 3, closeCode: 1006 });
  });

  it('rejects when the upgrade is refused, which the session reports as CONNECT_FAILED', async () => {
    const url = await startServer({ verifyClient: (_info, callback) => callback(false, 403, 'Forbidden') });
    await expect(connectWebSocket(url, { timeoutMs: 2000 })).rejects.toThrow(
      /Unexpected server response: 403/,
    );
    const error = await runSession({
      streamUrl: url,
      tokenValue: 't',
      sessionId: 's',
      onOutput: () => {},
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SessionConnectError', code: 'CONNECT_FAILED' });
  });

  it.each([
    ['the signal aborts', { signal: AbortSignal.timeout(30), timeoutMs: 5000 }, /TimeoutError|aborted/],
    ['timeoutMs passes', { timeoutMs: 30 }, /Opening handshake has timed out/],
  ])('rejects when %s before the server answers the upgrade', async (_, options, message) => {
    const server = createServer((socket) => sockets.push(socket));
    tcp = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected address');
    const error = await connectWebSocket(`ws://127.0.0.1:${address.port}/`, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(`${(error as Error).name}: ${(error as Error).message}`).toMatch(message);
  });
});

function closedFrame(): Uint8Array {
  return encode({
    messageType: MessageType.ChannelClosed,
    schemaVersion: 1,
    createdDate: CREATED,
    sequenceNumber: 0n,
    flags: 0n,
    messageId: 'c9a7f7a2-0c1e-4f3b-8d2a-1b2c3d4e5f60',
    payloadType: 0,
    payload: new TextEncoder().encode('{"MessageType":"channel_closed","Output":""}'),
  });
}
