/**
 * Compile options: defaults resolved once, checked right after.
 */
import { CompileError } from './errors.ts';

/** Options of `compileRunbook` and `lowerRunbook`. */
export interface CompileOptions {
  /**
   * Bytes of output tail a single-target step keeps in the state (and in a failure's message).
   * At most 16,384, so a failure's message stays under Step Functions' 32,768-character `Cause`.
   *
   * @default 2048
   */
  readonly stateTailBytes?: number;
  /**
   * Above this many targets, the targets handler writes the batches to the output bucket and
   * the fan-out runs as a Distributed Map (inline Map state stays far below 256 KB up to here).
   *
   * @default 1000
   */
  readonly distributedMapThreshold?: number;
  /**
   * The run's ExecuteCommand budget in calls per second, split evenly across a fan-out's
   * concurrent batches (AWS's bucket: 100 burst, 40/s refill per account and region, shared).
   *
   * @default 20
   */
  readonly execRatePerSecond?: number;
  /**
   * How many failed targets a fan-out step's value lists.
   *
   * @default 100
   */
  readonly maxListedFailures?: number;
}

/** Options with every default applied. */
export type ResolvedCompileOptions = Required<CompileOptions>;

/** The defaults of {@link CompileOptions}. */
export const COMPILE_DEFAULTS = {
  stateTailBytes: 2048,
  distributedMapThreshold: 1000,
  execRatePerSecond: 20,
  maxListedFailures: 100,
} as const satisfies ResolvedCompileOptions;

const LIMITS: Record<keyof CompileOptions, { min: number; max: number; integer: boolean }> = {
  stateTailBytes: { min: 0, max: 16_384, integer: true },
  distributedMapThreshold: { min: 1, max: 10_000_000, integer: true },
  execRatePerSecond: { min: 0.001, max: 40, integer: false },
  maxListedFailures: { min: 0, max: 1000, integer: true },
};

/** Applies the defaults and checks every option; throws {@link CompileError} `INVALID_OPTION`. */
export function resolveCompileOptions(options: CompileOptions = {}): ResolvedCompileOptions {
  for (const key of Object.keys(options)) {
    if (!(key in LIMITS)) {
      throw new CompileError(
        'INVALID_OPTION',
        `unknown compile option "${key}"; accepted: ${Object.keys(LIMITS).join(', ')}`,
      );
    }
  }
  const resolved = { ...COMPILE_DEFAULTS, ...stripUndefined(options) };
  for (const [key, limit] of Object.entries(LIMITS) as [
    keyof CompileOptions,
    (typeof LIMITS)[keyof CompileOptions],
  ][]) {
    const value = resolved[key];
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= limit.min &&
      value <= limit.max &&
      (!limit.integer || Number.isInteger(value));
    if (!ok) {
      throw new CompileError(
        'INVALID_OPTION',
        `compile option ${key} is ${JSON.stringify(value)}; accepted: ${limit.integer ? 'an integer' : 'a number'} from ${limit.min} to ${limit.max}`,
      );
    }
  }
  return resolved;
}

function stripUndefined(options: CompileOptions): CompileOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
