/**
 * An in-process pair of connected {@link Transport}s, for tests.
 *
 * Messages are delivered in order, asynchronously (one `setImmediate` per batch), so timers get
 * their turn between batches as they would on a socket. Bytes are copied on send.
 */
import type { Transport, TransportCloseInfo, TransportHandlers } from '../transport.ts';

/** A transport end that tests can also break. */
export interface MemoryTransport extends Transport {
  /** Whether this end is closed. */
  readonly closed: boolean;
  /** Simulates a socket failure: `onError` then `onClose` (code 1006) on both ends. */
  fail(error: Error): void;
}

/** Two connected ends: what `client` sends, `server` receives, and the reverse. */
export interface MemoryTransportPair {
  readonly client: MemoryTransport;
  readonly server: MemoryTransport;
}

/** Creates a connected pair. */
export function createMemoryTransportPair(): MemoryTransportPair {
  const client = new MemoryEnd();
  const server = new MemoryEnd();
  client.peer = server;
  server.peer = client;
  return { client, server };
}

type Event =
  | { readonly kind: 'message'; readonly data: Uint8Array | string }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'close'; readonly info: TransportCloseInfo };

class MemoryEnd implements MemoryTransport {
  peer: MemoryEnd | undefined;
  #handlers: TransportHandlers | undefined;
  #queue: Event[] = [];
  #scheduled = false;
  #closing = false;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array | string): void {
    if (this.#closing) return;
    this.peer?.enqueue({ kind: 'message', data: typeof data === 'string' ? data : data.slice() });
  }

  listen(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    this.#schedule();
  }

  close(code = 1000, reason = ''): void {
    if (this.#closing) return;
    this.#closing = true;
    this.peer?.shutdown({ kind: 'close', info: { code, reason } });
    this.shutdown({ kind: 'close', info: { code, reason } });
  }

  fail(error: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    const info = { code: 1006, reason: '' };
    for (const end of [this, this.peer]) {
      end?.shutdown({ kind: 'error', error });
      end?.shutdown({ kind: 'close', info });
    }
  }

  enqueue(event: Event): void {
    if (this.#closed) return;
    this.#queue.push(event);
    this.#schedule();
  }

  shutdown(event: Event): void {
    if (event.kind === 'close') this.#closing = true;
    this.enqueue(event);
  }

  #schedule(): void {
    if (this.#scheduled || this.#handlers === undefined || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const handlers = this.#handlers;
    if (!handlers) return;
    const batch = this.#queue;
    this.#queue = [];
    for (const event of batch) {
      if (this.#closed) return;
      if (event.kind === 'message') handlers.onMessage(event.data);
      else if (event.kind === 'error') handlers.onError(event.error);
      else {
        this.#closed = true;
        handlers.onClose(event.info);
      }
    }
  }
}
