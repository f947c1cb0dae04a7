/**
 * The fan-out summary handler core: the last state of a fan-out step (`${FanOutSummaryFnArn}`).
 */
import { type Tolerate, toleratedFailuresOf } from '../exec/index.ts';
import type { HandlerDeps } from './deps.ts';
import type { BatchResult, BatchTargetResult, FanOutStepValue, SummaryEvent } from './events.ts';
import { failStep } from './internal/values.ts';

/** `more than the 0 tolerated`, with the percentage when the budget is one. */
function describeBudget(tolerated: number, tolerate: Tolerate): string {
  return `more than the ${tolerated} tolerated${'count' in tolerate ? '' : ` (toleratedFailures: ${tolerate.percent}%)`}`;
}

/** How a target that did not succeed ended, in words: `timed_out` → `timed out`. */
const FAILURE_WORDS: Readonly<Record<string, string>> = {
  failed: 'exited non-zero',
  timed_out: 'timed out',
  error: 'could not run',
  cancelled: 'cancelled',
};

/** `2 exited non-zero, 1 timed out`: only said when the failures did not all end alike. */
function describeFailures(failures: readonly BatchTargetResult[]): string {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.status, (counts.get(f.status) ?? 0) + 1);
  if (counts.size === 1 && counts.has('failed')) return '';
  const parts = [...counts].map(([status, n]) => `${n} ${FAILURE_WORDS[status] ?? status}`);
  return ` (${parts.join(', ')})`;
}

/**
 * Counts a fan-out's targets and applies its error budget with Step Functions' semantics: the
 * step fails when the failures (every status but `succeeded`) exceed the tolerated count, or
 * the tolerated percentage of all targets (⌊total·P/100⌋ tolerated).
 *
 * Returns the step's value with `status: 'succeeded'`, its counts and the failed targets it
 * tolerated (at most `maxListedFailures`, the rest counted in `failuresOmitted`); or throws
 * `ErrorBudgetExceeded` with the same value (`status: 'failed'`, `error` set) as message.
 *
 * @example
 * const value = await summarizeFanOut(event, { outputStore });
 * value.outputs; // { total: 3, succeeded: 3, failed: 0 }
 */
export async function summarizeFanOut(
  event: SummaryEvent,
  deps: Pick<HandlerDeps, 'outputStore'>,
): Promise<FanOutStepValue> {
  let batches: readonly BatchResult[];
  if ('results' in event.fanOut) {
    batches = event.fanOut.results;
  } else {
    const readResults = deps.outputStore.readResults;
    if (!readResults) {
      throw new Error(
        `step ${event.stepId}: a Distributed Map's results are in ${event.fanOut.resultWriterDetails.Bucket}, ` +
          'but this output store cannot read them',
      );
    }
    batches = await readResults(event.fanOut.resultWriterDetails);
  }
  const targets: BatchTargetResult[] = batches.flat();
  const total = targets.length;
  const failures = targets.filter((t) => t.status !== 'succeeded');
  const failed = failures.length;
  const succeeded = total - failed;
  const tolerated = toleratedFailuresOf(event.toleratedFailures, total);
  const listed = failures.slice(0, event.maxListedFailures);
  const value = {
    exitCode: null,
    outputs: { total, succeeded, failed },
    ...(listed.length > 0 ? { failures: listed } : {}),
    ...(failed > listed.length ? { failuresOmitted: failed - listed.length } : {}),
  };
  if (failed <= tolerated) return { status: 'succeeded', ...value };
  throw failStep('ErrorBudgetExceeded', {
    status: 'failed',
    ...value,
    error: {
      name: 'ErrorBudgetExceeded',
      message: `${failed} of ${total} targets failed${describeFailures(failures)}, ${describeBudget(tolerated, event.toleratedFailures)}`,
      hint: 'Each failed target is listed with its exit code and status; its whole output is at its uri.',
    },
  });
}
