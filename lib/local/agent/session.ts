/**
 * One ECS Exec session as the local agent plays it: MGS's side of the socket and the SSM
 * agent's data channel (token check, optional KMS handshake, output frames with resends, client
 * input with acks, `channel_closed`), plus the command it runs.
 *
 * Size: the agent's side of one session is one ordered script over one socket, its timers and
 * its fault dice; the codec, crypto, handshake and command backends are already elsewhere.
 *
 * @see docs/protocol.md §2–§9, §11
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { acknowledgeFor, decode, digestOf, encode, parseAcknowledge } from '../../session/codec.ts';
import {
  type ChannelClosedContent,
  type ClientMessage,
  Flags,
  MessageType,
  OFFSETS,
  PAYLOAD_OFFSET,
  PayloadType,
} from '../../session/message.ts';
import type { LocalKmsDecrypter } from '../kms/keyring.ts';
import type { BackendExit, BackendSink, CommandBackend } from './backend.ts';
import { planCommand, START_FAILURE_PREFIX } from './command.ts';
import { NonceCounter, open, seal } from './crypto.ts';
import { FaultDice, type ResolvedFaults } from './faults.ts';
import { startGeneratedBackend } from './generated-backend.ts';
import {
  AgentHandshake,
  CHALLENGE_TIMEOUT_TEXT,
  HANDSHAKE_FAILURE_PREFIX,
  HANDSHAKE_TIMEOUT_TEXT,
  type SessionKeys,
} from './handshake.ts';
import { OutgoingBuffer } from './outgoing.ts';
import { spawnPtyBackend } from './pty-backend.ts';
import { copyStats, type LocalSessionStats, type StatsRecorder } from './stats.ts';
import { sleep, TimerSet, yieldToLoop } from './timers.ts';
import { Utf8Framer } from './utf8-framer.ts';

/** Largest output payload, as the agent reads the PTY (`StreamDataPayloadSize`). */
export const OUTPUT_FRAME_BYTES = 1024;

/** How a session ended. */
export type SessionEndReason =
  /** The command ended and `channel_closed` went out (Output ""). */
  | 'completed'
  /** The command could not start; `channel_closed` carried the agent's text. */
  | 'start-failed'
  /** The KMS handshake failed; `channel_closed` carried the agent's text. */
  | 'handshake-failed'
  /** The client closed its socket first; the command was killed. */
  | 'client-closed'
  /** No client presented the token within `connectTimeoutMs`. */
  | 'client-never-connected'
  /** The `abruptCloseAfterFrames` fault cut the socket. */
  | 'abrupt-close-fault'
  /** `close()` of the agent ended the session. */
  | 'agent-closed';

/** The record a session leaves behind. */
export interface LocalSessionOutcome {
  readonly sessionId: string;
  readonly reason: SessionEndReason;
  /** The `channel_closed` Output, when one was sent. */
  readonly output: string | undefined;
  /** How the command ended (by itself, or killed when the session ended first); unset when it never ran. */
  readonly exit: BackendExit | undefined;
  /** An unexpected internal failure that ended the session, if any (a bug in the emulator). */
  readonly internalError: string | undefined;
  readonly stats: LocalSessionStats;
}

/** What a session tells its agent. */
export interface SessionHooks {
  /** A client presented the right token. */
  connected(): void;
  /** A socket was refused (wrong token, bad first frame, second client). */
  rejected(): void;
  /** The session ended (called once, before its command is gone). */
  ended(session: AgentSession, reason: SessionEndReason): void;
}

/** Everything a session needs, resolved and validated by the agent. */
export interface SessionConfig {
  readonly sessionId: string;
  readonly tokenValue: string;
  readonly targetId: string;
  readonly command: string;
  readonly generateBytes: number | undefined;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly argvPrefix: readonly string[];
  readonly kms:
    | { readonly keyId: string; readonly targetId: string; readonly decrypter: LocalKmsDecrypter }
    | undefined;
  readonly faults: ResolvedFaults;
  readonly agentVersion: string;
  readonly requireKmsChallengeResponse: boolean;
  readonly initialWaitMs: number;
  readonly paceMs: number;
  readonly connectTimeoutMs: number;
  readonly openTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly startFailureDelayMs: number;
  readonly closeDrainMs: number;
  readonly killGraceMs: number;
}

