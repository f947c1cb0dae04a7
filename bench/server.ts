/**
 * The server side of the session benchmarks, in its own process so that the client under test
 * has a core to itself (the machine has two): either the local agent in `generate` mode, or a
 * bare `ws` server that pushes the same 1 KiB output frames without any protocol.
 *
 * Protocol with the parent (IPC): { kind: 'agent', bytes } → { streamUrl, tokenValue, sessionId };
 * { kind: 'bare', bytes } → { url }; { kind: 'exit' }.
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

async function bareServer(bytes: number): Promise<string> {
  const frames = bareFrames(bytes);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.once('connection', (socket) => {
    let next = 0;
    // Respect back-pressure as a real server would, so the figure is the transport's, not a
    // buffer's.
    const pump = () => {
      while (next < frames.length) {
        socket.send(frames[next++] as Uint8Array);
        if (socket.bufferedAmount > 4 * 1024 * 1024) {
          setImmediate(pump);
          return;
        }
      }
      socket.close();
      wss.close();
    };
    pump();
  });
  const address = wss.address();
  if (typeof address === 'string') throw new Error('unexpected pipe address');
  return `ws://127.0.0.1:${address.port}/`;
}

process.on('message', (message: { kind: string; bytes?: number }) => {
  void (async () => {
    if (message.kind === 'exit') {
      await agent.close();
      process.exit(0);
    }
    if (message.kind === 'agent') {
      const { streamUrl, tokenValue, sessionId } = agent.createSession({ generate: { bytes: message.bytes ?? 0 } });
      process.send?.({ streamUrl, tokenValue, sessionId });
    } else if (message.kind === 'bare') {
      process.send?.({ url: await bareServer(message.bytes ?? 0) });
    }
  })();
});
process.send?.({ ready: true });
