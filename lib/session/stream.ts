/**
 * Stream bookkeeping of the data channel, pure (time comes from an injected `now`).
 *
 * - {@link RtoEstimator}: the retransmission timeout both official sides use.
 * - {@link OutgoingStream}: our sequence counter and the unacknowledged messages, resent oldest
 *   first after the RTO.
 * - {@link IncomingStream}: the agent's messages in sequence order, with a bounded reorder
 *   buffer. It says which messages to acknowledge: every one it accepts, duplicates included.
 *
 * @see docs/protocol.md §5
 */

/** Initial smoothed round-trip time, ms. */
export const INITIAL_RTT_MS = 100;
/** Initial retransmission timeout, ms. */
export const INITIAL_RTO_MS = 200;
/** Lower bound of the variance term of the RTO, ms. */
export const MIN_RTO_VARIANCE_MS = 10;
/** Upper bound of the RTO, ms. */
export const MAX_RTO_MS = 1000;
/** Default capacity of the reorder buffer, in frames (the official plugin's). */
export const DEFAULT_MAX_REORDER_FRAMES = 10_000;

/**
 * TCP-like RTO estimate with the constants of protocol.md §5.4.
 *
 * On each sample: `RTTVAR = 0.75·RTTVAR + 0.25·|RTT − sample|`, `RTT = 0.875·RTT + 0.125·sample`,
 * `RTO = min(1 s, RTT + max(10 ms, 4·RTTVAR))`. No Karn rule: resent messages are sampled too,
 * as both official sides do.
 */
export class RtoEstimator {
  #rttMs = INITIAL_RTT_MS;
  #rttVarianceMs = 0;
  #rtoMs = INITIAL_RTO_MS;

  /** Current smoothed round-trip time, ms. */
  get rttMs(): number {
    return this.#rttMs;
  }

  /** Current round-trip time variation, ms. */
  get rttVarianceMs(): number {
    return this.#rttVarianceMs;
  }

  /** Current retransmission timeout, ms. */
  get rtoMs(): number {
    return this.#rtoMs;
  }

  /** Folds one round-trip sample (ms; negative clock steps count as 0) into the estimate. */
  sample(sampleMs: number): void {
    const sample = Math.max(0, sampleMs);
    this.#rttVarianceMs = 0.75 * this.#rttVarianceMs + 0.25 * Math.abs(this.#rttMs - sample);
    this.#rttMs = 0.875 * this.#rttMs + 0.125 * sample;
    this.#rtoMs = Math.min(MAX_RTO_MS, this.#rttMs + Math.max(MIN_RTO_VARIANCE_MS, 4 * this.#rttVarianceMs));
  }
}

/** Options of {@link OutgoingStream}. */
export interface OutgoingStreamOptions {
  /** Milliseconds of the session clock. */
  readonly now: () => number;
}

interface Unacked {
  readonly frame: Uint8Array;
  lastSentAt: number;
}

/**
 * Our side of the stream: sequence numbers from 0 and every sent message kept until the agent
 * acknowledges its sequence number.
 *
 * Only the oldest unacknowledged message is ever resent, once `now − lastSent > RTO`, and its
 * `lastSent` then moves to now (the plugin's bug of resending every tick is not repeated).
 */
export class OutgoingStream {
  readonly rto = new RtoEstimator();
  readonly #now: () => number;
  // Insertion order is sequence order, so the first key is always the oldest unacked message.
  readonly #unacked = new Map<number, Unacked>();
  #nextSequenceNumber = 0;
  #resends = 0;

  constructor(options: OutgoingStreamOptions) {
    this.#now = options.now;
  }

  /** Messages sent but not acknowledged yet. */
  get unackedCount(): number {
    return this.#unacked.size;
  }

  /** Messages resent so far. */
  get resends(): number {
    return this.#resends;
  }

  /** The sequence number the next message gets. */
  get nextSequenceNumber(): number {
    return this.#nextSequenceNumber;
  }

  /** Takes the next sequence number. Pair it with {@link track} once the frame is encoded. */
  allocate(): number {
    return this.#nextSequenceNumber++;
  }

  /** Records a frame just sent with sequence number `sequenceNumber`. */
  track(sequenceNumber: number, frame: Uint8Array): void {
    this.#unacked.set(sequenceNumber, { frame, lastSentAt: this.#now() });
  }

