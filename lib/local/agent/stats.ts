/**
 * Counters the local agent keeps per session and in total, for tests and benchmarks.
 */
import { FAULT_NAMES, type FaultName } from './faults.ts';

/** What happened on one session's wire (or, summed, on all of them). */
export interface LocalSessionStats {
  /** `output_stream_data` messages created (sequence numbers used), handshake ones included. */
  outputMessages: number;
  /** Command output bytes carried by PayloadType 1 messages (before encryption). */
  outputBytes: number;
  /** `output_stream_data` frames written to the socket: first sends, resends and duplicates. */
  framesSent: number;
  /** Frames re-sent by the retransmission scheduler. */
  resends: number;
  /** Acks received from the client. */
  acksReceived: number;
  /** Acks ignored by the `ignoreAcks` fault. */
  acksIgnored: number;
  /** Acks naming no unacknowledged message (late or duplicate acks). */
  acksUnmatched: number;
  /** Acks sent for client input. */
  acksSent: number;
  /** Client stream messages applied in order. */
  inputMessages: number;
  /** Keystroke bytes written to the command. */
  inputBytes: number;
  /** Client stream messages received again (re-acked). */
  duplicateInputs: number;
  /** Client stream messages received ahead of a gap (acked and buffered). */
  earlyInputs: number;
  /** Client stream messages acked and dropped because the handshake was not complete. */
  discardedInputs: number;
  /** Frames that could not be decoded (dropped). */
  badFrames: number;
  /** Client frames whose digest was wrong (accepted anyway: the agent never checks it). */
  badDigests: number;
  /** Encrypted client input that did not decrypt (not acked). */
  decryptFailures: number;
  /** How often each fault was injected. */
  faults: Record<FaultName, number>;
}

/** Stats of a whole agent. */
export interface LocalAgentStats extends LocalSessionStats {
  sessionsCreated: number;
  /** Sessions not yet ended. */
  sessionsActive: number;
  /** Sessions whose client presented the right token. */
  sessionsConnected: number;
  sessionsEnded: number;
  /** Sessions ended because no client connected within `connectTimeoutMs`. */
  sessionsExpired: number;
  /** Connections refused: unknown session, wrong or missing token, a second client. */
  connectionsRejected: number;
}

export type SessionCounter = Exclude<keyof LocalSessionStats, 'faults'>;

export function emptySessionStats(): LocalSessionStats {
  const faults = {} as Record<FaultName, number>;
  for (const name of FAULT_NAMES) faults[name] = 0;
  return {
    outputMessages: 0,
    outputBytes: 0,
    framesSent: 0,
    resends: 0,
    acksReceived: 0,
    acksIgnored: 0,
    acksUnmatched: 0,
    acksSent: 0,
    inputMessages: 0,
    inputBytes: 0,
    duplicateInputs: 0,
    earlyInputs: 0,
    discardedInputs: 0,
    badFrames: 0,
    badDigests: 0,
    decryptFailures: 0,
    faults,
  };
}

export function emptyAgentStats(): LocalAgentStats {
  return {
    ...emptySessionStats(),
    sessionsCreated: 0,
    sessionsActive: 0,
    sessionsConnected: 0,
    sessionsEnded: 0,
    sessionsExpired: 0,
    connectionsRejected: 0,
  };
}

export function copyStats<T extends LocalSessionStats>(stats: T): T {
  return { ...stats, faults: { ...stats.faults } };
}

/** Increments a session's and the agent's counters together. */
export class StatsRecorder {
  readonly session = emptySessionStats();
  readonly #agent: LocalAgentStats;

  constructor(agent: LocalAgentStats) {
    this.#agent = agent;
  }

  add(counter: SessionCounter, amount = 1): void {
    this.session[counter] += amount;
    this.#agent[counter] += amount;
  }

  fault(name: FaultName): void {
    this.session.faults[name]++;
    this.#agent.faults[name]++;
  }
}
