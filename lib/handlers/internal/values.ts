/**
 * Helpers the handler cores share: exporting `env` values, cutting tails, and encoding a failed
 * step's value as a task error's message.
 */
import { ExecError, type ExecErrorInfo, type ExecResult, ExecUsageError } from '../../exec/index.ts';
import {
  type InvocationDeadline,
  isInvocationDeadline,
  TaskError,
  type TaskErrorName,
} from '../../shared/index.ts';
import type { JsonScalar, StepError, StepValue } from '../events.ts';

/**
 * Step Functions cuts a `Cause` at 32,768 characters, and a cut Cause no longer parses as JSON;
 * the message stays below this so the envelope around it fits too.
 */
export const MAX_ERROR_MESSAGE_CHARS = 30_000;

/**
 * How long an interrupted command's last output is read after its Ctrl-C (the session waits for
 * the agent's `channel_closed`), so the output file holds every byte the agent sent. Well inside
 * the margin the Lambda wrappers leave before the function's timeout (15 s).
 */
export const INTERRUPT_DRAIN_MS = 5_000;

/** The invocation's deadline, when `signal` was aborted by it. */
export function deadlineOf(signal: AbortSignal | undefined): InvocationDeadline | undefined {
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  return isInvocationDeadline(reason) ? reason : undefined;
}

/** Bound on each text field of an error (AWS messages can be long). */
const MAX_ERROR_TEXT_CHARS = 4_000;

/** The text each `env` value is exported as: strings as they are, numbers `String(n)`, booleans `true`/`false`, null `''`. */
export function exportEnv(env: Readonly<Record<string, JsonScalar>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) out[name] = value === null ? '' : String(value);
  return out;
}

/**
 * The last `maxBytes` bytes of `text` in UTF-8, starting at a character boundary, and whether
 * anything was cut.
 */
export function cutTail(text: string, maxBytes: number): { readonly tail: string; readonly cut: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { tail: text, cut: false };
  let start = bytes.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) so the tail starts with a whole character.
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return { tail: bytes.subarray(start).toString('utf8'), cut: true };
}

/** A record with its tail cut to `maxBytes` and its `uri` set as published. */
export function smallRecord(result: ExecResult, maxBytes: number, uri: string | undefined): ExecResult {
  const { tail, cut } = cutTail(result.output.tail, maxBytes);
  const { uri: _staged, ...output } = result.output;
  return {
    ...result,
    output: { ...output, tail, truncated: result.output.truncated || cut, ...(uri ? { uri } : {}) },
  };
}

function clip(text: string): string {
  return text.length <= MAX_ERROR_TEXT_CHARS ? text : `${text.slice(0, MAX_ERROR_TEXT_CHARS)}…`;
}

/** A step error from an exec error record, its texts bounded. */
export function stepError(info: ExecErrorInfo | StepError): StepError {
  return { name: info.name, message: clip(info.message), ...(info.hint ? { hint: clip(info.hint) } : {}) };
}

/**
 * The `TaskError` that fails a step: `name` and the value as JSON. When the JSON would not fit
 * in a Cause, the value's tail is halved until it does.
 */
export function failStep<V extends StepValue & { readonly result?: ExecResult }>(
  name: TaskErrorName,
  value: V,
): TaskError {
  let current: V = value;
  let message = JSON.stringify(current);
  while (message.length > MAX_ERROR_MESSAGE_CHARS && current.result && current.result.output.tail !== '') {
    const bytes = Buffer.byteLength(current.result.output.tail, 'utf8');
    current = {
      ...current,
      result: smallRecord(current.result, Math.floor(bytes / 2), current.result.output.uri),
    };
    message = JSON.stringify(current);
  }
  return new TaskError(name, message);
}

/**
 * What a failure of lib/exec as a whole becomes: an {@link ExecError} keeps its task error name;
 * an {@link ExecUsageError} (the step's target or values resolved to something no request can
 * carry, such as an empty service name) becomes InvalidParameterException, ECS's name for the
 * same refusal. Anything else is a broken invariant and is rethrown.
 */
export function execFailure(error: unknown): StepError & { readonly name: TaskErrorName } {
  if (error instanceof ExecError) return { ...stepError(error.toInfo()), name: error.name };
  if (error instanceof ExecUsageError) {
    return {
      name: 'InvalidParameterException',
      message: clip(error.message),
      hint: 'The step’s target or values, as resolved at run time, cannot form a request; check the parameters they come from.',
    };
  }
  throw error;
}
