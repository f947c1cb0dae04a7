/**
 * The batch handler core: one iteration of a fan-out's Map (`${ExecFnArn}` with `kind: 'batch'`).
 */
import { DescribeTasksCommand, type Task as SdkTask } from '@aws-sdk/client-ecs';
import {
  awsErrorHint,
  chooseContainer,
  classifyAwsError,
  clusterNameOf,
  DESCRIBE_TASKS_BATCH,
  ExecError,
  type ExecErrorInfo,
  type ExecResult,
  hintFor,
  type ResolvedTarget,
  resolvedTargetOf,
  runExec,
  taskIdOf,
  withRetries,
} from '../exec/index.ts';
import { type Clock, RETRYABLE_TASK_ERROR_NAMES, sleep, systemClock, TaskError } from '../shared/index.ts';
import type { HandlerDeps, HandlerInvocation } from './deps.ts';
import type { BatchEvent, BatchResult, BatchTargetResult, RetrySpec } from './events.ts';
import { deadlineOf, exportEnv, INTERRUPT_DRAIN_MS, MAX_ERROR_MESSAGE_CHARS } from './internal/values.ts';
import { OutputNotStoredError } from './output-store.ts';

/** Tail kept per record in memory: a batch returns no tails, the store has the whole output. */
const BATCH_TAIL_BYTES = 4_096;

const RETRYABLE: ReadonlySet<string> = new Set(RETRYABLE_TASK_ERROR_NAMES);

/** A task of the batch: ready to run, or why it cannot. */
type Slot =
  | { readonly taskId: string; readonly target: ResolvedTarget }
  | { readonly taskId: string; readonly record: ExecResult };

/** The wait before retry number `retry` (1 for the first): `intervalMs · backoff^(retry−1)`, capped. */
export function retryDelayMs(retry: RetrySpec, retryNumber: number): number {
  const delay = retry.intervalMs * retry.backoff ** Math.max(0, retryNumber - 1);
  return Math.min(delay, retry.maxIntervalMs ?? Number.POSITIVE_INFINITY);
}

/**
 * Runs the script in every task of a batch and returns one small result per task, in the
 * batch's order.
 *
 * The tasks are described again (they may have stopped since the targets state ran): a task that
 * is gone, not RUNNING, or lacks the container gets status `error` without running. The others
 * run through lib/exec's fan-out with `concurrency` and `ratePerSecond`; a target whose failure
 * is retryable (docs/errors.md) runs again per `retry`, the other targets of the batch unaffected.
 * Never throws a task error for a target's failure: every failure is a status, so no iteration
 * fails the Map (the summary applies the error budget).
 *
 * One exception: when `invocation.signal` aborts with an `InvocationDeadline` (the Lambda
 * wrapper's, before the function's timeout) while targets still run, the running ones are sent
 * Ctrl-C and their last output read (at most {@link INTERRUPT_DRAIN_MS}), the ones not started
 * stay `cancelled`, every output is published whole, and the batch throws `ExecTimeout` whose
 * message is a fan-out step value with this batch's `results`: the targets that finished keep
 * their exit codes, statuses and URIs, the interrupted ones are `timed_out` with `exitCode: null`.
 *
 * @example
 * const results = await runBatch(event, { ecs, kms, outputStore });
 * results[0]; // { taskId, exitCode: 0, status: 'succeeded', uri: 'file:///…/<taskId>-app.log' }
 */
