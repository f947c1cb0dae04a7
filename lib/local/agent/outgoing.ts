/**
 * The agent's outgoing buffer: every sent stream message stays until its ack arrives, and the
 * oldest one is re-sent once the retransmission timeout has passed. Pure: callers pass `now`.
 *
 * The RTO estimate is the client's own ({@link RtoEstimator}): plugin and agent compute it alike.
 *
 * @see docs/protocol.md §5.2, §5.4
 */
import { RtoEstimator } from '../../session/stream.ts';

export { RtoEstimator };

/** The agent's outgoing-buffer capacity; beyond it a message is sent once, never re-sent. */
export const AGENT_OUTGOING_CAPACITY = 100_000;

/** One sent, not yet acknowledged stream message. */
export interface OutgoingEntry {
  readonly sequenceNumber: bigint;
  /** The frame exactly as first encoded; resends repeat these bytes. */
  readonly frame: Uint8Array;
  lastSentAt: number;
}

/** Unacknowledged stream messages in sequence order. */
export class OutgoingBuffer {
  // A Map keeps insertion (= sequence) order and deletes from the middle in O(1).
  readonly #entries = new Map<bigint, OutgoingEntry>();
  readonly #rto = new RtoEstimator();
  readonly #capacity: number;

  constructor(capacity: number = AGENT_OUTGOING_CAPACITY) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get rtoMs(): number {
    return this.#rto.rtoMs;
  }

  /** Keeps a sent message; returns `undefined` when the buffer is full (sent once only). */
  add(sequenceNumber: bigint, frame: Uint8Array, now: number): OutgoingEntry | undefined {
    if (this.#entries.size >= this.#capacity) return undefined;
    const entry: OutgoingEntry = { sequenceNumber, frame, lastSentAt: now };
    this.#entries.set(sequenceNumber, entry);
    return entry;
  }

  /** Removes the message an ack names (by sequence number only) and samples the RTT. */
  acknowledge(sequenceNumber: bigint, now: number): boolean {
    const entry = this.#entries.get(sequenceNumber);
    if (!entry) return false;
    this.#entries.delete(sequenceNumber);
    this.#rto.sample(now - entry.lastSentAt);
    return true;
  }

  has(sequenceNumber: bigint): boolean {
    return this.#entries.has(sequenceNumber);
  }

  /** The oldest message when its RTO has passed (the only one the scheduler looks at). */
  due(now: number): OutgoingEntry | undefined {
    const oldest = this.#entries.values().next();
    if (oldest.done) return undefined;
    return now - oldest.value.lastSentAt > this.#rto.rtoMs ? oldest.value : undefined;
  }

  clear(): void {
    this.#entries.clear();
  }
}