type State = 'awaiting-client' | 'handshake' | 'running' | 'finishing' | 'lingering' | 'ended';

const RESEND_TICK_MS = 100;
const INCOMING_CAPACITY = 100_000;
const PTY_HIGH_WATER_BYTES = 1024 * 1024;
const PTY_LOW_WATER_BYTES = 256 * 1024;
const WS_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const FRAMES_PER_YIELD = 16;
const CLOSE_POLICY = 1008;
const textEncoder = new TextEncoder();

/** One session; the agent creates it, routes sockets to it and forgets it when it ends. */
export class AgentSession {
  readonly config: SessionConfig;
  /** Resolves once the session has ended and its command is gone. */
  readonly ended: Promise<LocalSessionOutcome>;

  readonly #stats: StatsRecorder;
  readonly #hooks: SessionHooks;
  readonly #timers = new TimerSet();
  readonly #abort = new AbortController();
  readonly #outgoing = new OutgoingBuffer();
  readonly #incoming = new Map<bigint, ClientMessage>();
  readonly #framer = new Utf8Framer();
  readonly #dice: FaultDice;
  readonly #pending = new Set<WebSocket>();
  readonly #pendingTransports = new WeakMap<WebSocket, Socket>();
  #resolveEnded!: (outcome: LocalSessionOutcome) => void;
  #state: State = 'awaiting-client';
  #socket: WebSocket | undefined;
  #corked = false;
  #transport: Socket | undefined;
  #nextSequence = 0n;
  #expectedInput = 0n;
  #backend: CommandBackend | undefined;
  #backendPaused = false;
  #outputEnded = false;
  #exit: BackendExit | undefined;
  #wakePump: (() => void) | undefined;
  #onDrained: (() => void) | undefined;
  #handshake: AgentHandshake | undefined;
  #handshakeStartedAt = 0n;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #handshakeComplete = false;
  #keys: SessionKeys | undefined;
  #nonces: NonceCounter | undefined;
  #heldFrame: Uint8Array | undefined;
  #acksToIgnore: number;
  #commandFrames = 0;
  #pausedUntil = 0;
  #pauseDone = false;

  constructor(config: SessionConfig, stats: StatsRecorder, hooks: SessionHooks) {
    this.config = config;
    this.#stats = stats;
    this.#hooks = hooks;
    this.#dice = new FaultDice(config.faults);
    this.#acksToIgnore = config.faults.ignoreAcks;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.#timers.after(config.connectTimeoutMs, () => this.#end('client-never-connected'));
  }

  /** Whether a new socket may try to open this session. */
  get acceptsClients(): boolean {
    return this.#state === 'awaiting-client';
  }

  /** A snapshot of the session's counters. */
  stats(): LocalSessionStats {
    return copyStats(this.#stats.session);
  }

  /**
   * Takes a freshly upgraded socket; it must send the OpenDataChannel text frame first.
   * `transport` (the TCP socket under it) lets the pump batch frames into fewer writes.
   */
  attach(socket: WebSocket, transport?: Socket): void {
    this.#pending.add(socket);
    const transports = this.#pendingTransports;
    if (transport) transports.set(socket, transport);
    const openTimer = this.#timers.after(this.config.openTimeoutMs, () =>
      this.#reject(socket, 'no OpenDataChannel message received in time'),
    );
    socket.on('error', () => {
      // A broken client socket only ends this connection; 'close' follows.
    });
    socket.on('close', () => {
      this.#timers.cancel(openTimer);
      this.#pending.delete(socket);
      if (socket === this.#socket) this.#end('client-closed');
    });
    socket.on('message', (data, isBinary) => {
      const bytes = toBuffer(data);
      if (socket === this.#socket) {
        if (isBinary) this.#onFrame(bytes);
        else this.#stats.add('badFrames');
        return;
      }
      if (!this.#pending.has(socket)) return;
      this.#timers.cancel(openTimer);
      this.#pending.delete(socket);
      const problem = isBinary
        ? 'the first message must be the OpenDataChannel text frame'
        : this.#checkOpen(bytes);
      if (problem !== undefined) {
        this.#reject(socket, problem);
        return;
      }
      if (this.#state !== 'awaiting-client') {
        this.#reject(socket, 'the session already has a client');
        return;
      }
      this.#accept(socket);
    });
  }

  /** Ends the session now (agent shutdown); resolves once its command is gone. */
  shutdown(): Promise<LocalSessionOutcome> {
    this.#end('agent-closed');
    return this.ended;
  }

  // --- opening ---------------------------------------------------------------------------

  #checkOpen(bytes: Buffer): string | undefined {
    let open: unknown;
    try {
      open = JSON.parse(bytes.toString('utf8'));
    } catch {
      return 'the OpenDataChannel message is not JSON';
    }
    const token = (open as { TokenValue?: unknown } | null)?.TokenValue;
    if (typeof token !== 'string') return 'the OpenDataChannel message has no TokenValue';
    if (!timingSafeEqualText(token, this.config.tokenValue))
      return 'the TokenValue does not match the session';
    return undefined;
  }

  #reject(socket: WebSocket, reason: string): void {
    this.#pending.delete(socket);
    this.#hooks.rejected();
    socket.close(CLOSE_POLICY, reason);
  }

