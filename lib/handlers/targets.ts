/**
 * The targets handler core: the first state of a fan-out step (`${TargetsFnArn}`).
 */
import { resolveTargets } from '../exec/index.ts';
import type { HandlerDeps, HandlerInvocation } from './deps.ts';
import type { BucketTargets, InlineTargets, TargetsEvent } from './events.ts';
import { execFailure, failStep } from './internal/values.ts';

/** Cuts task ids into batches of `size` (the last may be shorter). */
export function batchesOf(taskIds: readonly string[], size: number): string[][] {
  if (!(Number.isSafeInteger(size) && size >= 1)) {
    throw new RangeError(`batchSize must be an integer ≥ 1; received ${JSON.stringify(size)}`);
  }
  const batches: string[][] = [];
  for (let i = 0; i < taskIds.length; i += size) batches.push(taskIds.slice(i, i + size));
  return batches;
}

/**
 * Resolves a fan-out's selection and cuts its tasks into batches.
 *
 * Returns {@link InlineTargets} when there are at most `distributedThreshold` tasks or the
 * output store cannot hold items (locally every fan-out stays inline), else writes the batches
 * to the store and returns {@link BucketTargets}. Throws a `TaskError` (NoTargets, or the AWS
 * error of the selection) whose message is the fan-out step's value with `status: 'failed'`.
 *
 * @example
 * const { cluster, total, batches } = await resolveFanOutTargets(event, deps);
 */
export async function resolveFanOutTargets(
  event: TargetsEvent,
  deps: Pick<HandlerDeps, 'ecs' | 'outputStore' | 'clock' | 'random'>,
  invocation: Pick<HandlerInvocation, 'signal'> = {},
): Promise<InlineTargets | BucketTargets> {
  let targets: Awaited<ReturnType<typeof resolveTargets>>;
  try {
    targets = await resolveTargets(
      event.target,
      {
        ecs: deps.ecs,
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.random ? { random: deps.random } : {}),
      },
      invocation.signal ? { signal: invocation.signal } : {},
    );
  } catch (error) {
    throw failStep(execFailure(error).name, {
      status: 'failed',
      exitCode: null,
      outputs: { total: 0, succeeded: 0, failed: 0 },
      error: execFailure(error),
    });
  }
  const first = targets[0];
  const cluster = first ? first.clusterArn || first.cluster : (event.target.cluster ?? 'default');
  // One target per task: a task appears once whatever its containers.
  const taskIds = [...new Set(targets.map((t) => t.taskId))];
  const batches = batchesOf(taskIds, event.batchSize);
  if (taskIds.length > event.distributedThreshold && deps.outputStore.writeItems) {
    const items = await deps.outputStore.writeItems(
      {
        bucket: event.outputBucket,
        runbook: event.runbook,
        execution: event.execution,
        stepId: event.stepId,
      },
      batches,
    );
    return { cluster, total: taskIds.length, items };
  }
  return { cluster, total: taskIds.length, batches };
}
