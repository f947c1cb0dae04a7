/**
 * The WebSocket adapter of {@link Transport}: the only module of `lib/session` that imports `ws`.
 *
 * @see docs/protocol.md §2.1, §2.3
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ConnectOptions, Transport, TransportCloseInfo, TransportHandlers } from './transport.ts';

/** Options of {@link connectWebSocket}. */
export interface WebSocketConnectOptions extends ConnectOptions {
  /**
   * Interval between keepalive pings. `ws` answers the server's pings by itself; missing pongs
   * are not acted on (the official plugin does not check them either), the session's idle
   * timeout covers a dead link.
   * @default 30_000
   */
  readonly pingIntervalMs?: number;
  /**
   * Largest WebSocket message accepted.
   * @default 16 MiB + 120 bytes (the codec's largest frame)
   */
  readonly maxMessageBytes?: number;
}

const DEFAULTS = {
  timeoutMs: 15_000,
  pingIntervalMs: 30_000,
  maxMessageBytes: 16 * 1024 * 1024 + 120,
} as const;

const PING_PAYLOAD = 'keepalive';
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/**
 * Opens a WebSocket to `url` exactly as the official plugin does: no extra headers, no
 * subprotocol, no permessage-deflate, the URL used verbatim.
 *
 * Rejects when the upgrade fails, when `timeoutMs` passes, or when `signal` aborts.
 *
 * @example
 * const transport = await connectWebSocket(session.streamUrl, { timeoutMs: 10_000 });
 */
export function connectWebSocket(url: string, options: WebSocketConnectOptions = {}): Promise<Transport> {
  const { signal, timeoutMs, pingIntervalMs, maxMessageBytes } = {
    ...DEFAULTS,
    ...withoutUndefined(options),
  };
  return new Promise<Transport>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      maxPayload: maxMessageBytes,
      followRedirects: false,
    });
    // Installed before 'open' so no message can slip through between opening and listening.
    const transport = new WebSocketTransport(socket, pingIntervalMs);
    // The upgrade response carries the TCP (or TLS) socket ws writes to; see WebSocketTransport.send.
    socket.once('upgrade', (response) => transport.useRawSocket(response.socket));
    const onAbort = () => {
      socket.terminate();
      settle(abortReason(signal));
    };
    const onError = (error: Error) =>
      settle(new Error(`WebSocket to ${url} failed: ${error.message}`, { cause: error }));
    const onClose = (code: number) =>
      settle(new Error(`WebSocket to ${url} closed (code ${code}) before it opened`));
    const onOpen = () => settle();
    function settle(error?: Error): void {
      signal?.removeEventListener('abort', onAbort);
      socket.off('open', onOpen);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) {
        socket.terminate();
        reject(error);
      } else {
        transport.startKeepalive();
        resolve(transport);
      }
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('open', onOpen);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

type Event =
  | { readonly kind: 'message'; readonly data: Uint8Array | string }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'close'; readonly info: TransportCloseInfo };

class WebSocketTransport implements Transport {
  readonly #socket: WebSocket;
  readonly #pingIntervalMs: number;
  #handlers: TransportHandlers | undefined;
  #held: Event[] = [];
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #raw: Socket | undefined;
  #corked = false;

  constructor(socket: WebSocket, pingIntervalMs: number) {
    this.#socket = socket;
    this.#pingIntervalMs = pingIntervalMs;
    socket.on('message', (data, isBinary) => {
      // binaryType is 'nodebuffer', so a binary message is one Buffer (fragments concatenated).
      const payload = isBinary ? (data as Buffer) : (data as Buffer).toString('utf8');
      const handlers = this.#handlers;
      if (handlers) handlers.onMessage(payload);
      else this.#held.push({ kind: 'message', data: payload });
    });
    socket.on('error', (error) => this.#emit({ kind: 'error', error }));
    socket.on('close', (code, reason) => {
      this.#stopKeepalive();
      this.#emit({ kind: 'close', info: { code, reason: reason.toString('utf8') } });
    });
  }

  /**
   * Sends one message. Messages sent in the same tick leave in one write: the session acks every
   * output frame, and ws receives many frames per socket read, so without corking each ack would
   * cost a syscall of its own (measured: a quarter of the CPU time of a bulk transfer).
   */
  send(data: Uint8Array | string): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const raw = this.#raw;
    if (raw !== undefined && !this.#corked) {
      this.#corked = true;
      raw.cork();
      process.nextTick(this.#uncork);
    }
    this.#socket.send(data, typeof data === 'string' ? TEXT : BINARY);
  }

  useRawSocket(socket: Socket): void {
    this.#raw = socket;
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#raw?.uncork();
  };

  listen(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const held = this.#held;
    this.#held = [];
    for (const event of held) this.#dispatch(handlers, event);
  }

  close(code = 1000, reason = ''): void {
    this.#stopKeepalive();
    const state = this.#socket.readyState;
    if (state === WebSocket.CLOSING || state === WebSocket.CLOSED) return;
    this.#socket.close(code, reason);
  }

  startKeepalive(): void {
    this.#pingTimer = setInterval(() => {
      if (this.#socket.readyState === WebSocket.OPEN) this.#socket.ping(PING_PAYLOAD);
    }, this.#pingIntervalMs);
    this.#pingTimer.unref();
  }

  #stopKeepalive(): void {
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #emit(event: Event): void {
    if (this.#handlers) this.#dispatch(this.#handlers, event);
    else this.#held.push(event);
  }

  #dispatch(handlers: TransportHandlers, event: Event): void {
    if (event.kind === 'message') handlers.onMessage(event.data);
    else if (event.kind === 'error') handlers.onError(event.error);
    else handlers.onClose(event.info);
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new Error('the WebSocket connection was aborted', { cause: reason });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
