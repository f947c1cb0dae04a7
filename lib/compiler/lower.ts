/**
 * The lowering's entry: stage 3, the runbook model to an ASL definition object.
 *
 * The lowering lives in lower/: lower-runbook.ts (the fixed states around the steps), steps.ts
 * (a list of steps and each step's `when`), one file per step kind in lower/kinds/, fan-out.ts,
 * and the shared parts (context.ts, failure.ts, retry.ts, states.ts, exec-parts.ts). This file
 * keeps the import path the rest of the code uses.
 */
export { TIMEOUT_BACKSTOP_MARGIN_SECONDS } from './lower/exec-parts.ts';
export {
  type ConcurrencySplit,
  MAX_DISTRIBUTED_MAP_CONCURRENCY,
  MAX_INLINE_MAP_CONCURRENCY,
  splitConcurrency,
} from './lower/fan-out.ts';
export { FIXED_STATE_NAMES, lowerRunbook } from './lower/lower-runbook.ts';
