/**
 * The data-channel client: reads one ECS Exec session to its last byte.
 *
 * This module orchestrates; the work is elsewhere: bytes in `codec.ts`, sequencing and
 * retransmission in `stream.ts`, the KMS handshake in `handshake.ts`, AES-GCM in `crypto.ts`, the
 * socket behind `transport.ts`. Every wait is bounded by a timeout and the caller's signal, all
 * off the injected clock.
 *
 * Size: one class holds the session's phases (open, handshake, stream, close) because they share
 * the socket, the stream state and the pending timers; the pure parts are already elsewhere.
 *
 * @see docs/protocol.md §2–§8
 */
import { randomUUID as cryptoRandomUUID } from 'node:crypto';
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from '../shared/clock.ts';
import { type DecodeFailureReason, decode, encode, parseAcknowledge, parseJson } from './codec.ts';
import { SessionCipher } from './crypto.ts';
import {
  AgentError,
  HandshakeError,
  SessionAbortedError,
  SessionConnectError,
  type SessionErrorContext,
  SessionInterruptedError,
  type SessionTimeoutCode,
  SessionTimeoutError,
} from './errors.ts';
import {
  answerEncryptionChallenge,
  answerHandshakeRequest,
  CLIENT_VERSION,
  type HandshakeAnswer,
  parseHandshakeComplete,
} from './handshake.ts';
import { encodeAcknowledge } from './internal/ack-frame.ts';
import type { DataKeyProvider } from './kms.ts';
import { type ClientMessage, Flags, MessageType, type OpenDataChannelInput, PayloadType } from './message.ts';
import { DEFAULT_MAX_REORDER_FRAMES, IncomingStream, OutgoingStream } from './stream.ts';
import type { Connect, Transport, TransportCloseInfo } from './transport.ts';
import { connectWebSocket } from './ws-transport.ts';

/** Terminal size sent to the agent's PTY. */
export interface TerminalSize {
  readonly cols: number;
  readonly rows: number;
}

/** Options of {@link runSession}. Unknown keys are rejected. */
export interface SessionOptions {
  /** `session.streamUrl` from ExecuteCommand, used verbatim. */
  readonly streamUrl: string;
  /** `session.tokenValue` from ExecuteCommand; valid only briefly, so connect at once. */
  readonly tokenValue: string;
  /** `session.sessionId` from ExecuteCommand. */
  readonly sessionId: string;
  /**
   * The agent's identity, `ecs:<cluster>_<taskId>_<runtimeId>`, for the KMS encryption context.
   * @default - none; required when the agent asks for KMSEncryption
   */
  readonly targetId?: string;
  /**
   * Source of the data key.
   * @default - none; required when the agent asks for KMSEncryption
   */
  readonly kms?: DataKeyProvider;
  /**
   * Receives the plaintext output (PayloadType Output and StdErr) strictly in sequence order.
   * The chunk is the caller's to keep. A throw ends the session with that error.
   */
  readonly onOutput: (chunk: Uint8Array) => void;
  /**
   * Sent once: after the first output (no handshake) or after HandshakeComplete, never earlier,
   * because the agent drops input that arrives before (protocol.md §6.1, §7).
   * @default { cols: 300, rows: 100 } (the plugin's size when stdout is not a terminal)
   */
  readonly terminalSize?: TerminalSize;
  /** @default 15_000 */
  readonly connectTimeoutMs?: number;
  /**
   * Bound from opening the channel to the first message of the agent (output, handshake or
   * `channel_closed`). The agent sends nothing before its command prints something.
   * @default 60_000
   */
  readonly firstOutputTimeoutMs?: number;
  /**
   * Bound on the gap between messages after the first.
   * @default 1_200_000 (20 min, the ECS Exec idle timeout)
   */
  readonly idleTimeoutMs?: number;
  /** @default 3_600_000 (1 h) */
  readonly totalTimeoutMs?: number;
  /**
   * Bound on answering the HandshakeRequest (the KMS call); the agent itself gives up after 15 s.
   * @default 15_000
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * On a timeout or an abort the session sends one Ctrl-C (byte 0x03) so the remote command is
   * interrupted (protocol.md §8.3), then waits this long for its acknowledgement before closing.
   * @default 500
   */
  readonly interruptGraceMs?: number;
  /**
   * After an interrupt's Ctrl-C, keep reading the command's last output until `channel_closed`
   * (the agent sends it once the command has ended) for at most this long, instead of closing
   * at the Ctrl-C's acknowledgement: the output then holds every byte the agent sent. 0 closes
   * at the acknowledgement (or after `interruptGraceMs`).
   * @default 0
   */
  readonly interruptDrainMs?: number;
  /** Aborts the session (after the best-effort Ctrl-C). */
  readonly signal?: AbortSignal;
  /** @default - a WebSocket ({@link connectWebSocket}) */
  readonly connect?: Connect;
  /** @default - the system clock */
  readonly clock?: Clock;
  /** Source of message ids, RequestId and ClientId. @default node:crypto randomUUID */
  readonly randomUUID?: () => string;
  /** Capacity of the reorder buffer, frames. @default 10_000 */
  readonly maxReorderFrames?: number;
}