export async function runBatch(
  event: BatchEvent,
  deps: HandlerDeps,
  invocation: HandlerInvocation = {},
): Promise<BatchResult> {
  const clock = deps.clock ?? systemClock;
  const staged = await deps.outputStore.stage({
    bucket: event.outputBucket,
    runbook: event.runbook,
    execution: event.execution,
    stepId: event.stepId,
    command: event.script,
  });
  const slots = await describeBatch(event, deps, clock, invocation.signal);
  const final = new Map<string, ExecResult>();
  /** The try each task's final record is of (its output's key has it). */
  const tries = new Map<string, number>();
  for (const slot of slots) {
    if ('record' in slot) {
      final.set(slot.taskId, slot.record);
      invocation.onResult?.(slot.record, 1);
    }
  }

  const attempts = Math.max(1, event.retry?.attempts ?? 1);
  let pending = slots.flatMap((slot) => ('target' in slot ? [slot.target] : []));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const onResult = invocation.onResult;
    const { results } = await runExec(
      {
        target: { targets: pending },
        command: { script: event.script, env: exportEnv(event.env) },
        timeoutMs: event.timeoutMs,
        tailBytes: BATCH_TAIL_BYTES,
        sinkDir: staged.dir,
        interruptDrainMs: INTERRUPT_DRAIN_MS,
        concurrency: event.concurrency,
        // The summary applies the step's budget; a batch runs all of its targets whatever fails.
        tolerate: { percent: 100 },
        rate: { perSecond: event.ratePerSecond, burst: Math.max(1, Math.ceil(event.ratePerSecond)) },
        ...(invocation.signal ? { signal: invocation.signal } : {}),
        ...(onResult ? { onResult: (result) => onResult(result, attempt) } : {}),
      },
      {
        ecs: deps.ecs,
        ...(deps.kms ? { kms: deps.kms } : {}),
        clock,
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.locks ? { locks: deps.locks } : {}),
      },
    );
    const again: ResolvedTarget[] = [];
    results.forEach((result, index) => {
      const target = pending[index] as ResolvedTarget;
      final.set(target.taskId, result);
      tries.set(target.taskId, attempt);
      const retryable =
        result.status !== 'succeeded' && result.error !== undefined && RETRYABLE.has(result.error.name);
      if (retryable && attempt < attempts && !invocation.signal?.aborted) again.push(target);
    });
    // A try that runs again keeps its output under its own attempt; a failure to store it is
    // not the target's result (the last try's is).
    for (const target of again) {
      const record = final.get(target.taskId) as ExecResult;
      await staged.publish(record, { attempt }).catch((error: unknown) => {
        if (!(error instanceof OutputNotStoredError)) throw error;
      });
    }
    pending = again;
    if (pending.length > 0 && event.retry) {
      try {
        await sleep(clock, retryDelayMs(event.retry, attempt), invocation.signal);
      } catch {
        // Cancelled while waiting: the last records stand.
        pending = [];
      }
    }
  }

  const out: BatchTargetResult[] = [];
  for (const taskId of event.taskIds) {
    const record = final.get(taskId);
    if (record === undefined) throw new Error(`batch lost the record of task ${taskId}`);
    let uri: string | undefined;
    let lost = false;
    try {
      uri = await staged.publish(record, { attempt: tries.get(taskId) ?? 1 });
    } catch (error) {
      if (!(error instanceof OutputNotStoredError)) throw error;
      lost = true;
    }
    // A command that succeeded but whose output could not be stored fails as OutputNotStored;
    // its exit code stands.
    const lostSuccess = lost && record.status === 'succeeded';
    out.push({
      taskId,
      exitCode: record.exitCode,
      status: lostSuccess ? 'error' : record.status,
      ...(uri ? { uri } : {}),
      ...(record.error ? { error: record.error.name } : lostSuccess ? { error: 'OutputNotStored' } : {}),
    });
  }
  const deadline = deadlineOf(invocation.signal);
  if (deadline && out.some((r) => r.status === 'cancelled' || r.status === 'timed_out')) {
    throw batchOutOfTime(out, deadline.message);
  }
  return out;
}

/**
 * The `ExecTimeout` of a batch stopped by the invocation's deadline: a fan-out step value whose
 * `results` hold every target's small result (as many as fit in a Cause, the rest counted).
 */
function batchOutOfTime(results: BatchResult, why: string): TaskError {
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  const unfinished = results.filter((r) => r.status === 'cancelled' || r.status === 'timed_out').length;
  const value = {
    status: 'failed' as const,
    exitCode: null,
    outputs: { total: results.length, succeeded, failed: results.length - succeeded },
    error: {
      name: 'ExecTimeout' as const,
      message: `The batch ran out of time: ${why}; ${results.length - unfinished} of ${results.length} targets finished, ${unfinished} were interrupted or not started`,
      hint: 'Each target’s output so far is at its uri. Raise the exec function’s timeout, lower the step’s `timeout` or `batchSize`, or run long commands detached and poll for their result.',
    },
  };
  let kept = results.length;
  let message = JSON.stringify({ ...value, results });
  while (message.length > MAX_ERROR_MESSAGE_CHARS && kept > 0) {
    kept = Math.floor(kept / 2);
    message = JSON.stringify({
      ...value,
      results: results.slice(0, kept),
      resultsOmitted: results.length - kept,
    });
  }
  return new TaskError('ExecTimeout', message);
}

