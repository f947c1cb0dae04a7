/**
 * The fan-out summary handler core: the last state of a fan-out step (`${FanOutSummaryFnArn}`).
 */
import { type Tolerate, toleratedFailuresOf } from '../exec/index.ts';
import type { HandlerDeps } from './deps.ts';
import type { BatchResult, BatchTargetResult, FanOutStepValue, SummaryEvent } from './events.ts';
import { failStep } from './internal/values.ts';

function describeTolerance(tolerate: Tolerate): string {
  return 'count' in tolerate ? String(tolerate.count) : `${tolerate.percent}%`;
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
  const statuses = [...new Set(failures.map((f) => f.status))].join(', ');
  throw failStep('ErrorBudgetExceeded', {
    status: 'failed',
    ...value,
    error: {
      name: 'ErrorBudgetExceeded',
      message:
        `${failed} of ${total} targets failed (${statuses}), more than the ${tolerated} tolerated ` +
        `(toleratedFailures: ${describeTolerance(event.toleratedFailures)})`,
      hint: 'Each failed target is listed with its exit code and status; its whole output is at its uri.',
    },
  });
}
