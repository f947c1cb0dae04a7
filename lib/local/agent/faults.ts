/**
 * Fault injection for the local agent: each fault is an independent switch.
 *
 * Random choices come from one seeded generator per fault kind, so a session with the same
 * faults and the same output behaves the same on every run, and turning one fault on does not
 * change the choices another makes.
 */
import {
  assertBoolean,
  assertInteger,
  assertOptionsObject,
  describe,
  LocalOptionError,
} from '../internal/options.ts';

/**
 * A per-frame fault rate: `true` means {@link DEFAULT_FAULT_RATE}, a number is the probability
 * in (0, 1] that a frame is hit, `false` or `0` turns the fault off.
 */
export type FaultRate = boolean | number;

/** The rate `true` stands for. */
export const DEFAULT_FAULT_RATE = 0.25;

/** When and for how long the agent stops publishing, as if MGS had paused it. */
export interface PausePublicationFault {
  /**
   * Output frames sent before the pause.
   * @default 1
   */
  readonly afterFrames?: number;
  /**
   * Length of the pause; neither new frames nor resends go out meanwhile, and acks arriving
   * during it do not end it (MGS pauses an agent when it has nobody to relay to).
   * @default 1000
   */
  readonly forMs?: number;
}

/**
 * Faults the local agent can inject into a session's output side. All are off by default.
 *
 * Rate faults apply to the first transmission of each `output_stream_data` frame, handshake
 * frames included; resends by the retransmission scheduler are always clean.
 */
export interface AgentFaults {
  /**
   * Seed of the fault generators.
   * @default 1
   */
  readonly seed?: number;
  /** Holds a frame back and sends it after the next one (a swapped pair); a held frame with no successor goes out at the next 100 ms tick. */
  readonly reorder?: FaultRate;
  /** Sends a frame twice in a row (identical bytes). */
  readonly duplicate?: FaultRate;
  /** Skips a frame's first transmission; only the RTO resend delivers it. */
  readonly withholdFirstSend?: FaultRate;
  /** Sends a frame first with a broken PayloadDigest (the receiver must drop it); the resend is correct. */
  readonly corruptDigest?: FaultRate;
  /** Ignores the first N acks from the client, so those frames are re-sent. */
  readonly ignoreAcks?: number;
  /** Delays each ack of client input by this many milliseconds. */
  readonly ackDelayMs?: number;
  /** Pauses publication mid-stream for a while, then resumes. `true` uses the defaults. */
  readonly pausePublication?: boolean | PausePublicationFault;
  /** Terminates the socket (no close frame, no `channel_closed`) after N output frames and kills the command. */
  readonly abruptCloseAfterFrames?: number;
  /** After the output drains, never sends `channel_closed` and keeps the socket open. */
  readonly noChannelClosed?: boolean;
  /** Extra delay before the first output frame, on top of `initialWaitMs`. */
  readonly slowStartMs?: number;
}

/** Names of the faults, as counted in the stats. */
export const FAULT_NAMES = [
  'reorder',
  'duplicate',
  'withholdFirstSend',
  'corruptDigest',
  'ignoreAcks',
  'ackDelayMs',
  'pausePublication',
  'abruptCloseAfterFrames',
  'noChannelClosed',
  'slowStartMs',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

const FAULT_KEYS = ['seed', ...FAULT_NAMES] as const;
const RATE_FAULTS = ['reorder', 'duplicate', 'withholdFirstSend', 'corruptDigest'] as const;
type RateFaultName = (typeof RATE_FAULTS)[number];

/** Faults with defaults applied and rates as numbers. */
export interface ResolvedFaults {
  readonly seed: number;
  readonly rates: Readonly<Record<RateFaultName, number>>;
  readonly ignoreAcks: number;
  readonly ackDelayMs: number;
  readonly pausePublication: { readonly afterFrames: number; readonly forMs: number } | undefined;
  readonly abruptCloseAfterFrames: number | undefined;
  readonly noChannelClosed: boolean;
  readonly slowStartMs: number;
}

/** Validates a faults object; throws {@link LocalOptionError} naming the bad key. */
export function validateFaults(value: unknown, path: string): asserts value is AgentFaults {
  if (value === undefined) return;
  assertOptionsObject(value, path, FAULT_KEYS);
  assertInteger(value.seed, `${path}.seed`, 0, 0xffff_ffff);
  for (const name of RATE_FAULTS) {
    const rate = value[name];
    if (rate === undefined || typeof rate === 'boolean') continue;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new LocalOptionError(
        `${path}.${name}`,
        `${path}.${name} must be true, false or a probability from 0 to 1; received ${describe(rate)}`,
      );
    }
  }
  assertInteger(value.ignoreAcks, `${path}.ignoreAcks`, 0);
  assertInteger(value.ackDelayMs, `${path}.ackDelayMs`, 0);
  assertInteger(value.abruptCloseAfterFrames, `${path}.abruptCloseAfterFrames`, 0);
  assertInteger(value.slowStartMs, `${path}.slowStartMs`, 0);
  assertBoolean(value.noChannelClosed, `${path}.noChannelClosed`);
  const pause = value.pausePublication;
  if (pause !== undefined && typeof pause !== 'boolean') {
    assertOptionsObject(pause, `${path}.pausePublication`, ['afterFrames', 'forMs']);
    assertInteger(pause.afterFrames, `${path}.pausePublication.afterFrames`, 0);
    assertInteger(pause.forMs, `${path}.pausePublication.forMs`, 0);
  }
}

/** Merges session faults over agent faults key by key and applies the defaults. */
export function resolveFaults(
  agent: AgentFaults | undefined,
  session: AgentFaults | undefined,
): ResolvedFaults {
  const merged: AgentFaults = { ...agent, ...session };
  const rates = {} as Record<RateFaultName, number>;
  for (const name of RATE_FAULTS) {
    const rate = merged[name];
    rates[name] = rate === true ? DEFAULT_FAULT_RATE : typeof rate === 'number' ? rate : 0;
  }
  const pause = merged.pausePublication;
  return {
    seed: merged.seed ?? 1,
    rates,
    ignoreAcks: merged.ignoreAcks ?? 0,
    ackDelayMs: merged.ackDelayMs ?? 0,
    pausePublication:
      pause === undefined || pause === false
        ? undefined
        : {
            afterFrames: (pause === true ? undefined : pause.afterFrames) ?? 1,
            forMs: (pause === true ? undefined : pause.forMs) ?? 1000,
          },
    abruptCloseAfterFrames: merged.abruptCloseAfterFrames,
    noChannelClosed: merged.noChannelClosed ?? false,
    slowStartMs: merged.slowStartMs ?? 0,
  };
}

/** Decides, frame by frame, which rate faults hit; deterministic for a given seed. */
export class FaultDice {
  readonly #rates: Readonly<Record<RateFaultName, number>>;
  readonly #generators: Record<RateFaultName, () => number>;

  constructor(faults: ResolvedFaults) {
    this.#rates = faults.rates;
    this.#generators = {} as Record<RateFaultName, () => number>;
    for (const name of RATE_FAULTS) this.#generators[name] = mulberry32(mixSeed(faults.seed, name));
  }

  /** Whether the fault hits the current frame; draws only when the fault is on. */
  hits(name: RateFaultName): boolean {
    const rate = this.#rates[name];
    if (rate <= 0) return false;
    return this.#generators[name]() < rate;
  }
}

function mixSeed(seed: number, name: string): number {
  // FNV-1a over the name, folded into the seed, so each fault kind gets its own sequence.
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