/** Describes the batch's tasks and builds a slot for each, in the batch's order. */
async function describeBatch(
  event: BatchEvent,
  deps: HandlerDeps,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Slot[]> {
  const described = new Map<string, SdkTask>();
  const clusterName = clusterNameOf(event.cluster);
  const failAll = (status: 'cancelled' | 'error', error: ExecErrorInfo): Slot[] =>
    event.taskIds.map((taskId) => ({
      taskId,
      record: { ...unreachedRecord(clusterName, taskId, event.container, clock.now(), error), status },
    }));
  try {
    for (let i = 0; i < event.taskIds.length; i += DESCRIBE_TASKS_BATCH) {
      const chunk = event.taskIds.slice(i, i + DESCRIBE_TASKS_BATCH);
      const out = await withRetries(
        () =>
          deps.ecs.send(new DescribeTasksCommand({ cluster: event.cluster, tasks: chunk }), {
            abortSignal: signal,
          }),
        {
          maxRetries: 5,
          backoff: { baseMs: 200, capMs: 5_000 },
          shouldRetry: (error) => classifyAwsError(error).retry === 'backoff',
          clock,
          ...(deps.random ? { random: deps.random } : {}),
          ...(signal ? { signal } : {}),
        },
      );
      for (const task of out.tasks ?? []) described.set(taskIdOf(task.taskArn ?? ''), task);
    }
  } catch (error) {
    if (signal?.aborted) {
      return failAll('cancelled', {
        name: 'SessionInterrupted',
        message: 'Not started: the batch was cancelled before its tasks were described',
        hint: 'Nothing ran in these containers.',
      });
    }
    const classified = classifyAwsError(error);
    return failAll('error', {
      name: classified.name,
      message: `DescribeTasks failed: ${classified.message}`,
      hint: awsErrorHint(classified, { cluster: event.cluster, selection: `${event.taskIds.length} tasks` }),
    });
  }

  return event.taskIds.map((taskId): Slot => {
    const task = described.get(taskId);
    if (task === undefined || task.lastStatus !== 'RUNNING') {
      const why = task === undefined ? 'was not found' : `is ${task.lastStatus ?? 'UNKNOWN'}`;
      return {
        taskId,
        record: unreachedRecord(clusterName, taskId, event.container, clock.now(), {
          name: 'NoTargets',
          message: `Task ${taskId} ${why} in cluster ${event.cluster}, no longer RUNNING since the fan-out's targets were chosen`,
          hint: hintFor('NoTargets', { cluster: event.cluster, selection: `task ${taskId}` }),
        }),
      };
    }
    try {
      // The task was found by this id, so the target's id (from its ARN) is the same.
      return {
        taskId,
        target: resolvedTargetOf(task, chooseContainer(task, event.container), event.cluster),
      };
    } catch (error) {
      if (!(error instanceof ExecError)) throw error;
      return {
        taskId,
        record: unreachedRecord(clusterName, taskId, event.container, clock.now(), error.toInfo()),
      };
    }
  });
}

/** The record of a target that never ran. */
function unreachedRecord(
  cluster: string,
  taskId: string,
  container: string | undefined,
  atMs: number,
  error: ExecErrorInfo,
): ExecResult {
  const at = new Date(atMs).toISOString();
  return {
    cluster,
    taskArn: '',
    taskId,
    container: container ?? '',
    containerArn: '',
    sessionId: null,
    exitCode: null,
    status: 'error',
    startedAt: at,
    endedAt: at,
    durationMs: 0,
    polls: 0,
    retries: 0,
    output: { tail: '', totalBytes: 0, truncated: false },
    interrupted: false,
    error,
  };
}