  /**
   * Handles an acknowledgement. Matches by sequence number only (type and id are ignored, as
   * both official sides do), samples the RTT and forgets the message.
   *
   * @returns whether a message with that sequence number was waiting
   */
  acknowledge(sequenceNumber: number): boolean {
    const entry = this.#unacked.get(sequenceNumber);
    if (entry === undefined) return false;
    this.rto.sample(this.#now() - entry.lastSentAt);
    this.#unacked.delete(sequenceNumber);
    return true;
  }

  /** When the oldest unacked message becomes due for a resend (ms), or `undefined` if none. */
  nextResendAt(): number | undefined {
    const oldest = this.#oldest();
    return oldest === undefined ? undefined : oldest.lastSentAt + this.rto.rtoMs;
  }

  /**
   * The frame to resend now, if the oldest unacked message has waited longer than the RTO;
   * its send time becomes now.
   */
  takeDueResend(): Uint8Array | undefined {
    const oldest = this.#oldest();
    if (oldest === undefined) return undefined;
    const now = this.#now();
    if (now - oldest.lastSentAt <= this.rto.rtoMs) return undefined;
    oldest.lastSentAt = now;
    this.#resends++;
    return oldest.frame;
  }

  #oldest(): Unacked | undefined {
    for (const entry of this.#unacked.values()) return entry;
    return undefined;
  }
}

/** What {@link IncomingStream.receive} decided about one message. */
export type ReceiveVerdict =
  /** The next expected message: ready for {@link IncomingStream.next}. Acknowledge it. */
  | 'accepted'
  /** Ahead of a gap: held in the reorder buffer. Acknowledge it. */
  | 'early'
  /** Already received. Acknowledge it again: our earlier acknowledgement may have been lost. */
  | 'duplicate'
  /** Ahead of a gap but the reorder buffer is full: do NOT acknowledge, the agent resends it. */
  | 'dropped';

/** Options of {@link IncomingStream}. */
export interface IncomingStreamOptions {
  /**
   * Capacity of the reorder buffer: messages held ahead of a gap. When it is full a further
   * early message is dropped unacknowledged, so the agent resends it later; nothing is lost.
   * @default 10_000
   */
  readonly maxReorderFrames?: number;
}

/** Counters of {@link IncomingStream}. */
export interface IncomingStreamCounters {
  /** Messages received again (already received, or already held). */
  readonly duplicates: number;
  /** Messages received ahead of a gap and held. */
  readonly reordered: number;
  /** Early messages dropped unacknowledged because the reorder buffer was full. */
  readonly dropped: number;
}

/** The minimum a message needs for sequencing. */
export interface Sequenced {
  readonly sequenceNumber: bigint;
}

/**
 * The agent's side of the stream: accepts messages in any order, hands them out strictly in
 * sequence order.
 *
 * Received messages wait in order until the consumer pulls them with {@link next}, so the
 * consumer can pause (during an asynchronous handshake step) without losing anything.
 */
export class IncomingStream<M extends Sequenced> {
  readonly #maxReorderFrames: number;
  readonly #early = new Map<number, M>();
  // Accepted in order, not yet pulled; `#head` indexes the next one to hand out.
  #ready: (M | undefined)[] = [];
  #head = 0;
  #expected = 0;
  #duplicates = 0;
  #reordered = 0;
  #dropped = 0;

  constructor(options: IncomingStreamOptions = {}) {
    const max = options.maxReorderFrames ?? DEFAULT_MAX_REORDER_FRAMES;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxReorderFrames must be an integer >= 1; received ${String(max)}`);
    }
    this.#maxReorderFrames = max;
  }

  /** The sequence number of the first message not yet received. */
  get expectedSequenceNumber(): number {
    return this.#expected;
  }

  /** Messages received but not handed out yet: ready ones plus those held ahead of a gap. */
  get heldCount(): number {
    return this.#ready.length - this.#head + this.#early.size;
  }

  /** Messages held ahead of a gap. */
  get earlyCount(): number {
    return this.#early.size;
  }

  get counters(): IncomingStreamCounters {
    return { duplicates: this.#duplicates, reordered: this.#reordered, dropped: this.#dropped };
  }

  /** Takes in one message and says whether to acknowledge it (every verdict but `dropped`). */
  receive(message: M): ReceiveVerdict {
    const sequenceNumber = Number(message.sequenceNumber);
    const expected = this.#expected;
    if (sequenceNumber === expected) {
      this.#ready.push(message);
      let next = expected + 1;
      // The size check keeps the in-order path free of map lookups.
      if (this.#early.size > 0) {
        for (let held = this.#early.get(next); held !== undefined; held = this.#early.get(next)) {
          this.#early.delete(next);
          this.#ready.push(held);
          next++;
        }
      }
      this.#expected = next;
      return 'accepted';
    }
    if (sequenceNumber < expected || this.#early.has(sequenceNumber)) {
      this.#duplicates++;
      return 'duplicate';
    }
    // The message that fills the gap takes the in-order path above and needs no slot, so a full
    // buffer always drains.
    if (this.#early.size >= this.#maxReorderFrames) {
      this.#dropped++;
      return 'dropped';
    }
    this.#early.set(sequenceNumber, message);
    this.#reordered++;
    return 'early';
  }

  /** The next message in sequence order, or `undefined` when the next one has not arrived. */
  next(): M | undefined {
    if (this.#head >= this.#ready.length) return undefined;
    const message = this.#ready[this.#head];
    this.#ready[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#ready.length) {
      this.#ready.length = 0;
      this.#head = 0;
    }
    return message;
  }
}