/** Why an incoming frame was dropped without acknowledgement. */
export type BadFrameReason = DecodeFailureReason | 'text_frame' | 'bad_acknowledge';

/** What a completed session did. */
export interface SessionSummary {
  readonly sessionId: string;
  /** Plaintext bytes delivered through `onOutput`. */
  readonly bytesReceived: number;
  /** Agent stream messages processed in sequence order. */
  readonly frames: number;
  /** Stream messages received again (and acknowledged again). */
  readonly duplicates: number;
  /** Stream messages received ahead of a gap. */
  readonly reordered: number;
  /** Early stream messages dropped unacknowledged because the reorder buffer was full. */
  readonly droppedFrames: number;
  /** Frames dropped unacknowledged, by reason. */
  readonly badFrames: Readonly<Partial<Record<BadFrameReason, number>>>;
  /** Acknowledgements sent. */
  readonly acksSent: number;
  /** Our messages sent again after their RTO. */
  readonly resends: number;
  /** Messages or payloads received and deliberately ignored (publication control, unknown types). */
  readonly ignored: number;
  /** Whether the session was KMS-encrypted. */
  readonly encrypted: boolean;
  /** HandshakeComplete's CustomerMessage, when a handshake ran. */
  readonly customerMessage: string | undefined;
}

const DEFAULTS = {
  terminalSize: { cols: 300, rows: 100 },
  connectTimeoutMs: 15_000,
  firstOutputTimeoutMs: 60_000,
  idleTimeoutMs: 1_200_000,
  totalTimeoutMs: 3_600_000,
  handshakeTimeoutMs: 15_000,
  interruptGraceMs: 500,
  interruptDrainMs: 0,
  connect: connectWebSocket,
  clock: systemClock,
  randomUUID: cryptoRandomUUID,
  maxReorderFrames: DEFAULT_MAX_REORDER_FRAMES,
} as const satisfies Partial<SessionOptions>;

type ResolvedOptions = Required<Omit<SessionOptions, 'targetId' | 'kms' | 'signal'>> &
  Pick<SessionOptions, 'targetId' | 'kms' | 'signal'>;

const OPTION_KEYS: readonly (keyof SessionOptions)[] = [
  'streamUrl',
  'tokenValue',
  'sessionId',
  'targetId',
  'kms',
  'onOutput',
  'terminalSize',
  'connectTimeoutMs',
  'firstOutputTimeoutMs',
  'idleTimeoutMs',
  'totalTimeoutMs',
  'handshakeTimeoutMs',
  'interruptGraceMs',
  'interruptDrainMs',
  'signal',
  'connect',
  'clock',
  'randomUUID',
  'maxReorderFrames',
];

