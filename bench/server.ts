/**
 * The server side of the session benchmarks, in its own process so that the client under test
 * has a core to itself (the machine has two): either the local agent in `generate` mode, or a
 * bare `ws` server that pushes the same 1 KiB output frames without any protocol.
 *
 * Three servers, all sending the same generated output in 1 KiB `output_stream_data` frames:
 * - `bare`: pushes the pre-encoded frames over plain `ws` and closes: the transport's ceiling.
 * - `replay`: a minimal agent: the same pre-encoded frames, then reads the client's acks and
 *   sends `channel_closed` once every frame is acknowledged. Its per-frame work is the bare
 *   server's, so the difference to `bare` is the client's own protocol work (digest checks,
 *   acks, ordering): this is what session.throughput measures.
 * - `agent`: the real local agent in `generate` mode (it builds, hashes and tracks every frame
 *   itself, so it is usually the slower side).
 *
 * Protocol with the parent (IPC): { kind: 'agent', bytes } → { streamUrl, tokenValue, sessionId };
 * { kind: 'bare' | 'replay', bytes } → { url }; { kind: 'exit' }.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { generatedBytes, startLocalAgent } from '../lib/local/agent.ts';
import { encode } from '../lib/session/codec.ts';
import { Flags, MessageType, PayloadType } from '../lib/session/message.ts';

const FRAME_PAYLOAD = 1024;
const agent = await startLocalAgent({ host: '127.0.0.1', port: 0, initialWaitMs: 0, paceMs: 0 });

/** The frames the agent would send for `bytes` of output, encoded once. */
function bareFrames(bytes: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0, seq = 0n; offset < bytes; offset += FRAME_PAYLOAD, seq++) {
    frames.push(
      encode({
        messageType: MessageType.OutputStreamData,
        schemaVersion: 1,
        createdDate: Date.now(),
        sequenceNumber: seq,
        flags: seq === 0n ? Flags.Syn : Flags.None,
        messageId: randomUUID(),
        payloadType: PayloadType.Output,
        payload: generatedBytes(offset, Math.min(FRAME_PAYLOAD, bytes - offset)),
      }),
    );
  }
  return frames;
}

function channelClosed(): Uint8Array {
  const messageId = randomUUID();
  const payload = JSON.stringify({
    MessageId: messageId,
    CreatedDate: String(Date.now()),
    DestinationId: 'ecs:bench_0_0',
    SessionId: 'bench',
    MessageType: 'channel_closed',
    SchemaVersion: 1,
    Output: '',
  });
  return encode({
    messageType: MessageType.ChannelClosed,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: 0n,
    flags: Flags.None,
    messageId,
    payloadType: PayloadType.None,
    payload: new TextEncoder().encode(payload),
  });
}

async function bareServer(bytes: number, replay: boolean): Promise<string> {
  const frames = bareFrames(bytes);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.once('connection', (socket) => {
    let next = 0;
    // Back-pressure as a real server applies it, so the figure is the transport's, not a buffer's.
    const pump = (): void => {
      while (next < frames.length) {
        socket.send(frames[next++] as Uint8Array);
        if (socket.bufferedAmount > 4 * 1024 * 1024) {
          setImmediate(pump);
          return;
        }
      }
      if (!replay) {
        socket.close();
        wss.close();
      }
    };
    if (!replay) {
      pump();
      return;
    }
    // The client's first message is the OpenDataChannel text frame; every binary one is an ack.
    let acks = 0;
    socket.on('message', (_data, isBinary) => {
      if (!isBinary) pump();
      else if (++acks === frames.length) {
        socket.send(channelClosed());
        socket.close();
        wss.close();
      }
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected server address');
  return `ws://127.0.0.1:${address.port}/`;
}

process.on('message', (message: { kind: string; bytes?: number }) => {
  void (async () => {
    if (message.kind === 'exit') {
      await agent.close();
      process.exit(0);
    }
    if (message.kind === 'agent') {
      const { streamUrl, tokenValue, sessionId } = agent.createSession({
        generate: { bytes: message.bytes ?? 0 },
      });
      process.send?.({ streamUrl, tokenValue, sessionId });
    } else if (message.kind === 'bare' || message.kind === 'replay') {
      process.send?.({ url: await bareServer(message.bytes ?? 0, message.kind === 'replay') });
    }
  })();
});
process.send?.({ ready: true });
