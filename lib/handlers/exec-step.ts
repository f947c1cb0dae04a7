/**
 * The exec handler core for a single-target step (`${ExecFnArn}` with `kind: 'exec'`).
 */
import { hintFor, runExec } from '../exec/index.ts';
import { applyCaptures, CAPTURE_WINDOW_BYTES } from './capture.ts';
import type { HandlerDeps, HandlerInvocation } from './deps.ts';
import type { ExecEvent, ExecStepValue } from './events.ts';
import {
  deadlineOf,
  execFailure,
  exportEnv,
  failStep,
  INTERRUPT_DRAIN_MS,
  smallRecord,
  stepError,
} from './internal/values.ts';
import { OutputNotStoredError } from './output-store.ts';

/**
 * Runs a step's script in one target and returns the step's value.
 *
 * The whole output goes to the output store; the value keeps the record with its tail cut to
 * `stateTailBytes`, and `outputs` holding every capture (found, else `default`), read from the
 * last {@link CAPTURE_WINDOW_BYTES} of the output. A capture that finds nothing and has no
 * `default` fails the step with `CaptureFailed`, the reason in its message. When the command did not exit 0, throws a `TaskError` named after the record's error (CommandFailed, ExecTimeout,
 * SessionInterrupted, PreflightFailed, CaptureFailed, OutputNotStored or an AWS error name) whose message is the same value with
 * `status: 'failed'` and captures at their defaults; a failure of the selection (NoTargets, a
 * missing container, an AWS error of ListTasks/DescribeTasks) fails the step the same way,
 * without a record.
 *
 * When `invocation.signal` aborts with an `InvocationDeadline` (the Lambda wrapper's, before the
 * function's timeout), the command is sent Ctrl-C, its last output is read until the agent
 * closes the channel (at most {@link INTERRUPT_DRAIN_MS}), the output is published whole, and
 * the step fails with `ExecTimeout`: the value keeps the tail so far and `exitCode: null`.
 *
 * @example
 * const value = await runExecStep(event, { ecs, kms, outputStore: createDirectoryOutputStore(dir) });
 * value.outputs.percent; // a capture
 */
export async function runExecStep(
  event: ExecEvent,
  deps: HandlerDeps,
  invocation: HandlerInvocation = {},
): Promise<ExecStepValue> {
  const staged = await deps.outputStore.stage({
    bucket: event.outputBucket,
    runbook: event.runbook,
    execution: event.execution,
    stepId: event.stepId,
    attempt: (event.retryCount ?? 0) + 1,
    command: event.script,
  });
  const onResult = invocation.onResult;
  let results: Awaited<ReturnType<typeof runExec>>['results'];
  try {
    ({ results } = await runExec(
      {
        target: event.target,
        command: { script: event.script, env: exportEnv(event.env) },
        timeoutMs: event.timeoutMs,
        tailBytes: CAPTURE_WINDOW_BYTES,
        sinkDir: staged.dir,
        interruptDrainMs: INTERRUPT_DRAIN_MS,
        ...(invocation.signal ? { signal: invocation.signal } : {}),
        ...(onResult ? { onResult: (result) => onResult(result, 1) } : {}),
      },
      {
        ecs: deps.ecs,
        ...(deps.kms ? { kms: deps.kms } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.locks ? { locks: deps.locks } : {}),
      },
    ));
  } catch (error) {
    const deadline = deadlineOf(invocation.signal);
    const failure = deadline
      ? {
          name: 'ExecTimeout' as const,
          message: `Not started: ${deadline.message} while the step's target was being resolved`,
          hint: 'Nothing ran in any container. Raise the exec function’s timeout, or retry the step.',
        }
      : execFailure(error);
    throw failStep(failure.name, {
      status: 'failed',
      exitCode: null,
      outputs: applyCaptures(event.captures, undefined).values,
      error: failure,
    });
  }
  const [record] = results;
  if (record === undefined) {
    // runExec returns one record per resolved target and throws NoTargets for none.
    throw new Error(`runExec returned no record for step ${event.stepId}`);
  }
  let uri: string | undefined;
  try {
    uri = await staged.publish(record);
  } catch (error) {
    if (!(error instanceof OutputNotStoredError)) throw error;
    // The command ran: the value keeps its exit code and tail, the error says where the output is not.
    throw failStep('OutputNotStored', {
      status: 'failed',
      exitCode: record.exitCode,
      outputs: applyCaptures(event.captures, undefined).values,
      error: stepError({
        name: 'OutputNotStored',
        message: error.message,
        hint: hintFor('OutputNotStored', { detail: error.uri }),
      }),
      result: smallRecord(record, event.stateTailBytes, undefined),
    });
  }
  const result = smallRecord(record, event.stateTailBytes, uri);
  if (record.status === 'succeeded') {
    const captured = applyCaptures(event.captures, record.output.tail);
    if (captured.missing.length === 0) {
      return { status: 'succeeded', exitCode: record.exitCode, outputs: captured.values, result };
    }
    throw failStep('CaptureFailed', {
      status: 'failed',
      exitCode: record.exitCode,
      outputs: applyCaptures(event.captures, undefined).values,
      error: {
        name: 'CaptureFailed',
        message: `The command exited ${record.exitCode} but ${captured.missing
          .map((m) => `capture ${m.name} found nothing (${m.reason})`)
          .join('; ')}`,
        hint: 'Give the capture a `default`, or make the command print what it captures; its output tail is in the result.',
      },
      result,
    });
  }
  const error = record.error ?? {
    name: 'SessionInterrupted' as const,
    message: `The exec ended with status ${record.status} and no error`,
    hint: '',
  };
  // Out of time before the command started (polling a target that is not connected, say).
  const name = deadlineOf(invocation.signal) && record.status === 'cancelled' ? 'ExecTimeout' : error.name;
  throw failStep(name, {
    status: 'failed',
    exitCode: record.exitCode,
    outputs: applyCaptures(event.captures, undefined).values,
    error: stepError(error),
    result,
  });
}