const CTRL_C = new Uint8Array([0x03]);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Runs one data-channel session to its end and resolves with its summary.
 *
 * Opens the transport, sends OpenDataChannel, answers the handshake when the agent asks for one,
 * acknowledges every stream message (duplicates included), hands output to `onOutput` in
 * sequence order, and resolves when `channel_closed` arrives with an empty `Output` after every
 * byte was delivered. Bad frames are dropped and counted, never thrown.
 *
 * Rejects with a {@link SessionError}: a `SessionTimeoutError` or `SessionAbortedError` (after a
 * best-effort Ctrl-C to the remote command), `SessionConnectError`, `SessionInterruptedError`
 * (the socket went away first: never mistaken for success), `AgentError` (`channel_closed`
 * carried the agent's error text) or `HandshakeError`. Output delivered before stays delivered.
 *
 * @example
 * const { session } = await ecs.send(new ExecuteCommandCommand({ ...target, interactive: true, command }));
 * const summary = await runSession({
 *   streamUrl: session.streamUrl, tokenValue: session.tokenValue, sessionId: session.sessionId,
 *   onOutput: (chunk) => process.stdout.write(chunk),
 *   totalTimeoutMs: 600_000,
 * });
 */
export async function runSession(options: SessionOptions): Promise<SessionSummary> {
  const run = new SessionRun(resolveOptions(options));
  try {
    return await run.start();
  } finally {
    run.dispose();
  }
}

type Phase = 'connecting' | 'open' | 'interrupting' | 'done';

class SessionRun {
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  readonly #outgoing: OutgoingStream;
  readonly #incoming: IncomingStream<ClientMessage>;
  readonly #badFrames: Partial<Record<BadFrameReason, number>> = {};
  readonly #done: Promise<SessionSummary>;
  #resolve!: (summary: SessionSummary) => void;
  #reject!: (error: unknown) => void;

  #phase: Phase = 'connecting';
  #transport: Transport | undefined;
  #transportError: Error | undefined;
  #connectAbort: AbortController | undefined;
  #handshakeAbort: AbortController | undefined;
  #pendingError: unknown;
  #interruptSequenceNumber = -1;

  #totalTimer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #firstOutputTimer: TimerHandle | undefined;
  #idleTimer: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #resendTimer: TimerHandle | undefined;
  #graceTimer: TimerHandle | undefined;

  #lastActivityAt = 0;
  #sawFirstMessage = false;
  #bytesReceived = 0;
  #frames = 0;
  #acksSent = 0;
  #ignored = 0;
  #cipher: SessionCipher | undefined;
  #handshakeStarted = false;
  #handshakeComplete = false;
  #customerMessage: string | undefined;
  #sawOutput = false;
  #sizeSent = false;
  // Set while the answer to a HandshakeRequest is computed: later messages wait in the stream.
  #paused = false;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#clock = options.clock;
    const now = () => this.#clock.now();
    this.#outgoing = new OutgoingStream({ now });
    this.#incoming = new IncomingStream({ maxReorderFrames: options.maxReorderFrames });
    this.#done = new Promise<SessionSummary>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  start(): Promise<SessionSummary> {
    const { signal, totalTimeoutMs } = this.#options;
    if (signal?.aborted) {
      this.#finish(new SessionAbortedError(this.#context(), { cause: signal.reason }));
      return this.#done;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#totalTimer = this.#clock.setTimeout(
      () => this.#timeout('TOTAL_TIMEOUT', totalTimeoutMs),
      totalTimeoutMs,
    );
    void this.#open();
    return this.#done;
  }

  /** Clears every timer and closes the transport; idempotent. */
  dispose(): void {
    const clock = this.#clock;
    for (const timer of [
      this.#totalTimer,
      this.#connectTimer,
      this.#firstOutputTimer,
      this.#idleTimer,
      this.#handshakeTimer,
      this.#resendTimer,
      this.#graceTimer,
    ]) {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
    this.#totalTimer = this.#connectTimer = this.#firstOutputTimer = this.#idleTimer = undefined;
    this.#handshakeTimer = this.#resendTimer = this.#graceTimer = undefined;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#connectAbort?.abort();
    this.#handshakeAbort?.abort();
    this.#transport?.close(1000, '');
  }

  async #open(): Promise<void> {
    const { streamUrl, connectTimeoutMs } = this.#options;
    const controller = new AbortController();
    this.#connectAbort = controller;
    this.#connectTimer = this.#clock.setTimeout(
      () => this.#timeout('CONNECT_TIMEOUT', connectTimeoutMs),
      connectTimeoutMs,
    );
    let transport: Transport;
    try {
      transport = await this.#options.connect(streamUrl, {
        signal: controller.signal,
        timeoutMs: connectTimeoutMs,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#fail(
        new SessionConnectError(`could not open the data channel: ${reason}`, this.#context(), {
          cause: error,
        }),
      );
      return;
    } finally {
      this.#clock.clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
      this.#connectAbort = undefined;
    }
    if (this.#phase !== 'connecting') {
      transport.close(1000, '');
      return;
    }
    this.#transport = transport;
    this.#phase = 'open';
    try {
      const open: OpenDataChannelInput = {
        MessageSchemaVersion: '1.0',
        RequestId: this.#options.randomUUID(),
        TokenValue: this.#options.tokenValue,
        ClientId: this.#options.randomUUID(),
        ClientVersion: CLIENT_VERSION,
      };
      transport.send(JSON.stringify(open));
      const { firstOutputTimeoutMs } = this.#options;
      this.#firstOutputTimer = this.#clock.setTimeout(
        () => this.#timeout('FIRST_OUTPUT_TIMEOUT', firstOutputTimeoutMs),
        firstOutputTimeoutMs,
      );
      // Last: listen() may deliver held messages at once, and they must find the timers set.
      transport.listen({
        onMessage: (data) => this.#onMessage(data),
        onError: (error) => {
          this.#transportError = error;
        },
        onClose: (info) => this.#onClose(info),
      });
    } catch (error) {
      this.#fail(error);
    }
  }

  #onMessage(data: Uint8Array | string): void {
    if (this.#phase === 'done' || this.#phase === 'connecting') return;
    try {
      if (typeof data === 'string') {
        this.#countBad('text_frame');
        return;
      }
      const result = decode(data);
      if (!result.ok) {
        this.#countBad(result.reason);
        return;
      }
      const message = result.message;
      const now = this.#clock.now();
      this.#lastActivityAt = now;
      switch (message.messageType) {
        case MessageType.OutputStreamData:
          if (this.#reading()) this.#onStreamMessage(message, now);
          return;
        case MessageType.Acknowledge:
          this.#onAcknowledge(message);
          return;
        case MessageType.ChannelClosed:
          if (this.#phase === 'interrupting' && this.#options.interruptDrainMs > 0) {
            // The interrupted command has ended and every byte before channel_closed was read.
            this.#finish(this.#pendingError);
          } else if (this.#phase === 'open') this.#onChannelClosed(message);
          return;
        default:
          // start_publication / pause_publication are for the agent; unknown types are logged
          // and ignored by the plugin too.
          this.#ignored++;
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #onStreamMessage(message: ClientMessage, now: number): void {
    this.#markFirstMessage();
    const verdict = this.#incoming.receive(message);
    if (verdict === 'dropped') return;
    this.#send(encodeAcknowledge(message, this.#options.randomUUID(), now));
    this.#acksSent++;
    if (verdict === 'accepted') this.#pump();
  }

  /** Processes every message that is next in sequence, unless a handshake step is pending. */
  #pump(): void {
    while (!this.#paused && this.#reading()) {
      const message = this.#incoming.next();
      if (message === undefined) return;
      this.#frames++;
      this.#process(message);
    }
  }

  #process(message: ClientMessage): void {
    switch (message.payloadType) {
      case PayloadType.Output:
      case PayloadType.StdErr:
        this.#deliver(message);
        return;
      case PayloadType.HandshakeRequest:
        this.#startHandshake(message);
        return;
      case PayloadType.EncChallengeRequest:
        this.#answerChallenge(message);
        return;
      case PayloadType.HandshakeComplete:
        this.#completeHandshake(message);
        return;
      default:
        // ExitCode and the rest never occur in an InteractiveCommands session.
        this.#ignored++;
    }
  }

  #deliver(message: ClientMessage): void {
    let chunk = message.payload;
    if (this.#cipher !== undefined) {
      try {
        chunk = this.#cipher.decrypt(chunk);
      } catch (error) {
        throw new HandshakeError(
          `output message seq ${message.sequenceNumber} does not decrypt with the session's data key`,
          this.#context(),
          { cause: error },
        );
      }
    }
    if (chunk.length > 0) {
      this.#bytesReceived += chunk.length;
      this.#options.onOutput(chunk);
    }
    if (!this.#sawOutput) {
      this.#sawOutput = true;
      if (!this.#handshakeStarted) this.#sendTerminalSize();
    }
  }

  #startHandshake(message: ClientMessage): void {
    if (this.#handshakeStarted) {
      throw new HandshakeError(
        `a second HandshakeRequest arrived (seq ${message.sequenceNumber})`,
        this.#context(),
      );
    }
    this.#handshakeStarted = true;
    this.#paused = true;
    const { handshakeTimeoutMs } = this.#options;
    this.#handshakeAbort = new AbortController();
    this.#handshakeTimer = this.#clock.setTimeout(() => {
      this.#fail(
        new HandshakeError(
          `the HandshakeRequest was not answered within ${handshakeTimeoutMs} ms`,
          this.#context(),
        ),
      );
    }, handshakeTimeoutMs);
    void this.#answerHandshake(message.payload, this.#handshakeAbort.signal);
  }

  async #answerHandshake(payload: Uint8Array, signal: AbortSignal): Promise<void> {
    let answer: HandshakeAnswer;
    try {
      answer = await answerHandshakeRequest(payload, {
        sessionId: this.#options.sessionId,
        targetId: this.#options.targetId,
        kms: this.#options.kms,
        signal,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#fail(new HandshakeError(reason, this.#context(), { cause: error }));
      return;
    } finally {
      this.#clock.clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = undefined;
      this.#handshakeAbort = undefined;
    }
    if (this.#phase !== 'open') return;
    try {
      if (answer.dataKey !== undefined) this.#cipher = new SessionCipher(answer.dataKey);
      this.#sendInput(PayloadType.HandshakeResponse, answer.payload);
      if (answer.errors.length > 0) {
        // The agent ends the session on any failed action; the response above tells it why.
        this.#fail(new HandshakeError(`the handshake failed: ${answer.errors.join('; ')}`, this.#context()));
        return;
      }
      this.#paused = false;
      this.#pump();
    } catch (error) {
      this.#fail(error);
    }
  }

  #answerChallenge(message: ClientMessage): void {
    if (this.#cipher === undefined) {
      throw new HandshakeError('EncChallengeRequest arrived before a data key was agreed', this.#context());
    }
    let response: Uint8Array;
    try {
      response = answerEncryptionChallenge(message.payload, this.#cipher);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HandshakeError(reason, this.#context(), { cause: error });
    }
    this.#sendInput(PayloadType.EncChallengeResponse, response);
  }

  #completeHandshake(message: ClientMessage): void {
    try {
      this.#customerMessage = parseHandshakeComplete(message.payload).customerMessage;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HandshakeError(reason, this.#context(), { cause: error });
    }
    this.#handshakeComplete = true;
    this.#sendTerminalSize();
  }

  #sendTerminalSize(): void {
    if (this.#sizeSent) return;
    this.#sizeSent = true;
    const { cols, rows } = this.#options.terminalSize;
    this.#sendInput(PayloadType.Size, textEncoder.encode(JSON.stringify({ cols, rows })));
  }

  #onChannelClosed(message: ClientMessage): void {
    const value = parseJson(message.payload);
    const output =
      typeof value === 'object' && value !== null
        ? String((value as { Output?: unknown }).Output ?? '')
        : textDecoder.decode(message.payload);
    if (output !== '') {
      this.#fail(new AgentError(output, this.#context()));
      return;
    }
    if (this.#handshakeStarted && !this.#handshakeComplete) {
      this.#fail(
        new SessionInterruptedError('channel_closed arrived before the handshake completed', this.#context()),
      );
      return;
    }
    const held = this.#incoming.heldCount;
    if (held > 0) {
      this.#fail(
        new SessionInterruptedError(
          `channel_closed arrived while ${held} output message(s) were held behind missing seq ${this.#incoming.expectedSequenceNumber}: the output is incomplete`,
          this.#context(),
        ),
      );
      return;
    }
    this.#finish();
  }

  #onAcknowledge(message: ClientMessage): void {
    const content = parseAcknowledge(message.payload);
    if (content === undefined) {
      this.#countBad('bad_acknowledge');
      return;
    }
    const sequenceNumber = content.AcknowledgedMessageSequenceNumber;
    if (!this.#outgoing.acknowledge(sequenceNumber)) return;
    this.#scheduleResend();
    if (
      this.#phase === 'interrupting' &&
      sequenceNumber === this.#interruptSequenceNumber &&
      this.#options.interruptDrainMs === 0
    ) {
      this.#finish(this.#pendingError);
    }
  }

  #onClose(info: TransportCloseInfo): void {
    this.#transport = undefined;
    if (this.#phase === 'interrupting') {
      this.#finish(this.#pendingError);
      return;
    }
    if (this.#phase !== 'open') return;
    const reason = info.reason === '' ? '' : ` "${info.reason}"`;
    const cause = this.#transportError ? `: ${this.#transportError.message}` : '';
    this.#fail(
      new SessionInterruptedError(
        `the data channel closed (code ${info.code}${reason}) before channel_closed${cause}; the output may be incomplete`,
        { ...this.#context(), closeCode: info.code },
        { cause: this.#transportError },
      ),
    );
  }

  readonly #onAbort = (): void => {
    this.#fail(new SessionAbortedError(this.#context(), { cause: this.#options.signal?.reason }), true);
  };

  #timeout(code: SessionTimeoutCode, timeoutMs: number): void {
    this.#fail(new SessionTimeoutError(code, timeoutMs, this.#context()), true);
  }

  #markFirstMessage(): void {
    if (this.#sawFirstMessage) return;
    this.#sawFirstMessage = true;
    this.#clock.clearTimeout(this.#firstOutputTimer);
    this.#firstOutputTimer = undefined;
    this.#idleTimer = this.#clock.setTimeout(this.#checkIdle, this.#options.idleTimeoutMs);
  }

  // One timer for the whole session instead of one per message: it re-arms for the remainder.
  readonly #checkIdle = (): void => {
    this.#idleTimer = undefined;
    const { idleTimeoutMs } = this.#options;
    const idleFor = this.#clock.now() - this.#lastActivityAt;
    if (idleFor >= idleTimeoutMs) this.#timeout('IDLE_TIMEOUT', idleTimeoutMs);
    else this.#idleTimer = this.#clock.setTimeout(this.#checkIdle, idleTimeoutMs - idleFor);
  };

  #sendInput(payloadType: PayloadType, payload: Uint8Array): number {
    const sequenceNumber = this.#outgoing.allocate();
    const frame = encode({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: this.#clock.now(),
      sequenceNumber: BigInt(sequenceNumber),
      flags: Flags.None,
      messageId: this.#options.randomUUID(),
      payloadType,
      payload,
    });
    this.#outgoing.track(sequenceNumber, frame);
    this.#send(frame);
    this.#scheduleResend();
    return sequenceNumber;
  }

  #send(frame: Uint8Array): void {
    this.#transport?.send(frame);
  }

  #scheduleResend(): void {
    if (this.#resendTimer !== undefined) this.#clock.clearTimeout(this.#resendTimer);
    this.#resendTimer = undefined;
    const dueAt = this.#outgoing.nextResendAt();
    if (dueAt === undefined || this.#phase === 'done') return;
    // Due once now − lastSent exceeds the RTO, hence the extra millisecond.
    const delay = Math.max(1, Math.floor(dueAt - this.#clock.now()) + 1);
    this.#resendTimer = this.#clock.setTimeout(this.#onResendTimer, delay);
  }

  readonly #onResendTimer = (): void => {
    this.#resendTimer = undefined;
    const frame = this.#outgoing.takeDueResend();
    if (frame !== undefined) this.#send(frame);
    this.#scheduleResend();
  };

  /**
   * Ends the session with `error`. For timeouts and aborts (`interrupt`), first sends Ctrl-C
   * when input can reach the command, and waits up to `interruptGraceMs` for its ack (with
   * `interruptDrainMs`, up to that long for `channel_closed`, reading output meanwhile).
   */
  /** Whether output is read: while open, and while an interrupted command's last output drains. */
  #reading(): boolean {
    return this.#phase === 'open' || (this.#phase === 'interrupting' && this.#options.interruptDrainMs > 0);
  }

  #fail(error: unknown, interrupt = false): void {
    if (this.#phase === 'done' || this.#phase === 'interrupting') return;
    const inputAccepted = !this.#handshakeStarted || this.#handshakeComplete;
    if (!interrupt || this.#phase !== 'open' || this.#transport === undefined || !inputAccepted) {
      this.#finish(error);
      return;
    }
    this.#phase = 'interrupting';
    this.#pendingError = error;
    try {
      const keystroke = this.#cipher ? this.#cipher.encrypt(CTRL_C) : CTRL_C;
      this.#interruptSequenceNumber = this.#sendInput(PayloadType.Output, keystroke);
    } catch {
      this.#finish(error);
      return;
    }
    const { interruptDrainMs, interruptGraceMs } = this.#options;
    this.#graceTimer = this.#clock.setTimeout(
      () => this.#finish(error),
      interruptDrainMs > 0 ? interruptDrainMs : interruptGraceMs,
    );
  }

  #finish(error?: unknown): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.dispose();
    if (error === undefined) this.#resolve(this.#summary());
    else this.#reject(error);
  }

  #countBad(reason: BadFrameReason): void {
    this.#badFrames[reason] = (this.#badFrames[reason] ?? 0) + 1;
  }

  #context(): SessionErrorContext {
    return { sessionId: this.#options.sessionId, bytesReceived: this.#bytesReceived };
  }

  #summary(): SessionSummary {
    const counters = this.#incoming.counters;
    return {
      sessionId: this.#options.sessionId,
      bytesReceived: this.#bytesReceived,
      frames: this.#frames,
      duplicates: counters.duplicates,
      reordered: counters.reordered,
      droppedFrames: counters.dropped,
      badFrames: { ...this.#badFrames },
      acksSent: this.#acksSent,
      resends: this.#outgoing.resends,
      ignored: this.#ignored,
      encrypted: this.#cipher !== undefined,
      customerMessage: this.#customerMessage,
    };
  }
}

