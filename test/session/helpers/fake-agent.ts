/**
 * A scripted agent for session tests: the server end of an in-memory transport pair that
 * records what the client sends and lets a test send frames as the agent (and MGS) would.
 */
import { randomUUID } from 'node:crypto';
import { acknowledgeFor, decode, encode, parseAcknowledge } from '../../../lib/session/codec.ts';
import {
  createMemoryTransportPair,
  type MemoryTransport,
} from '../../../lib/session/internal/memory-transport.ts';
import {
  type AcknowledgeContent,
  type ClientMessage,
  Flags,
  MessageType,
  PayloadType,
} from '../../../lib/session/message.ts';
import { runSession, type SessionOptions, type SessionSummary } from '../../../lib/session/session.ts';
import type { Connect } from '../../../lib/session/transport.ts';

export const CREATED = 1503434274948;
const textEncoder = new TextEncoder();

/** Everything the client sent, in arrival order. */
export type Received =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ack'; readonly content: AcknowledgeContent }
  | { readonly kind: 'input'; readonly message: ClientMessage };

export interface FakeAgentOptions {
  /** Acknowledge every input_stream_data message. @default true */
  readonly autoAck?: boolean;
}

export class FakeAgent {
  readonly received: Received[] = [];
  readonly server: MemoryTransport;
  readonly connect: Connect;
  autoAck: boolean;
  /** Called for every input message the client sends (after the auto-ack). */
  onInput: ((message: ClientMessage) => void) | undefined;
  /** Called when the OpenDataChannel text frame arrives. */
  onOpen: (() => void) | undefined;
  #waiters: Array<() => void> = [];
  #connected = false;

  constructor(options: FakeAgentOptions = {}) {
    this.autoAck = options.autoAck ?? true;
    const { client, server } = createMemoryTransportPair();
    this.server = server;
    this.connect = async () => {
      this.#connected = true;
      return client;
    };
    server.listen({
      onMessage: (data) => this.#onMessage(data),
      onError: () => {},
      onClose: () => this.#notify(),
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  get acks(): AcknowledgeContent[] {
    return this.received.flatMap((r) => (r.kind === 'ack' ? [r.content] : []));
  }

  get ackedSequenceNumbers(): number[] {
    return this.acks.map((a) => a.AcknowledgedMessageSequenceNumber);
  }

  get inputs(): ClientMessage[] {
    return this.received.flatMap((r) => (r.kind === 'input' ? [r.message] : []));
  }

  get texts(): string[] {
    return this.received.flatMap((r) => (r.kind === 'text' ? [r.text] : []));
  }

  /** Builds an output_stream_data frame as the agent does (SYN on seq 0). */
  outputFrame(
    sequenceNumber: number,
    payload: Uint8Array | string,
    payloadType: number = PayloadType.Output,
  ): Uint8Array {
    return encode({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: CREATED,
      sequenceNumber: BigInt(sequenceNumber),
      flags: sequenceNumber === 0 ? Flags.Syn : Flags.None,
      messageId: randomUUID(),
      payloadType,
      payload: typeof payload === 'string' ? textEncoder.encode(payload) : payload,
    });
  }

  sendOutput(
    sequenceNumber: number,
    payload: Uint8Array | string,
    payloadType: number = PayloadType.Output,
  ): void {
    this.server.send(this.outputFrame(sequenceNumber, payload, payloadType));
  }

  sendJson(sequenceNumber: number, payloadType: number, value: unknown): void {
    this.sendOutput(sequenceNumber, JSON.stringify(value), payloadType);
  }

  sendChannelClosed(output = ''): void {
    const messageId = randomUUID();
    const payload = JSON.stringify({
      MessageId: messageId,
      CreatedDate: String(CREATED),
      DestinationId: 'ecs:demo_0123_0123-0',
      SessionId: 'ecs-execute-command-0123',
      MessageType: 'channel_closed',
      SchemaVersion: 1,
      Output: output,
    });
    this.server.send(
      encode({
        messageType: MessageType.ChannelClosed,
        schemaVersion: 1,
        createdDate: CREATED,
        sequenceNumber: 0n,
        flags: Flags.None,
        messageId,
        payloadType: PayloadType.None,
        payload: textEncoder.encode(payload),
      }),
    );
  }

  /** Resolves once `predicate` holds, checked on every received frame; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, label: string, timeoutMs = 3000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`fake agent: timed out after ${timeoutMs} ms waiting for ${label}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve();
      };
      this.#waiters.push(check);
    });
  }

  #onMessage(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      this.received.push({ kind: 'text', text: data });
      this.onOpen?.();
    } else {
      const result = decode(data);
      if (!result.ok) throw new Error(`fake agent: the client sent a bad frame: ${result.detail}`);
      const message = result.message;
      if (message.messageType === MessageType.Acknowledge) {
        const content = parseAcknowledge(message.payload);
        if (!content) throw new Error('fake agent: bad acknowledge payload');
        this.received.push({ kind: 'ack', content });
      } else if (message.messageType === MessageType.InputStreamData) {
        this.received.push({ kind: 'input', message });
        if (this.autoAck) this.server.send(encode(acknowledgeFor(message, randomUUID(), CREATED)));
        this.onInput?.(message);
      } else {
        throw new Error(`fake agent: unexpected message type ${message.messageType}`);
      }
    }
    this.#notify();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Decodes a JSON payload. */
export function json(payload: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}

/** Decodes a UTF-8 payload. */
export function text(payload: Uint8Array): string {
  return new TextDecoder().decode(payload);
}

/** How a session run ended. */
export type Outcome =
  | { readonly summary: SessionSummary; readonly error?: undefined }
  | { readonly error: unknown; readonly summary?: undefined };

export const SESSION_ID = 'ecs-execute-command-0123456789abcdef0';

/** Starts `runSession` against `agent`; the outcome promise never rejects. */
export function startSession(agent: FakeAgent, overrides: Partial<SessionOptions> = {}) {
  const chunks: Uint8Array[] = [];
  let settled: Outcome | undefined;
  const outcome: Promise<Outcome> = runSession({
    streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/sid?role=publish_subscribe',
    tokenValue: 'token-value-1',
    sessionId: SESSION_ID,
    onOutput: (chunk) => chunks.push(chunk),
    connect: agent.connect,
    ...overrides,
  }).then(
    (summary) => (settled = { summary }),
    (error: unknown) => (settled = { error }),
  );
  return {
    outcome,
    chunks,
    output: () => Buffer.concat(chunks),
    get settled() {
      return settled;
    },
  };
}
