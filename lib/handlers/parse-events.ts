/**
 * The parsers at the edge of the handler cores: each event of lib/handlers/events.ts enters as
 * `unknown` and leaves as its typed value, or as an `InvalidInputError` (./parse-input.ts) that
 * names every field that is wrong, the value received and what the field accepts. The approval
 * payload's parser is beside its handler (./approval-request.ts).
 *
 * The schemas check the shape the compiler emits (kinds, types, integer ranges, exactly one
 * selector key) and reject unknown keys, so a contract drift between lib/compiler and
 * lib/handlers fails loudly at the first invocation. Values a runbook resolves at run time (an
 * empty service name from a parameter, say) are not refused here: the cores turn those into
 * the step's task errors, which a runbook can catch.
 *
 * `zod/mini`: the same checks as `zod` at about 3 % of its bundle size in a Lambda.
 */
import * as z from 'zod/mini';
import { SELECTOR_KEYS } from '../exec/index.ts';
import type {
  BatchEvent,
  BatchTargetResult,
  CaptureSpec,
  CheckInputEvent,
  CheckInputParameter,
  ExecEvent,
  JsonScalar,
  RetrySpec,
  SummaryEvent,
  TargetsEvent,
} from './events.ts';
import { parseInput } from './parse-input.ts';

// ---------------------------------------------------------------------------------------------
// Pieces
// ---------------------------------------------------------------------------------------------

const text = z.string();
const count = z.int().check(z.minimum(0));
const positive = z.int().check(z.minimum(1));
const scalar: z.ZodMiniType<JsonScalar> = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const env = z.record(z.string(), scalar);

/** Fields of every step event. */
const base = {
  runbook: text,
  stepId: text,
  execution: text,
};

function selector<P extends z.ZodMiniType>(pick: P) {
  return z
    .strictObject({
      cluster: z.optional(text),
      task: z.optional(text),
      service: z.optional(text),
      family: z.optional(text),
      startedBy: z.optional(text),
      group: z.optional(text),
      pick: z.optional(pick),
      container: z.optional(text),
    })
    .check(
      z.refine((s) => SELECTOR_KEYS.filter((key) => s[key] !== undefined).length === 1, {
        message: `exactly one of ${SELECTOR_KEYS.join(', ')}`,
      }),
    );
}

const captureSpec: z.ZodMiniType<CaptureSpec> = z.strictObject({
  name: text,
  type: z.enum(['string', 'integer', 'number', 'boolean']),
  extract: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('regex'), pattern: text, group: z.union([count, text]) }),
    z.strictObject({ kind: z.literal('json'), path: text, segments: z.array(z.union([text, count])) }),
  ]),
  default: z.optional(z.union([z.string(), z.number(), z.boolean()])),
});

const retrySpec: z.ZodMiniType<RetrySpec> = z.strictObject({
  attempts: positive,
  intervalMs: z.number().check(z.minimum(0)),
  backoff: z.number().check(z.minimum(0)),
  maxIntervalMs: z.optional(z.number().check(z.minimum(0))),
});

const execStatus = z.enum(['succeeded', 'failed', 'error', 'timed_out', 'cancelled']);

const batchTargetResult: z.ZodMiniType<BatchTargetResult> = z.strictObject({
  taskId: text,
  exitCode: z.nullable(z.int()),
  status: execStatus,
  uri: z.optional(text),
  error: z.optional(text),
});

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const execEventObject = z.strictObject({
  kind: z.literal('exec'),
  ...base,
  target: selector(z.enum(['one', 'random'])),
  script: text,
  env,
  timeoutMs: positive,
  captures: z.array(captureSpec),
  stateTailBytes: count,
  outputBucket: text,
  retryCount: z.optional(count),
});

/** `${ExecFnArn}` with `kind: 'exec'`: a single-target step. */
export const execEventSchema: z.ZodMiniType<ExecEvent> = execEventObject;

const batchEventObject = z.strictObject({
  kind: z.literal('batch'),
  ...base,
  cluster: text,
  container: z.optional(text),
  taskIds: z.array(text),
  script: text,
  env,
  timeoutMs: positive,
  concurrency: positive,
  ratePerSecond: z.number().check(z.positive()),
  retry: z.optional(retrySpec),
  outputBucket: text,
});

/** `${ExecFnArn}` with `kind: 'batch'`: one batch of a fan-out's Map. */
export const batchEventSchema: z.ZodMiniType<BatchEvent> = batchEventObject;

/** `${TargetsFnArn}`: the first state of a fan-out. */
export const targetsEventSchema: z.ZodMiniType<TargetsEvent> = z.strictObject({
  kind: z.literal('targets'),
  ...base,
  target: selector(z.union([z.literal('all'), positive])),
  batchSize: positive,
  distributedThreshold: count,
  outputBucket: text,
});

/** `${FanOutSummaryFnArn}`: the last state of a fan-out. */
export const summaryEventSchema: z.ZodMiniType<SummaryEvent> = z.strictObject({
  kind: z.literal('summary'),
  ...base,
  fanOut: z.union([
    z.strictObject({ results: z.array(z.array(batchTargetResult)) }),
    // Step Functions' own shape: extra fields it may add are ignored.
    z.object({ resultWriterDetails: z.object({ Bucket: text, Key: text }) }),
  ]),
  toleratedFailures: z.union([
    z.strictObject({ count }),
    z.strictObject({ percent: z.number().check(z.minimum(0), z.maximum(100)) }),
  ]),
  maxListedFailures: count,
});

const checkInputParameter: z.ZodMiniType<CheckInputParameter> = z.strictObject({
  name: text,
  type: z.enum(['string', 'integer', 'number', 'boolean', 'enum']),
  required: z.boolean(),
  values: z.optional(z.array(text)),
  minimum: z.optional(z.number()),
  maximum: z.optional(z.number()),
  minLength: z.optional(count),
  maxLength: z.optional(count),
  pattern: z.optional(text),
});

/**
 * `${CheckInputFnArn}`: the first state of every runbook. `input` is the execution's input as
 * it came, whatever it holds: judging it is the core's job, which names each bad field.
 */
export const checkInputEventSchema: z.ZodMiniType<CheckInputEvent> = z.strictObject({
  kind: z.literal('checkInput'),
  runbook: text,
  parameters: z.array(checkInputParameter),
  input: z.unknown(),
});

/** Either event of `${ExecFnArn}`, told apart by `kind`. */
const execFnEventSchema: z.ZodMiniType<ExecEvent | BatchEvent> = z.discriminatedUnion('kind', [
  execEventObject,
  batchEventObject,
]);

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses the event of `${ExecFnArn}`: a single-target step ({@link ExecEvent}) or one batch of
 * a fan-out ({@link BatchEvent}).
 *
 * @throws InvalidInputError naming each field that does not match.
 */
export function parseExecFnEvent(input: unknown): ExecEvent | BatchEvent {
  return parseInput(execFnEventSchema, input, 'exec event');
}

/** Parses the event of `${TargetsFnArn}`. @throws InvalidInputError */
export function parseTargetsEvent(input: unknown): TargetsEvent {
  return parseInput(targetsEventSchema, input, 'targets event');
}

/** Parses the event of `${FanOutSummaryFnArn}`. @throws InvalidInputError */
export function parseSummaryEvent(input: unknown): SummaryEvent {
  return parseInput(summaryEventSchema, input, 'fan-out-summary event');
}

/** Parses the event of `${CheckInputFnArn}`. @throws InvalidInputError */
export function parseCheckInputEvent(input: unknown): CheckInputEvent {
  return parseInput(checkInputEventSchema, input, 'check-input event');
}
