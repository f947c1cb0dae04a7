/**
 * The transport a session runs over: send, receive events, close.
 *
 * The session depends on this interface only; `ws-transport.ts` adapts a real WebSocket to it
 * and `internal/memory-transport.ts` is an in-process pair for tests.
 */

/** Why a transport closed. */
export interface TransportCloseInfo {
  /** WebSocket close code (1000 normal, 1006 abnormal, …). */
  readonly code: number;
  readonly reason: string;
}

/** Receivers of a transport's events. */
export interface TransportHandlers {
  /** One WebSocket message: binary as bytes, text as a string. */
  readonly onMessage: (data: Uint8Array | string) => void;
  /** The transport failed; `onClose` follows. */
  readonly onError: (error: Error) => void;
  /** The transport closed, from either side; called once, last. */
  readonly onClose: (info: TransportCloseInfo) => void;
}

/** A message-oriented, ordered, bidirectional channel (a WebSocket). */
export interface Transport {
  /** Sends one message: bytes as a binary frame, a string as a text frame. Ignored once closed. */
  send(data: Uint8Array | string): void;
  /**
   * Installs the event receivers. Events that arrived before are held and delivered on this
   * call, so nothing is lost between opening and listening.
   */
  listen(handlers: TransportHandlers): void;
  /** Closes the channel; `onClose` follows. Safe to call more than once. */
  close(code?: number, reason?: string): void;
}

/** Options a connector receives. */
export interface ConnectOptions {
  /** Aborts the connection attempt. */
  readonly signal?: AbortSignal;
  /** Bound on opening the connection. */
  readonly timeoutMs?: number;
}

/** Opens a transport to `url`. */
export type Connect = (url: string, options: ConnectOptions) => Promise<Transport>;
