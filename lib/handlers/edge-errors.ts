/**
 * The last word on a failure at the edge: whatever escapes a handler core leaves the function as
 * a `TaskError` whose name is in the closed set (lib/shared/errors.ts) and whose message is a step
 * value as JSON, so a state machine's Catch always matches a known name, its parse path
 * (`States.StringToJson` of the message) always succeeds, and the reason is kept in the message.
 * docs/errors.md ("Errors at the edge") gives the mapping.
 */
import { classifyAwsError } from '../exec/index.ts';
import { isInvocationDeadline, TASK_ERROR_NAMES, TaskError, type TaskErrorName } from '../shared/index.ts';
import { applyCaptures } from './capture.ts';
import type { CaptureSpec, JsonScalar, StepError } from './events.ts';
import { MAX_ERROR_MESSAGE_CHARS } from './internal/values.ts';
import { InvalidInputError } from './parse-input.ts';

const NAMES: ReadonlySet<string> = new Set(TASK_ERROR_NAMES);

/** Bound on the original error's text kept in a mapped message. */
const MAX_TEXT_CHARS = 4_000;

/** Hints of the mapped errors that have none of their own. */
export const EDGE_ERROR_HINTS = {
  InvalidInput:
    'The function could not read its event: the state machine was compiled for another version of ' +
    'the functions than the one deployed. Deploy the stack again (`cdk deploy`) so both come from ' +
    'one build; the problems above name each field.',
  ServerException:
    'An unexpected error inside the function (a bug in ecs-runbooks, or a failure it does not ' +
    'classify); the stack trace is in the function’s log, on the line `step failed`. A step’s ' +
    '`retry` covers ServerException, so a retried step runs its command again.',
  ExecTimeout:
    'The Lambda invocation was about to reach its timeout before the function could finish. Raise ' +
    'the function’s timeout, or make the step do less per invocation.',
} as const;

/**
 * The task error that `error`, thrown by a core serving `event`, leaves the function as.
 *
 * - A `TaskError` (or any error) already named in the closed set with a JSON object as message
 *   is returned as it is; named in the set with another message (an `ExecError`, say), it keeps
 *   its name and gets a step value around its message and hint.
 * - After the invocation's deadline (`signal` aborted with an `InvocationDeadline`): `ExecTimeout`.
 * - `InvalidInputError` (an event that does not parse): `InvalidInput`, with every problem.
 * - An AWS SDK error (S3, SFN, SNS, ECS…): the name lib/exec gives it (one of ECS's seven
 *   names; a server fault, throttling or network failure `ServerException`, any other client
 *   fault `ClientException`), with the SDK's name in front of AWS's message.
 * - Anything else (a bug): `ServerException`, its name and message kept.
 *
 * @example
 * try { return await core(event); } catch (error) { throw toTaskError(error, event, signal); }
 */
export function toTaskError(error: unknown, event: unknown, signal?: AbortSignal): TaskError {
  const e = error instanceof Error ? error : new Error(String(error));
  if (NAMES.has(e.name)) {
    if (error instanceof TaskError && isJsonObject(e.message)) return error;
    if (isJsonObject(e.message)) return new TaskError(e.name as TaskErrorName, e.message, { cause: error });
    const own: unknown = (e as { hint?: unknown }).hint;
    const hint = typeof own === 'string' ? own : undefined;
    return failed(event, e.name as TaskErrorName, clip(e.message), hint, error);
  }
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  if (isInvocationDeadline(reason)) {
    return failed(
      event,
      'ExecTimeout',
      `Out of time: ${reason.message}, and the function stopped with ${describe(e)}`,
      EDGE_ERROR_HINTS.ExecTimeout,
      error,
    );
  }
  if (error instanceof InvalidInputError) {
    return failed(event, 'InvalidInput', clip(e.message), EDGE_ERROR_HINTS.InvalidInput, error, {
      problems: error.problems.slice(0, 50).map((p) => ({ field: p.field, message: clip(p.message) })),
    });
  }
  if (isAwsError(error)) {
    const classified = classifyAwsError(error);
    return failed(
      event,
      classified.name,
      clip(classified.message),
      `An AWS call of the function failed (${classified.awsName}); the message above is AWS's.`,
      error,
    );
  }
  return failed(
    event,
    'ServerException',
    `Internal error: ${describe(e)}`,
    EDGE_ERROR_HINTS.ServerException,
    error,
  );
}

/** A failed step value as the message of a task error. */
function failed(
  event: unknown,
  name: TaskErrorName,
  message: string,
  hint: string | undefined,
  cause: unknown,
  extra: Record<string, unknown> = {},
): TaskError {
  const stepErr: StepError = { name, message, ...(hint ? { hint } : {}) };
  const value = { status: 'failed', exitCode: null, outputs: outputsOf(event), error: stepErr, ...extra };
  let text = JSON.stringify(value);
  if (text.length > MAX_ERROR_MESSAGE_CHARS) {
    text = JSON.stringify({ ...value, ...(extra.problems ? { problems: [] } : {}) });
  }
  return new TaskError(name, text, { cause });
}

/**
 * The outputs a failed step's value carries: captures at their defaults for a single-target
 * exec event, zero counts for a fan-out's events, none otherwise.
 */
function outputsOf(event: unknown): Record<string, JsonScalar> {
  if (event === null || typeof event !== 'object') return {};
  const e = event as { kind?: unknown; captures?: unknown };
  if (e.kind === 'targets' || e.kind === 'summary' || e.kind === 'batch') {
    return { total: 0, succeeded: 0, failed: 0 };
  }
  if (e.kind === 'exec' && Array.isArray(e.captures)) {
    try {
      return applyCaptures(e.captures as CaptureSpec[], undefined).values;
    } catch {
      return {};
    }
  }
  return {};
}

function isJsonObject(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function isAwsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ('$metadata' in error || '$fault' in error);
}

function describe(error: Error): string {
  return clip(error.message === '' ? error.name : `${error.name}: ${error.message}`);
}

function clip(text: string): string {
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS)}…`;
}
