/**
 * The core of `Runbook.CheckInput`, the first state of every compiled runbook: it types and
 * checks an execution's input before any step runs, with the code the CLI and the API use
 * (lib/runbook/parameters.ts), so a run started any other way (a schedule, the console, a
 * parent runbook on AWS) gets the same checks.
 */
import { type ParameterSpec, parameterProblems, TRIGGER_TYPES } from '../runbook/index.ts';
import { TaskError } from '../shared/errors.ts';
import type { CheckInputEvent, CheckInputFailure, JsonScalar, RunbookInput, TriggerInput } from './events.ts';
import { parseCheckInputEvent } from './parse-events.ts';

type Problem = CheckInputFailure['problems'][number];

/** Top-level keys an execution input may have; a parent runbook adds the last one. */
const INPUT_KEYS: ReadonlySet<string> = new Set([
  'params',
  'trigger',
  'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
]);

/** Each trigger sub-object and its fields, all strings and all required (the merge is shallow). */
const TRIGGER_OBJECTS: Readonly<Record<string, readonly string[]>> = {
  alarm: ['name', 'state', 'reason'],
  schedule: ['time'],
  api: ['caller'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function triggerProblems(trigger: unknown): Problem[] {
  if (!isObject(trigger)) {
    return [
      {
        code: 'INVALID_INPUT',
        field: 'trigger',
        message: `trigger must be an object, received ${shown(trigger)}`,
      },
    ];
  }
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(trigger)) {
    if (key === 'type') {
      if (!(TRIGGER_TYPES as readonly unknown[]).includes(value)) {
        problems.push({
          code: 'INVALID_INPUT',
          field: 'trigger.type',
          message: `trigger.type ${shown(value)} is not accepted; accepted: ${TRIGGER_TYPES.join(', ')}`,
        });
      }
      continue;
    }
    const fields = TRIGGER_OBJECTS[key];
    if (fields === undefined) {
      problems.push({
        code: 'INVALID_INPUT',
        field: `trigger.${key}`,
        message: `trigger has no field ${shown(key)}; accepted: type, ${Object.keys(TRIGGER_OBJECTS).join(', ')}`,
      });
      continue;
    }
    if (!isObject(value)) {
      problems.push({
        code: 'INVALID_INPUT',
        field: `trigger.${key}`,
        message: `trigger.${key} must be an object of ${fields.join(', ')}, received ${shown(value)}`,
      });
      continue;
    }
    for (const name of Object.keys(value)) {
      if (!fields.includes(name)) {
        problems.push({
          code: 'INVALID_INPUT',
          field: `trigger.${key}.${name}`,
          message: `trigger.${key} has no field ${shown(name)}; accepted: ${fields.join(', ')}`,
        });
      }
    }
    for (const name of fields) {
      if (typeof value[name] !== 'string') {
        problems.push({
          code: 'INVALID_INPUT',
          field: `trigger.${key}.${name}`,
          message: `trigger.${key}.${name} must be a string (give every field of trigger.${key}), received ${shown(value[name])}`,
        });
      }
    }
  }
  return problems;
}

/**
 * Every problem of an execution input against a runbook's declarations, at once; empty when
 * {@link checkRunbookInput} accepts it.
 */
export function runbookInputProblems(spec: ParameterSpec, input: unknown): Problem[] {
  if (input === undefined || input === null) return runbookInputProblems(spec, {});
  if (!isObject(input)) {
    return [
      {
        code: 'INVALID_INPUT',
        field: '$',
        message: `the execution input must be a JSON object, received ${shown(input)}`,
      },
    ];
  }
  const problems: Problem[] = [];
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.has(key)) {
      problems.push({
        code: 'INVALID_INPUT',
        field: key,
        message: `the execution input has no key ${shown(key)}; accepted: params, trigger`,
      });
    }
  }
  const params = input.params ?? {};
  if (!isObject(params)) {
    problems.push({
      code: 'INVALID_INPUT',
      field: 'params',
      message: `params must be an object, received ${shown(params)}`,
    });
  } else {
    for (const problem of parameterProblems(spec, params)) {
      problems.push({ code: problem.code, field: `params.${problem.parameter}`, message: problem.message });
    }
  }
  if (input.trigger !== undefined) problems.push(...triggerProblems(input.trigger));
  return problems;
}

/**
 * Types and checks the execution input of a run against the runbook's declarations and returns
 * it as the following states read it (`params` and `trigger` only).
 *
 * Throws a `TaskError` named `InvalidInput` whose message is a {@link CheckInputFailure} as JSON
 * (every problem, each naming its field), so the execution fails before any step runs.
 *
 * @example
 * await checkRunbookInput({ kind: 'checkInput', runbook: 'purge', parameters, input: { params: { days: 'a[$(x)]' } } });
 * // throws TaskError InvalidInput: {"runbook":"purge","problems":[{"code":"INVALID_PARAMETER","field":"params.days",…}]}
 */
export async function checkRunbookInput(event: CheckInputEvent): Promise<RunbookInput> {
  const spec: ParameterSpec = { name: event.runbook, parameters: event.parameters };
  const problems = runbookInputProblems(spec, event.input);
  if (problems.length > 0) {
    const failure: CheckInputFailure = { runbook: event.runbook, problems };
    throw new TaskError('InvalidInput', JSON.stringify(failure));
  }
  const input = (event.input ?? {}) as { params?: Record<string, JsonScalar>; trigger?: TriggerInput };
  return {
    ...(input.params !== undefined ? { params: input.params } : {}),
    ...(input.trigger !== undefined ? { trigger: input.trigger } : {}),
  };
}

/**
 * Serves the `${CheckInputFnArn}` Resource, for the Lambda and the local runner alike: parses
 * the event at the edge (an `InvalidInputError` names each field that does not match the shape
 * the compiler emits), then checks the execution input with {@link checkRunbookInput}.
 */
export async function invokeCheckInputFn(event: unknown): Promise<RunbookInput> {
  return checkRunbookInput(parseCheckInputEvent(event));
}
