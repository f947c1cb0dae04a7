/**
 * A raw data-channel client for the local agent's tests: `ws` plus the codec, every frame
 * recorded, acks under the test's control. Not the project's session client (that one is tested
 * against the agent separately); this one exists to observe the wire.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { acknowledgeFor, type DecodeResult, decode, encode } from '../../lib/session/codec.ts';
import { type ChannelClosedContent, type ClientMessage, MessageType } from '../../lib/session/message.ts';

export interface ProbeFrame {
  readonly raw: Buffer;
  readonly decoded: DecodeResult;
  readonly at: number;
}

export interface ProbeOptions {
  /** Ack `output_stream_data` frames automatically (every accepted one, duplicates included). */
  readonly autoAck?: boolean;
  /** Decides per frame whether to ack (overrides autoAck). */
  readonly ackIf?: (message: ClientMessage) => boolean;
  /** Replace the OpenDataChannel text (for token tests); a Buffer is sent as a binary frame. */
  readonly openFrame?: string | Buffer;
}

/** Fails after `ms` unless `condition` becomes true; polls every 5 ms. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export class Probe {
  readonly frames: ProbeFrame[] = [];
  readonly socket: WebSocket;
  closeCode: number | undefined;
  closeReason = '';
  #nextInputSequence = 0n;
  readonly #options: ProbeOptions;

  private constructor(socket: WebSocket, options: ProbeOptions) {
    this.socket = socket;
    this.#options = options;
    socket.on('message', (data: Buffer) => this.#onMessage(data));
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    socket.on('error', () => {});
  }

  /** Opens the socket and sends the OpenDataChannel frame. */
  static async connect(streamUrl: string, tokenValue: string, options: ProbeOptions = {}): Promise<Probe> {
    const socket = new WebSocket(streamUrl, { perMessageDeflate: false });
    const probe = new Probe(socket, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const open =
      options.openFrame ??
      JSON.stringify({
        MessageSchemaVersion: '1.0',
        RequestId: randomUUID(),
        TokenValue: tokenValue,
        ClientId: randomUUID(),
        ClientVersion: '1.2.677.0',
      });
    socket.send(open, { binary: Buffer.isBuffer(open) });
    return probe;
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Decoded messages in arrival order. */
  messages(type?: string): ClientMessage[] {
    const out: ClientMessage[] = [];
    for (const frame of this.frames) {
      if (frame.decoded.ok && (type === undefined || frame.decoded.message.messageType === type)) {
        out.push(frame.decoded.message);
      }
    }
    return out;
  }

  /** Stream messages in sequence order, each sequence once. */
  stream(): ClientMessage[] {
    const bySequence = new Map<bigint, ClientMessage>();
    for (const message of this.messages(MessageType.OutputStreamData)) {
      if (!bySequence.has(message.sequenceNumber)) bySequence.set(message.sequenceNumber, message);
    }
    return [...bySequence.values()].sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1));
  }

  /** Concatenated payloads of the in-order stream's messages of `payloadType` (decrypted by `open`). */
  output(payloadType = 1, open: (payload: Uint8Array) => Uint8Array = (p) => p): Buffer {
    return Buffer.concat(
      this.stream()
        .filter((m) => m.payloadType === payloadType)
        .map((m) => Buffer.from(open(m.payload))),
    );
  }

  channelClosed(): ChannelClosedContent | undefined {
    const message = this.messages(MessageType.ChannelClosed)[0];
    return message
      ? (JSON.parse(Buffer.from(message.payload).toString('utf8')) as ChannelClosedContent)
      : undefined;
  }

  /** Sends an `input_stream_data` message; returns its sequence number. */
  sendInput(payloadType: number, payload: Uint8Array | string, sequenceNumber?: bigint): bigint {
    const sequence = sequenceNumber ?? this.#nextInputSequence++;
    this.sendMessage({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: sequence,
      flags: 0n,
      messageId: randomUUID(),
      payloadType,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    });
    return sequence;
  }

  sendMessage(message: ClientMessage): void {
    this.socket.send(encode(message), { binary: true });
  }

  ack(message: ClientMessage): void {
    this.sendMessage(acknowledgeFor(message, randomUUID(), Date.now()));
  }

  /** Acks that the agent sent for the client's input sequence numbers. */
  ackedInputSequences(): number[] {
    return this.messages(MessageType.Acknowledge).map(
      (m) => JSON.parse(Buffer.from(m.payload).toString('utf8')).AcknowledgedMessageSequenceNumber as number,
    );
  }

  async waitForClose(ms = 10_000): Promise<void> {
    await waitFor(() => this.closed, ms, 'the socket to close');
  }

  close(): void {
    this.socket.terminate();
  }

  #onMessage(data: Buffer): void {
    const decoded = decode(data);
    this.frames.push({ raw: Buffer.from(data), decoded, at: Date.now() });
    if (!decoded.ok) return;
    const message = decoded.message;
    if (message.messageType !== MessageType.OutputStreamData) return;
    const shouldAck = this.#options.ackIf ? this.#options.ackIf(message) : (this.#options.autoAck ?? true);
    if (shouldAck) this.ack(message);
  }
}
