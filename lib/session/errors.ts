/**
 * Errors of the data-channel client.
 *
 * One base class, {@link SessionError}, with a stable `code` from {@link SessionErrorCode} and the
 * session context (`sessionId`, `bytesReceived`) as fields. Each subclass sets `name` to a
 * literal because minifiers rename classes. Bytes already handed to `onOutput` before the error
 * stay delivered; `bytesReceived` says how many there were.
 */

/**
 * Every code a {@link SessionError} can carry.
 *
 * - `CONNECT_TIMEOUT`: the WebSocket did not open within `connectTimeoutMs`.
 * - `CONNECT_FAILED`: the WebSocket could not be opened (refused, HTTP error on upgrade, DNS).
 * - `FIRST_OUTPUT_TIMEOUT`: nothing arrived from the agent within `firstOutputTimeoutMs` of opening.
 * - `IDLE_TIMEOUT`: nothing arrived for `idleTimeoutMs` after the first message.
 * - `TOTAL_TIMEOUT`: the session ran longer than `totalTimeoutMs`.
 * - `ABORTED`: the caller's `AbortSignal` fired.
 * - `INTERRUPTED`: the socket closed or failed before `channel_closed`, or `channel_closed` came
 *   while output was still missing: the output may be incomplete.
 * - `AGENT_ERROR`: `channel_closed` carried a non-empty `Output` (the agent's own error text).
 * - `HANDSHAKE_FAILED`: the handshake or the encryption set-up failed (KMS call, bad handshake
 *   payload, challenge, or an output frame that does not decrypt).
 */
export type SessionErrorCode =
  | 'CONNECT_TIMEOUT'
  | 'CONNECT_FAILED'
  | 'FIRST_OUTPUT_TIMEOUT'
  | 'IDLE_TIMEOUT'
  | 'TOTAL_TIMEOUT'
  | 'ABORTED'
  | 'INTERRUPTED'
  | 'AGENT_ERROR'
  | 'HANDSHAKE_FAILED';

/** The codes of {@link SessionTimeoutError}. */
export type SessionTimeoutCode = Extract<
  SessionErrorCode,
  'CONNECT_TIMEOUT' | 'FIRST_OUTPUT_TIMEOUT' | 'IDLE_TIMEOUT' | 'TOTAL_TIMEOUT'
>;

/** Context every session error carries. */
export interface SessionErrorContext {
  readonly sessionId: string;
  /** Plaintext output bytes delivered through `onOutput` before the error. */
  readonly bytesReceived: number;
}

/** Base class of every error `runSession` rejects with (except errors thrown by `onOutput`). */
export class SessionError extends Error {
  override readonly name: string = 'SessionError';
  readonly code: SessionErrorCode;
  readonly sessionId: string;
  readonly bytesReceived: number;

  constructor(code: SessionErrorCode, message: string, context: SessionErrorContext, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.sessionId = context.sessionId;
    this.bytesReceived = context.bytesReceived;
  }
}

/** A bounded wait ran out; the remote command was sent a best-effort Ctrl-C first. */
export class SessionTimeoutError extends SessionError {
  override readonly name = 'SessionTimeoutError';
  declare readonly code: SessionTimeoutCode;
  /** The limit that ran out, in milliseconds. */
  readonly timeoutMs: number;

  constructor(code: SessionTimeoutCode, timeoutMs: number, context: SessionErrorContext) {
    super(code, `${describeTimeout(code)} within ${timeoutMs} ms (session ${context.sessionId})`, context);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's signal aborted the session; the remote command was sent a best-effort Ctrl-C. */
export class SessionAbortedError extends SessionError {
  override readonly name = 'SessionAbortedError';
  declare readonly code: 'ABORTED';

  constructor(context: SessionErrorContext, options?: ErrorOptions) {
    super('ABORTED', `session ${context.sessionId} was aborted`, context, options);
  }
}

/** The WebSocket could not be opened. */
export class SessionConnectError extends SessionError {
  override readonly name = 'SessionConnectError';
  declare readonly code: 'CONNECT_FAILED';

  constructor(message: string, context: SessionErrorContext, options?: ErrorOptions) {
    super('CONNECT_FAILED', message, context, options);
  }
}

/** The session was cut before `channel_closed`, or ended with output missing. Never a success. */
export class SessionInterruptedError extends SessionError {
  override readonly name = 'SessionInterruptedError';
  declare readonly code: 'INTERRUPTED';
  /** WebSocket close code, when the socket closed. */
  readonly closeCode: number | undefined;

  constructor(
    message: string,
    context: SessionErrorContext & { readonly closeCode?: number },
    options?: ErrorOptions,
  ) {
    super('INTERRUPTED', message, context, options);
    this.closeCode = context.closeCode;
  }
}

/**
 * `channel_closed` carried a non-empty `Output`: the agent's error text, e.g.
 * "Unable to start command: Failed to start pty: …".
 *
 * @see docs/protocol.md §8.2
 */
export class AgentError extends SessionError {
  override readonly name = 'AgentError';
  declare readonly code: 'AGENT_ERROR';
  /** The `Output` of `channel_closed`, verbatim. */
  readonly agentOutput: string;
  /** The message type that carried it. */
  readonly messageType = 'channel_closed';

  constructor(agentOutput: string, context: SessionErrorContext) {
    super('AGENT_ERROR', `the agent closed session ${context.sessionId}: ${agentOutput}`, context);
    this.agentOutput = agentOutput;
  }
}

/** The handshake or the encryption set-up failed. */
export class HandshakeError extends SessionError {
  override readonly name = 'HandshakeError';
  declare readonly code: 'HANDSHAKE_FAILED';

  constructor(message: string, context: SessionErrorContext, options?: ErrorOptions) {
    super('HANDSHAKE_FAILED', message, context, options);
  }
}

function describeTimeout(code: SessionTimeoutCode): string {
  switch (code) {
    case 'CONNECT_TIMEOUT':
      return 'the WebSocket did not open';
    case 'FIRST_OUTPUT_TIMEOUT':
      return 'no message arrived from the agent';
    case 'IDLE_TIMEOUT':
      return 'the session was idle: no further message arrived';
    case 'TOTAL_TIMEOUT':
      return 'the session did not end';
  }
}