function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`runSession options must be an object; received ${String(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !(OPTION_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `unknown SessionOptions key(s) ${unknown.join(', ')}; accepted: ${OPTION_KEYS.join(', ')}`,
    );
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = { ...DEFAULTS, ...defined } as ResolvedOptions;
  for (const key of ['streamUrl', 'tokenValue', 'sessionId'] as const) {
    if (typeof resolved[key] !== 'string' || resolved[key] === '') {
      throw new TypeError(
        `SessionOptions.${key} must be a non-empty string; received ${JSON.stringify(resolved[key])}`,
      );
    }
  }
  for (const key of ['onOutput', 'connect', 'randomUUID'] as const) {
    if (typeof resolved[key] !== 'function') {
      throw new TypeError(`SessionOptions.${key} must be a function; received ${typeof resolved[key]}`);
    }
  }
  for (const key of [
    'connectTimeoutMs',
    'firstOutputTimeoutMs',
    'idleTimeoutMs',
    'totalTimeoutMs',
    'handshakeTimeoutMs',
    'interruptGraceMs',
    'interruptDrainMs',
  ] as const) {
    const value = resolved[key];
    const min = key === 'interruptGraceMs' || key === 'interruptDrainMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
      throw new RangeError(
        `SessionOptions.${key} must be an integer number of milliseconds from ${min} to ${MAX_TIMER_MS}; received ${String(value)}`,
      );
    }
  }
  const { cols, rows } = resolved.terminalSize ?? {};
  if (!isDimension(cols) || !isDimension(rows)) {
    throw new RangeError(
      `SessionOptions.terminalSize must be { cols, rows } with integers from 1 to 65535; received ${JSON.stringify(resolved.terminalSize)}`,
    );
  }
  const { maxReorderFrames } = resolved;
  if (!Number.isInteger(maxReorderFrames) || maxReorderFrames < 1) {
    throw new RangeError(
      `SessionOptions.maxReorderFrames must be an integer >= 1; received ${String(maxReorderFrames)}`,
    );
  }
  const { clock } = resolved;
  if (
    typeof clock?.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw new TypeError('SessionOptions.clock must have now(), setTimeout() and clearTimeout()');
  }
  return resolved;
}

function isDimension(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}