  #accept(socket: WebSocket): void {
    this.#socket = socket;
    this.#transport = this.#pendingTransports.get(socket);
    this.#hooks.connected();
    for (const other of this.#pending) this.#reject(other, 'the session already has a client');
    this.#timers.clear();
    this.#timers.every(RESEND_TICK_MS, () => this.#tick());
    if (this.config.kms) this.#startHandshake(this.config.kms);
    else this.#startCommand();
  }

  // --- handshake -------------------------------------------------------------------------

  #startHandshake(kms: NonNullable<SessionConfig['kms']>): void {
    this.#state = 'handshake';
    this.#handshake = new AgentHandshake({
      agentVersion: this.config.agentVersion,
      sessionId: this.config.sessionId,
      targetId: kms.targetId,
      kmsKeyId: kms.keyId,
      kms: kms.decrypter,
      requireChallengeResponse: this.config.requireKmsChallengeResponse,
    });
    this.#handshakeStartedAt = process.hrtime.bigint();
    this.#sendStream(PayloadType.HandshakeRequest, this.#handshake.requestPayload());
    this.#handshakeTimer = this.#timers.after(this.config.handshakeTimeoutMs, () =>
      this.#failHandshake(HANDSHAKE_TIMEOUT_TEXT),
    );
  }

  #onHandshakeResponse(payload: Uint8Array): void {
    const handshake = this.#handshake;
    // Late or repeated responses are acked and ignored (the real agent would block on them).
    if (this.#state !== 'handshake' || !handshake || handshake.awaitingChallenge) return;
    this.#timers.cancel(this.#handshakeTimer);
    const result = handshake.handleResponse(payload);
    if (!result.ok) {
      this.#failHandshake(result.error);
      return;
    }
    this.#keys = result.keys;
    this.#nonces = new NonceCounter();
    this.#sendStream(PayloadType.EncChallengeRequest, result.challengeRequest);
    this.#handshakeTimer = this.#timers.after(this.config.handshakeTimeoutMs, () =>
      this.#failHandshake(CHALLENGE_TIMEOUT_TEXT),
    );
  }

  #onChallengeResponse(payload: Uint8Array): void {
    const handshake = this.#handshake;
    if (this.#state !== 'handshake' || !handshake?.awaitingChallenge) return;
    // A wrong answer is not confirmed; the agent then fails at the challenge timeout.
    if (!handshake.verifyChallengeResponse(payload)) return;
    this.#timers.cancel(this.#handshakeTimer);
    const elapsed = process.hrtime.bigint() - this.#handshakeStartedAt;
    this.#sendStream(PayloadType.HandshakeComplete, handshake.completePayload(elapsed));
    this.#handshakeComplete = true;
    this.#startCommand();
  }

  #failHandshake(detail: string): void {
    if (this.#state !== 'handshake') return;
    this.#timers.cancel(this.#handshakeTimer);
    this.#finish(`${HANDSHAKE_FAILURE_PREFIX}${detail}`, 'handshake-failed');
  }

  // --- command and output ----------------------------------------------------------------

  #startCommand(): void {
    this.#state = 'running';
    const sink: BackendSink = {
      data: (bytes) => {
        this.#framer.push(bytes);
        if (!this.#backendPaused && this.#framer.length > PTY_HIGH_WATER_BYTES) {
          this.#backendPaused = true;
          this.#backend?.pause();
        }
        this.#wake();
      },
      end: (exit) => {
        this.#outputEnded = true;
        this.#exit = exit;
        this.#wake();
      },
    };
    if (this.config.generateBytes !== undefined) {
      this.#backend = startGeneratedBackend(this.config.generateBytes, sink);
    } else {
      const plan = planCommand(
        this.config.command,
        this.config.argvPrefix,
        this.config.env,
        this.config.workdir,
      );
      if (!plan.ok) {
        this.#failStart(plan.output, plan.delayed);
        return;
      }
      try {
        this.#backend = spawnPtyBackend(
          {
            file: plan.file,
            args: plan.args,
            cwd: this.config.workdir,
            env: this.config.env,
            killGraceMs: this.config.killGraceMs,
          },
          sink,
        );
      } catch (error) {
        this.#failStart(`${START_FAILURE_PREFIX}${(error as Error).message}`, true);
        return;
      }
    }
    this.#pump().catch((error: unknown) => {
      // A bug here must not take the agent down; the session ends as if the client vanished.
      this.#end('client-closed', error);
    });
  }

  #failStart(output: string, delayed: boolean): void {
    this.#state = 'finishing';
    const report = async (): Promise<void> => {
      if (delayed && !(await sleep(this.config.startFailureDelayMs, this.#abort.signal))) return;
      await this.#closeChannel(output, 'start-failed');
    };
    report().catch((error: unknown) => this.#end('client-closed', error));
  }

  /** The agent's writePump: initial wait, then frames of at most 1 KiB, paced. */
  async #pump(): Promise<void> {
    const signal = this.#abort.signal;
    const { initialWaitMs, paceMs } = this.config;
    const slowStartMs = this.config.faults.slowStartMs;
    if (slowStartMs > 0) this.#stats.fault('slowStartMs');
    if (initialWaitMs + slowStartMs > 0 && !(await sleep(initialWaitMs + slowStartMs, signal))) return;
    let framesSinceYield = 0;
    // Pacing runs off a schedule rather than a fixed sleep per frame: timers overshoot by a
    // millisecond or so, which would halve the rate at paceMs 1. Idle time is not made up.
    let nextFrameAt = performance.now();
    // Unpaced, frames between two yields leave in one write (a syscall per frame otherwise
    // dominates the cost); the socket is uncorked before every wait.
    let corked = false;
    const uncork = (): void => {
      if (!corked) return;
      corked = false;
      this.#transport?.uncork();
    };
    try {
      for (;;) {
        if (signal.aborted) return;
        const pauseLeft = this.#pausedUntil - Date.now();
        if (pauseLeft > 0) {
          uncork();
          if (!(await sleep(pauseLeft, signal))) return;
          nextFrameAt = performance.now();
          continue;
        }
        if (this.#framer.length < OUTPUT_FRAME_BYTES && !this.#outputEnded) this.#backend?.demand();
        const frame = this.#framer.take(OUTPUT_FRAME_BYTES, this.#outputEnded);
        if (!frame) {
          if (this.#outputEnded) break;
          uncork();
          await new Promise<void>((resolve) => {
            this.#wakePump = resolve;
          });
          nextFrameAt = Math.max(nextFrameAt, performance.now());
          continue;
        }
        if (paceMs === 0 && !corked && this.#transport) {
          this.#transport.cork();
          corked = true;
        }
        this.#sendOutput(frame);
        if (this.#state !== 'running') return;
        if (this.#backendPaused && this.#framer.length < PTY_LOW_WATER_BYTES) {
          this.#backendPaused = false;
          this.#backend?.resume();
        }
        if (paceMs > 0) {
          nextFrameAt += paceMs;
          const wait = nextFrameAt - performance.now();
          if (wait >= 1) {
            if (!(await sleep(wait, signal))) return;
          } else if (!(await yieldToLoop(signal))) return;
        } else if (++framesSinceYield >= FRAMES_PER_YIELD) {
          framesSinceYield = 0;
          uncork();
          if (!(await yieldToLoop(signal))) return;
        }
        while ((this.#socket?.bufferedAmount ?? 0) > WS_HIGH_WATER_BYTES) {
          uncork();
          if (!(await sleep(1, signal))) return;
        }
      }
    } finally {
      uncork();
    }
    await this.#closeChannel('', 'completed');
  }

  #wake(): void {
    const wake = this.#wakePump;
    this.#wakePump = undefined;
    wake?.();
  }

  #sendOutput(bytes: Buffer): void {
    this.#stats.add('outputBytes', bytes.length);
    this.#sendStream(PayloadType.Output, bytes);
    this.#commandFrames++;
    const faults = this.config.faults;
    if (faults.abruptCloseAfterFrames !== undefined && this.#commandFrames >= faults.abruptCloseAfterFrames) {
      this.#stats.fault('abruptCloseAfterFrames');
      this.#end('abrupt-close-fault');
      return;
    }
    const pause = faults.pausePublication;
    if (pause && !this.#pauseDone && this.#commandFrames >= pause.afterFrames) {
      this.#pauseDone = true;
      this.#pausedUntil = Date.now() + pause.forMs;
      this.#stats.fault('pausePublication');
    }
  }

  /** Builds, keeps and sends one `output_stream_data` message. */
  #sendStream(payloadType: number, plaintext: Uint8Array): void {
    const encrypted =
      payloadType === PayloadType.Output && this.#keys !== undefined && this.#nonces !== undefined;
    const payload = encrypted
      ? seal((this.#keys as SessionKeys).encrypt, (this.#nonces as NonceCounter).next(), plaintext)
      : plaintext;
    const sequenceNumber = this.#nextSequence++;
    const now = Date.now();
    const frame = encode({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: now,
      sequenceNumber,
      flags: sequenceNumber === 0n ? Flags.Syn : Flags.None,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    this.#stats.add('outputMessages');
    const entry = this.#outgoing.add(sequenceNumber, frame, now);
    this.#firstSend(frame, entry !== undefined);
  }

  /** The first transmission, where the rate faults apply (resends are always clean). */
  #firstSend(frame: Uint8Array, kept: boolean): void {
    // A frame that is not kept is never re-sent, so faults that rely on the resend skip it.
    if (kept && this.#dice.hits('withholdFirstSend')) {
      this.#stats.fault('withholdFirstSend');
      return;
    }
    let bytes = frame;
    if (kept && this.#dice.hits('corruptDigest')) {
      this.#stats.fault('corruptDigest');
      bytes = Buffer.from(frame);
      bytes[OFFSETS.payloadDigest] = (bytes[OFFSETS.payloadDigest] as number) ^ 0xff;
    }
    if (this.#heldFrame === undefined && this.#dice.hits('reorder')) {
      this.#stats.fault('reorder');
      this.#heldFrame = bytes;
      return;
    }
    this.#writeStreamFrame(bytes);
    if (this.#dice.hits('duplicate')) {
      this.#stats.fault('duplicate');
      this.#writeStreamFrame(bytes);
    }
    this.#flushHeld();
  }

  #flushHeld(): void {
    const held = this.#heldFrame;
    this.#heldFrame = undefined;
    if (held) this.#writeStreamFrame(held);
  }

  #writeStreamFrame(frame: Uint8Array): void {
    if (this.#write(frame)) this.#stats.add('framesSent');
  }

  #write(frame: Uint8Array): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN) return false;
    this.#corkUntilNextTick();
    socket.send(frame, { binary: true });
    return true;
  }

  /**
   * Frames sent in one synchronous run (a burst of the pump, a resend and an ack) leave in one
   * write: without it every 1 KiB frame costs a syscall, and the agent, not the client under
   * test, limits throughput. The cork is lifted before any awaited continuation runs.
   */
  #corkUntilNextTick(): void {
    const transport = this.#transport;
    if (!transport || this.#corked) return;
    this.#corked = true;
    transport.cork();
    process.nextTick(() => {
      this.#corked = false;
      transport.uncork();
    });
  }

  /** The 100 ms scheduler: releases a held frame, then re-sends the oldest overdue one. */
  #tick(): void {
    this.#flushHeld();
    const now = Date.now();
    if (now < this.#pausedUntil) return;
    const due = this.#outgoing.due(now);
    if (!due) return;
    due.lastSentAt = now;
    if (this.#write(due.frame)) {
      this.#stats.add('framesSent');
      this.#stats.add('resends');
    }
  }

  // --- ending ----------------------------------------------------------------------------

  /** Waits (bounded) for the outgoing buffer to drain, then sends `channel_closed`. */
  async #closeChannel(output: string, reason: SessionEndReason): Promise<void> {
    if (this.#state === 'ended' || this.#state === 'lingering') return;
    this.#state = 'finishing';
    if (!(await this.#drained(this.config.closeDrainMs))) return;
    if (this.config.faults.noChannelClosed) {
      this.#stats.fault('noChannelClosed');
      this.#state = 'lingering';
      return;
    }
    this.#sendChannelClosed(output);
    this.#end(reason, undefined, output);
  }

  #finish(output: string, reason: SessionEndReason): void {
    this.#closeChannel(output, reason).catch((error: unknown) => this.#end('client-closed', error));
  }

  /** Resolves `true` once nothing is unacknowledged or `ms` passed; `false` if the session ended. */
  #drained(ms: number): Promise<boolean> {
    if (this.#outgoing.size === 0) return Promise.resolve(this.#state !== 'ended');
    return new Promise((resolve) => {
      const timer = this.#timers.after(ms, () => {
        this.#onDrained = undefined;
        resolve(this.#state !== 'ended');
      });
      this.#onDrained = () => {
        this.#timers.cancel(timer);
        resolve(this.#state !== 'ended');
      };
      this.#abort.signal.addEventListener('abort', () => resolve(false), { once: true });
    });
  }

  #sendChannelClosed(output: string): void {
    const messageId = randomUUID();
    const createdDate = Date.now();
    const content: ChannelClosedContent = {
      MessageId: messageId,
      CreatedDate: String(createdDate),
      DestinationId: this.config.targetId,
      SessionId: this.config.sessionId,
      MessageType: MessageType.ChannelClosed,
      SchemaVersion: 1,
      Output: output,
    };
    this.#write(
      encode({
        messageType: MessageType.ChannelClosed,
        schemaVersion: 1,
        createdDate,
        sequenceNumber: 0n,
        flags: Flags.None,
        messageId,
        payloadType: PayloadType.None,
        payload: textEncoder.encode(JSON.stringify(content)),
      }),
    );
  }

  #end(reason: SessionEndReason, cause?: unknown, output?: string): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#abort.abort();
    this.#timers.clear();
    this.#outgoing.clear();
    this.#incoming.clear();
    this.#wake();
    this.#onDrained?.();
    const transport = this.#transport;
    // Frames the pump batched must still leave before the socket goes, abrupt close included.
    while (transport && transport.writableCorked > 0) transport.uncork();
    const socket = this.#socket;
    if (socket) {
      if (reason === 'abrupt-close-fault' || reason === 'agent-closed') socket.terminate();
      else if (socket.readyState === socket.OPEN) socket.close(1000);
    }
    for (const pending of this.#pending) pending.terminate();
    this.#pending.clear();
    const backend = this.#backend;
    const killed = backend ? backend.kill().catch(() => undefined) : Promise.resolve();
    this.#hooks.ended(this, reason);
    void killed.then(() => {
      this.#resolveEnded({
        sessionId: this.config.sessionId,
        reason,
        output,
        exit: this.#exit,
        internalError: cause === undefined ? undefined : String((cause as Error)?.stack ?? cause),
        stats: this.stats(),
      });
    });
  }

  // --- input -----------------------------------------------------------------------------

  #onFrame(bytes: Buffer): void {
    let result = decode(bytes);
    if (!result.ok && result.reason === 'bad_digest') {
      // The agent never checks the digest; count it so tests can still catch a bad client.
      this.#stats.add('badDigests');
      const fixed = Buffer.from(bytes);
      fixed.set(digestOf(fixed.subarray(PAYLOAD_OFFSET)), OFFSETS.payloadDigest);
      result = decode(fixed);
    }
    if (!result.ok) {
      this.#stats.add('badFrames');
      return;
    }
    const message = result.message;
    if (message.messageType === MessageType.Acknowledge) this.#onAck(message);
    else if (message.messageType === MessageType.InputStreamData) this.#onInput(message);
    // Anything else (channel_closed, publication, unknown types) is ignored, as the agent does.
  }

  #onAck(message: ClientMessage): void {
    const content = parseAcknowledge(message.payload);
    if (!content) {
      this.#stats.add('badFrames');
      return;
    }
    this.#stats.add('acksReceived');
    if (this.#acksToIgnore > 0) {
      this.#acksToIgnore--;
      this.#stats.add('acksIgnored');
      this.#stats.fault('ignoreAcks');
      return;
    }
    if (!this.#outgoing.acknowledge(BigInt(content.AcknowledgedMessageSequenceNumber), Date.now())) {
      this.#stats.add('acksUnmatched');
      return;
    }
    if (this.#outgoing.size === 0) {
      const drained = this.#onDrained;
      this.#onDrained = undefined;
      drained?.();
    }
  }

  /** The agent column of protocol.md §5.3. */
  #onInput(message: ClientMessage): void {
    const sequence = message.sequenceNumber;
    if (sequence === this.#expectedInput) {
      if (this.#apply(message) !== 'ok') return;
      this.#sendAck(message);
      this.#expectedInput++;
      for (;;) {
        const next = this.#incoming.get(this.#expectedInput);
        if (!next || this.#apply(next) !== 'ok') break;
        this.#incoming.delete(this.#expectedInput);
        this.#expectedInput++;
      }
    } else if (sequence > this.#expectedInput) {
      if (this.#incoming.size >= INCOMING_CAPACITY) return;
      this.#stats.add('earlyInputs');
      this.#incoming.set(sequence, message);
      this.#sendAck(message);
    } else {
      this.#stats.add('duplicateInputs');
      this.#sendAck(message);
    }
  }

  #apply(message: ClientMessage): 'ok' | 'not-ready' | 'error' {
    const { payloadType } = message;
    if (payloadType === PayloadType.HandshakeResponse) {
      this.#stats.add('inputMessages');
      this.#onHandshakeResponse(message.payload);
      return 'ok';
    }
    if (payloadType === PayloadType.EncChallengeResponse) {
      this.#stats.add('inputMessages');
      this.#onChallengeResponse(message.payload);
      return 'ok';
    }
    if (this.config.kms && !this.#handshakeComplete) {
      this.#stats.add('discardedInputs');
      return 'ok';
    }
    const backend = this.#backend;
    if (!backend) return 'not-ready';
    if (payloadType === PayloadType.Output) {
      let bytes = message.payload;
      if (this.#keys) {
        try {
          bytes = open(this.#keys.decrypt, bytes);
        } catch {
          this.#stats.add('decryptFailures');
          return 'error';
        }
      }
      this.#stats.add('inputMessages');
      this.#stats.add('inputBytes', bytes.length);
      backend.write(bytes);
      return 'ok';
    }
    this.#stats.add('inputMessages');
    if (payloadType === PayloadType.Size) {
      const size = parseSize(message.payload);
      // A malformed size is acked and ignored rather than re-sent forever by the client.
      if (size) backend.resize(size.cols, size.rows);
    }
    return 'ok';
  }

  #sendAck(message: ClientMessage): void {
    const frame = encode(acknowledgeFor(message, randomUUID(), Date.now()));
    const delay = this.config.faults.ackDelayMs;
    if (delay > 0) {
      this.#stats.fault('ackDelayMs');
      this.#timers.after(delay, () => {
        if (this.#write(frame)) this.#stats.add('acksSent');
      });
      return;
    }
    if (this.#write(frame)) this.#stats.add('acksSent');
  }
}

function parseSize(payload: Uint8Array): { cols: number; rows: number } | undefined {
  try {
    const { cols, rows } = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      cols?: unknown;
      rows?: unknown;
    };
    const valid = (n: unknown): n is number =>
      typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
    return valid(cols) && valid(rows) ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

function timingSafeEqualText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
