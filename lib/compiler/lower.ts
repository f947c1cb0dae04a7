/**
 * Stage 3: the runbook model to an ASL definition object (JSONPath, `${Placeholder}` tokens).
 * Pure and deterministic: the same model always gives the same object, keys in the same order.
 *
 * Shape (docs/compiler.md has the whole picture):
 *
 * ```text
 * Runbook.Start → Runbook.Input → Runbook.Params      normalise input, merge defaults, init steps
 *   → <step> → <step> → …                              one fragment per step, in order
 *   → Runbook.Outputs                                  { outputs, steps } is the execution output
 * ```
 *
 * State names derive from step ids (`usage`, `purge.Batches`, `purge.Summary`); step ids are
 * identifiers, so a `.` suffix can never collide with another step's name.
 */

import { rewriteCommand } from '../runbook/commands.ts';
import type {
  ApprovalStep,
  Capture,
  ExecStep,
  ExecTarget,
  FailStep,
  NotifyStep,
  ParallelStep,
  Pick,
  Retry,
  Runbook,
  RunbookStep,
  Step,
  SucceedStep,
  WaitStep,
} from '../runbook/model.ts';
import { allSteps } from '../runbook/walk.ts';
import { formatDuration } from '../shared/duration.ts';
import { RETRYABLE_TASK_ERROR_NAMES, TASK_ERROR_NAMES, type TaskErrorName } from '../shared/errors.ts';
import type { AslDefinition, AslState, AslStates, Json, JsonObject } from './asl.ts';
import { lowerCondition } from './choice.ts';
import { CompileError } from './errors.ts';
import {
  initialSteps,
  memberPath,
  notRunOutputs,
  parameterDefaults,
  referencePath,
  stepPath,
  succeededValue,
  triggerDefaults,
} from './layout.ts';
import { type CompileOptions, type ResolvedCompileOptions, resolveCompileOptions } from './options.ts';
import { placeholderToken, runbookArnPlaceholder } from './placeholders.ts';
import { referencedOutputs } from './references.ts';
import { argumentValue, setField, templateValue } from './values.ts';

/** Names of the states every definition has. */
export const FIXED_STATE_NAMES = {
  start: 'Runbook.Start',
  input: 'Runbook.Input',
  params: 'Runbook.Params',
  outputs: 'Runbook.Outputs',
} as const;

/** Inline Map iterations at once: Step Functions' limit. */
export const MAX_INLINE_MAP_CONCURRENCY = 40;

/** Distributed Map child executions at once we allow: the account's default Lambda concurrency. */
export const MAX_DISTRIBUTED_MAP_CONCURRENCY = 1000;

/**
 * Seconds added to a command's own timeout for a Task's `TimeoutSeconds` backstop.
 *
 * The handler spends time before the command's timeout starts and after it ends: up to 60 s
 * polling TargetNotConnectedException, 15 s opening the data channel, bounded Throttling and
 * Server retries (5 × at most 5 s), a Ctrl-C grace and the agent's 2 s drain. The backstop must
 * not fire before the handler reports its own, clearer error (ExecTimeout with the output tail,
 * TargetNotConnected with its causes), so it leaves room for all of them.
 */
export const TIMEOUT_BACKSTOP_MARGIN_SECONDS = 180;

const LAMBDA_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';
const S3_PUT_OBJECT = 'arn:aws:states:::s3:putObject';
const EXECUTION_ID = '$$.Execution.Id';

type Named = [string, AslState];

/** A step's states: where it starts and what it adds. */
interface Fragment {
  readonly entry: string;
  readonly states: readonly Named[];
}

/** Where steps that end a list go. */
interface Exits {
  /** Target of a `succeed` step: the outputs state, or the end of the current branch. */
  readonly succeed: string;
  /**
   * Inside a branch of a parallel step that catches its branches' failures: that step and the
   * end of the branch. A failure nobody in the branch handles is recorded there instead of
   * failing the branch, so the branch's step values survive. Undefined where failures raise.
   */
  readonly escalate?: Escalation;
}

/** Where an unhandled failure inside a catching parallel branch goes. */
interface Escalation {
  readonly parallel: ParallelStep;
  /** The branch's last state. */
  readonly end: string;
}

interface Context {
  readonly runbook: Runbook;
  readonly options: ResolvedCompileOptions;
  readonly referenced: ReadonlyMap<string, ReadonlySet<string>>;
}

/** How a catchable state's errors are routed. */
interface Failure {
  /** Where the run goes on after the step failed; undefined when onFailure is `fail`. */
  readonly after: string | undefined;
  /** The `Catch` of a state whose errors carry a step value (`parse`), or of any other state. */
  catches(parse?: readonly string[]): Json[] | undefined;
  /** The states the catches lead to (built once all catches are known). */
  states(): Named[];
}

/**
 * Lowers a validated runbook to an ASL definition object.
 *
 * @example
 * ```ts
 * const definition = lowerRunbook(runbook);
 * definition.States['Runbook.Outputs']; // { Type: 'Pass', Parameters: { outputs: {…}, 'steps.$': '$.steps' }, End: true }
 * ```
 */
export function lowerRunbook(runbook: Runbook, options?: CompileOptions): AslDefinition {
  const ctx: Context = {
    runbook,
    options: resolveCompileOptions(options),
    referenced: referencedOutputs(runbook),
  };
  const { start, input, params, outputs } = FIXED_STATE_NAMES;
  const body = lowerSteps(ctx, runbook.steps, outputs, { succeed: outputs });
  const states: Named[] = [
    [
      start,
      {
        Type: 'Pass',
        Comment: 'Normalise the execution input: params and trigger may be absent.',
        Parameters: { base: { params: {}, trigger: {} }, 'input.$': '$' },
        Next: input,
      },
    ],
    [
      input,
      {
        Type: 'Pass',
        Comment: 'Parameter defaults, trigger fields of a manual start, every step not run yet.',
        Parameters: {
          params: parameterDefaults(runbook),
          trigger: triggerDefaults(),
          steps: initialSteps(runbook, ctx.referenced),
          'input.$': 'States.JsonMerge($.base, $.input, false)',
        },
        Next: params,
      },
    ],
    [
      params,
      {
        Type: 'Pass',
        Comment: 'The given params and trigger over the defaults.',
        Parameters: {
          'params.$': 'States.JsonMerge($.params, $.input.params, false)',
          'trigger.$': 'States.JsonMerge($.trigger, $.input.trigger, false)',
          'steps.$': '$.steps',
        },
        Next: body.entry,
      },
    ],
    ...body.states,
    [outputs, outputsState(runbook)],
  ];
  const comment = runbook.description ? `${runbook.name}: ${runbook.description}` : runbook.name;
  const definition: AslDefinition = { Comment: comment, StartAt: start, States: toStates(states) };
  assertUniqueNames(definition, new Set());
  return definition;
}

/** Step Functions wants state names unique across the whole definition, branches included. */
function assertUniqueNames(machine: AslStates, seen: Set<string>): void {
  for (const [name, state] of Object.entries(machine.States)) {
    if (seen.has(name))
      throw new CompileError('INVALID_MODEL', `two states are named "${name}"; step ids must be unique`);
    seen.add(name);
    if (state.Type === 'Parallel')
      for (const branch of state.Branches as AslStates[]) assertUniqueNames(branch, seen);
    if (state.Type === 'Map') assertUniqueNames(state.ItemProcessor as AslStates, seen);
  }
}

function toStates(states: readonly Named[]): AslStates['States'] {
  const out: AslStates['States'] = {};
  for (const [name, state] of states) {
    if (name in out)
      throw new CompileError('INVALID_MODEL', `two states are named "${name}"; step ids must be unique`);
    if (name.length > 80) {
      throw new CompileError(
        'INVALID_MODEL',
        `state name "${name}" is longer than Step Functions' 80 characters`,
      );
    }
    out[name] = state;
  }
  return out;
}

function outputsState(runbook: Runbook): AslState {
  const outputs: JsonObject = {};
  for (const output of runbook.outputs) setField(outputs, output.name, argumentValue(output.value));
  return { Type: 'Pass', Parameters: { outputs, 'steps.$': '$.steps' }, End: true };
}

function lowerSteps(ctx: Context, steps: readonly Step[], next: string, exits: Exits): Fragment {
  // Built from the last step back, since each step needs its successor's entry state.
  const fragments: Fragment[] = [];
  let entry = next;
  for (let i = steps.length - 1; i >= 0; i--) {
    const fragment = lowerStep(ctx, steps[i] as Step, entry, exits);
    fragments.unshift(fragment);
    entry = fragment.entry;
  }
  return { entry, states: fragments.flatMap((f) => f.states) };
}

function lowerStep(ctx: Context, step: Step, next: string, exits: Exits): Fragment {
  const rule = step.when ? lowerCondition(step.when.expr) : true;
  // A skipped step leaves its initial value (status 'skipped') untouched.
  if (rule === false) return { entry: next, states: [] };
  const body = lowerBody(ctx, step, next, exits);
  if (rule === true) return body;
  const name = `${step.id}.When`;
  const choice: AslState = {
    Type: 'Choice',
    Comment: `when: ${step.when?.source ?? ''}`,
    Choices: [{ ...rule, Next: body.entry }],
    Default: next,
  };
  return { entry: name, states: [[name, choice], ...body.states] };
}

function lowerBody(ctx: Context, step: Step, next: string, exits: Exits): Fragment {
  switch (step.kind) {
    case 'exec':
      return step.target.fanOut ? lowerFanOut(ctx, step, next, exits) : lowerExec(ctx, step, next, exits);
    case 'approval':
      return lowerApproval(ctx, step, next, exits);
    case 'notify':
      return lowerNotify(ctx, step, next, exits);
    case 'wait':
      return lowerWait(step, next);
    case 'parallel':
      return lowerParallel(ctx, step, next, exits);
    case 'runbook':
      return lowerChild(ctx, step, next, exits);
    case 'fail':
      return exits.escalate ? lowerCaughtFail(ctx, step, exits.escalate) : lowerFail(step);
    case 'succeed':
      return lowerSucceed(step, exits);
  }
}

// ---------------------------------------------------------------------------------------------
// Failure routing: Retry and Catch
// ---------------------------------------------------------------------------------------------

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The longest total wait between the tries of a retry policy (whole seconds, rounded up). */
function retryWaitSeconds(
  retry: { attempts: number; intervalMs: number; backoff: number; maxIntervalMs?: number } | undefined,
): number {
  if (!retry) return 0;
  let totalMs = 0;
  for (let i = 0; i < retry.attempts - 1; i++) {
    const wait = retry.intervalMs * retry.backoff ** i;
    totalMs += retry.maxIntervalMs === undefined ? wait : Math.min(wait, retry.maxIntervalMs);
  }
  return Math.ceil(totalMs / 1000);
}

/** A step's `retry` as one Retrier on `errors`; undefined when it allows a single try. */
function retriers(retry: Retry | undefined, errors: readonly string[]): Json[] | undefined {
  if (!retry || retry.attempts <= 1) return undefined;
  const retrier: JsonObject = {
    ErrorEquals: [...errors],
    IntervalSeconds: seconds(retry.intervalMs),
    MaxAttempts: retry.attempts - 1,
    BackoffRate: retry.backoff,
  };
  if (retry.maxIntervalMs !== undefined) retrier.MaxDelaySeconds = seconds(retry.maxIntervalMs);
  return [retrier];
}

/**
 * The catch path of a step whose onFailure is not `fail`.
 *
 * Errors raised by our handlers carry the step's value as JSON in the `errorMessage` of the
 * envelope in `Cause`: `<id>.Caught` parses the envelope, `<id>.Parsed` the value, and
 * `<id>.Failed` moves it into `$.steps.<id>` (InputPath picks it, ResultPath writes it over the
 * raw input). Any other error (`States.Timeout`, a Lambda crash) goes to `<id>.Errored`, which
 * records `status: 'failed'` and the error's name and cause. Both continue with `next` or with
 * the onFailure steps, which then continue with `next`. A step whose onFailure is `fail` gets the
 * same path inside a catching parallel branch (`exits.escalate`), ending in `<id>.Unhandled`.
 */
function failureRouting(ctx: Context, step: Step, next: string, exits: Exits): Failure {
  const escalate = step.onFailure.kind === 'fail' ? exits.escalate : undefined;
  if (step.onFailure.kind === 'fail' && !escalate)
    return { after: undefined, catches: () => undefined, states: () => [] };
  const id = step.id;
  const path = stepPath(id);
  const errorPath = memberPath(path, 'error');
  const handler =
    step.onFailure.kind === 'steps' ? lowerSteps(ctx, step.onFailure.steps, next, exits) : undefined;
  const names = {
    caught: `${id}.Caught`,
    parsed: `${id}.Parsed`,
    failed: `${id}.Failed`,
    errored: `${id}.Errored`,
    unhandled: `${id}.Unhandled`,
  };
  const after = handler ? handler.entry : escalate ? names.unhandled : next;
  let parses = false;
  return {
    after,
    catches(parse) {
      const catches: Json[] = [];
      if (parse) {
        parses = true;
        catches.push({ ErrorEquals: [...parse], ResultPath: errorPath, Next: names.caught });
      }
      catches.push({ ErrorEquals: ['States.ALL'], ResultPath: errorPath, Next: names.errored });
      return catches;
    },
    states() {
      const states: Named[] = [];
      if (parses) {
        states.push(
          [
            names.caught,
            {
              Type: 'Pass',
              Parameters: { 'envelope.$': `States.StringToJson(${memberPath(errorPath, 'Cause')})` },
              ResultPath: path,
              Next: names.parsed,
            },
          ],
          [
            names.parsed,
            {
              Type: 'Pass',
              Parameters: { 'value.$': `States.StringToJson(${memberPath(path, 'envelope')}.errorMessage)` },
              ResultPath: path,
              Next: names.failed,
            },
          ],
          [
            names.failed,
            { Type: 'Pass', InputPath: memberPath(path, 'value'), ResultPath: path, Next: after },
          ],
        );
      }
      states.push([
        names.errored,
        {
          Type: 'Pass',
          Parameters: {
            status: 'failed',
            exitCode: null,
            outputs: notRunOutputs(step, ctx.referenced.get(id)),
            error: { 'name.$': memberPath(errorPath, 'Error'), 'message.$': memberPath(errorPath, 'Cause') },
          },
          ResultPath: path,
          Next: after,
        },
      ]);
      if (handler) states.push(...handler.states);
      if (escalate) states.push([names.unhandled, escalation(ctx, escalate, path)]);
      return states;
    },
  };
}

/**
 * Records an unhandled failure in a catching parallel branch: the enclosing parallel step's value
 * in the branch becomes failed with the error of the step value at `from`, and the branch ends.
 */
function escalation(ctx: Context, escalate: Escalation, from: string): AslState {
  const { parallel, end } = escalate;
  return {
    Type: 'Pass',
    Comment: `Unhandled: fails ${parallel.id} once its branches have ended.`,
    Parameters: {
      status: 'failed',
      exitCode: null,
      outputs: notRunOutputs(parallel, ctx.referenced.get(parallel.id)),
      'error.$': memberPath(from, 'error'),
    },
    ResultPath: stepPath(parallel.id),
    Next: end,
  };
}

/** Adds `Retry` and `Catch` when present, then `Next`, keeping the field order stable. */
function finish(state: AslState, fields: { retry?: Json[]; catches?: Json[]; next: string }): AslState {
  if (fields.retry) state.Retry = fields.retry;
  if (fields.catches) state.Catch = fields.catches;
  state.Next = fields.next;
  return state;
}

function withComment(step: Step, state: AslState): AslState {
  if (step.name === undefined) return state;
  const { Type, ...rest } = state;
  return { Type, Comment: step.name, ...rest };
}

// ---------------------------------------------------------------------------------------------
// exec
// ---------------------------------------------------------------------------------------------

function eventBase(ctx: Context, kind: string, step: Step): JsonObject {
  return { kind, runbook: ctx.runbook.name, stepId: step.id, 'execution.$': EXECUTION_ID };
}

function pickValue(pick: Pick): Json {
  return pick.kind === 'count' ? pick.count : pick.kind;
}

function targetSelector(target: ExecTarget, pick: Json): JsonObject {
  const selector: JsonObject = {};
  if (target.cluster) setField(selector, 'cluster', templateValue(target.cluster, { asString: true }));
  setField(selector, target.selector, templateValue(target.value, { asString: true }));
  selector.pick = pick;
  if (target.container) setField(selector, 'container', templateValue(target.container, { asString: true }));
  return selector;
}

/** The rewritten script and the `env` field binding each of its variables to a state path. */
function scriptAndEnv(step: ExecStep): { script: string; env: JsonObject } {
  const rewritten = rewriteCommand(step.command);
  const env: JsonObject = {};
  for (const variable of rewritten.variables) env[`${variable.name}.$`] = referencePath(variable.reference);
  return { script: rewritten.script, env };
}

function captureSpec(capture: Capture): JsonObject {
  const extract: JsonObject =
    capture.extract.kind === 'regex'
      ? { kind: 'regex', pattern: capture.extract.pattern, group: capture.extract.group }
      : { kind: 'json', path: capture.extract.path, segments: [...capture.extract.segments] };
  const spec: JsonObject = { name: capture.name, type: capture.type, extract };
  if (capture.default !== undefined) spec.default = capture.default;
  return spec;
}

function lowerExec(ctx: Context, step: ExecStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const { script, env } = scriptAndEnv(step);
  // A single target: `task`, `one`, `random` or `1` (the same as `one`).
  const pick = step.target.pick.kind === 'random' ? 'random' : 'one';
  const task: AslState = {
    Type: 'Task',
    Resource: placeholderToken('ExecFnArn'),
    Parameters: {
      ...eventBase(ctx, 'exec', step),
      target: targetSelector(step.target, pick),
      script,
      env,
      timeoutMs: step.timeout.ms,
      captures: step.captures.map(captureSpec),
      stateTailBytes: ctx.options.stateTailBytes,
      outputBucket: placeholderToken('OutputBucket'),
    },
    TimeoutSeconds: seconds(step.timeout.ms) + TIMEOUT_BACKSTOP_MARGIN_SECONDS,
    ResultPath: stepPath(step.id),
  };
  const state = finish(withComment(step, task), {
    retry: retriers(step.retry, RETRYABLE_TASK_ERROR_NAMES),
    catches: failure.catches(TASK_ERROR_NAMES),
    next,
  });
  return { entry: step.id, states: [[step.id, state], ...failure.states()] };
}

/** How a fan-out's targets run: see {@link splitConcurrency}. */
export interface ConcurrencySplit {
  /** Targets per batch (one exec invocation); every target of a batch runs at once. */
  readonly batchSize: number;
  /** Inline Map iterations at once. */
  readonly mapConcurrency: number;
  /** Distributed Map child executions at once. */
  readonly distributedConcurrency: number;
}

/**
 * How a fan-out's `concurrency` (targets at once) splits into Map iterations × targets per
 * batch. A batch runs all its targets at once, so an invocation lasts about one command (Lambda
 * stops at 900 s), and never more than `concurrency` targets run in all:
 *
 * - inline Map iterations = min(40, ⌈concurrency / batchSize⌉);
 * - targets per batch = min(batchSize, ⌊concurrency / iterations⌋);
 * - Distributed Map children = min(1000, ⌊concurrency / targets per batch⌋).
 *
 * So an inline Map runs at most 40 × batchSize targets at once (1,000 by default).
 */
export function splitConcurrency(concurrency: number, batchSize: number): ConcurrencySplit {
  const mapConcurrency = Math.max(
    1,
    Math.min(MAX_INLINE_MAP_CONCURRENCY, Math.ceil(concurrency / batchSize)),
  );
  const perBatch = Math.max(1, Math.min(batchSize, Math.floor(concurrency / mapConcurrency)));
  const distributedConcurrency = Math.max(
    1,
    Math.min(MAX_DISTRIBUTED_MAP_CONCURRENCY, Math.floor(concurrency / perBatch)),
  );
  return { batchSize: perBatch, mapConcurrency, distributedConcurrency };
}

function lowerFanOut(ctx: Context, step: ExecStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const failure = failureRouting(ctx, step, next, exits);
  const names = {
    route: `${id}.Route`,
    batches: `${id}.Batches`,
    batch: `${id}.Batch`,
    distributed: `${id}.Distributed`,
    distBatch: `${id}.DistBatch`,
    summary: `${id}.Summary`,
  };
  const { target } = step;
  const { script, env } = scriptAndEnv(step);
  const split = splitConcurrency(target.concurrency, target.batchSize);

  const targets = finish(
    withComment(step, {
      Type: 'Task',
      Resource: placeholderToken('TargetsFnArn'),
      Parameters: {
        ...eventBase(ctx, 'targets', step),
        target: targetSelector(target, pickValue(target.pick)),
        batchSize: split.batchSize,
        distributedThreshold: ctx.options.distributedMapThreshold,
        outputBucket: placeholderToken('OutputBucket'),
      },
      ResultPath: path,
    }),
    {
      retry: retriers(step.retry, RETRYABLE_TASK_ERROR_NAMES),
      catches: failure.catches(TASK_ERROR_NAMES),
      next: names.route,
    },
  );

  const route: AslState = {
    Type: 'Choice',
    Comment: 'Inline Map when the targets handler kept the batches in the state, else a Distributed Map.',
    Choices: [{ Variable: memberPath(path, 'batches'), IsPresent: true, Next: names.batches }],
    Default: names.distributed,
  };

  const itemSelector = (mapConcurrency: number): JsonObject => {
    const selector: JsonObject = {
      ...eventBase(ctx, 'batch', step),
      'cluster.$': memberPath(path, 'cluster'),
    };
    if (target.container)
      setField(selector, 'container', templateValue(target.container, { asString: true }));
    selector['taskIds.$'] = '$$.Map.Item.Value';
    selector.script = script;
    selector.env = env;
    selector.timeoutMs = step.timeout.ms;
    selector.concurrency = split.batchSize;
    selector.ratePerSecond =
      Math.floor((ctx.options.execRatePerSecond / mapConcurrency) * 1000) / 1000 || 0.001;
    if (step.retry && step.retry.attempts > 1) {
      const retry: JsonObject = {
        attempts: step.retry.attempts,
        intervalMs: step.retry.intervalMs,
        backoff: step.retry.backoff,
      };
      if (step.retry.maxIntervalMs !== undefined) retry.maxIntervalMs = step.retry.maxIntervalMs;
      selector.retry = retry;
    }
    selector.outputBucket = placeholderToken('OutputBucket');
    return selector;
  };
  const batchTask: AslState = {
    Type: 'Task',
    Resource: placeholderToken('ExecFnArn'),
    // Every try of a target may run to its timeout, with the retry waits between tries.
    TimeoutSeconds:
      (seconds(step.timeout.ms) + TIMEOUT_BACKSTOP_MARGIN_SECONDS) * Math.max(1, step.retry?.attempts ?? 1) +
      retryWaitSeconds(step.retry),
    End: true,
  };

  const batches = finish(
    {
      Type: 'Map',
      ItemsPath: memberPath(path, 'batches'),
      ItemSelector: itemSelector(split.mapConcurrency),
      MaxConcurrency: split.mapConcurrency,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: names.batch,
        States: { [names.batch]: batchTask },
      },
      ResultSelector: { 'results.$': '$' },
      ResultPath: path,
    },
    { catches: failure.catches(), next: names.summary },
  );

  const items = memberPath(path, 'items');
  const distributed = finish(
    {
      Type: 'Map',
      ItemReader: {
        Resource: S3_GET_OBJECT,
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': `${items}.bucket`, 'Key.$': `${items}.key` },
      },
      ItemSelector: itemSelector(split.distributedConcurrency),
      MaxConcurrency: split.distributedConcurrency,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: names.distBatch,
        States: { [names.distBatch]: { ...batchTask } },
      },
      ResultWriter: {
        Resource: S3_PUT_OBJECT,
        Parameters: { 'Bucket.$': `${items}.bucket`, 'Prefix.$': `${items}.resultPrefix` },
      },
      ResultSelector: { 'resultWriterDetails.$': '$.ResultWriterDetails' },
      ResultPath: path,
    },
    { catches: failure.catches(), next: names.summary },
  );

  const tolerated = target.toleratedFailures;
  const summary = finish(
    {
      Type: 'Task',
      Resource: placeholderToken('FanOutSummaryFnArn'),
      Parameters: {
        ...eventBase(ctx, 'summary', step),
        'fanOut.$': path,
        toleratedFailures:
          tolerated.kind === 'count' ? { count: tolerated.count } : { percent: tolerated.percent },
        maxListedFailures: ctx.options.maxListedFailures,
      },
      ResultPath: path,
    },
    { catches: failure.catches(TASK_ERROR_NAMES), next },
  );

  return {
    entry: id,
    states: [
      [id, targets],
      [names.route, route],
      [names.batches, batches],
      [names.distributed, distributed],
      [names.summary, summary],
      ...failure.states(),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// approval, notify, wait
// ---------------------------------------------------------------------------------------------

const APPROVAL_REJECTED: TaskErrorName = 'ApprovalRejected';

/**
 * An approval: the approval function gets the task token; the decision (SendTaskSuccess or
 * SendTaskFailure `ApprovalRejected`) ends the state. When nobody decides in time, AWS raises
 * `States.Timeout`; `<id>.TimedOut` turns that into the rejection the language promises, then
 * fails the run (`<id>.Rejected`) or goes on as onFailure says.
 */
function lowerApproval(ctx: Context, step: ApprovalStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const failure = failureRouting(ctx, step, next, exits);
  const names = { timedOut: `${id}.TimedOut`, rejected: `${id}.Rejected` };
  const timedOut = `no decision within ${formatDuration(step.timeout.ms)}`;
  const payload: JsonObject = { ...eventBase(ctx, 'approval', step), 'taskToken.$': '$$.Task.Token' };
  setField(payload, 'message', templateValue(step.message, { asString: true }));
  payload.approvers = [...step.approvers];
  payload.timeoutMs = step.timeout.ms;
  const catches: Json[] = [
    { ErrorEquals: ['States.Timeout'], ResultPath: memberPath(path, 'error'), Next: names.timedOut },
    ...(failure.catches([APPROVAL_REJECTED]) ?? []),
  ];
  const task = finish(
    withComment(step, {
      Type: 'Task',
      Resource: LAMBDA_WAIT_FOR_TOKEN,
      Parameters: { FunctionName: placeholderToken('ApprovalFnArn'), Payload: payload },
      TimeoutSeconds: seconds(step.timeout.ms),
      ResultSelector: succeededValue({ 'approvedBy.$': '$.approvedBy', 'comment.$': '$.comment' }),
      ResultPath: path,
    }),
    { catches, next },
  );
  const states: Named[] = [
    [id, task],
    [
      names.timedOut,
      {
        Type: 'Pass',
        Parameters: {
          status: 'failed',
          exitCode: null,
          outputs: notRunOutputs(step, ctx.referenced.get(id)),
          error: {
            name: APPROVAL_REJECTED,
            message: timedOut,
            hint: 'approve or reject sooner, or give the approval a longer timeout',
          },
        },
        ResultPath: path,
        Next: failure.after ?? names.rejected,
      },
    ],
  ];
  if (failure.after === undefined)
    states.push([names.rejected, { Type: 'Fail', Error: APPROVAL_REJECTED, Cause: timedOut }]);
  return { entry: id, states: [...states, ...failure.states()] };
}

function lowerNotify(ctx: Context, step: NotifyStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const parameters: JsonObject = {};
  setField(parameters, 'TopicArn', templateValue(step.topic, { asString: true }));
  setField(parameters, 'Message', templateValue(step.message, { asString: true }));
  if (step.subject) setField(parameters, 'Subject', templateValue(step.subject, { asString: true }));
  const task = finish(
    withComment(step, {
      Type: 'Task',
      Resource: SNS_PUBLISH,
      Parameters: parameters,
      ResultSelector: succeededValue(),
      ResultPath: stepPath(step.id),
    }),
    // SNS errors are not our task errors; States.TaskFailed matches every failure but a timeout.
    { retry: retriers(step.retry, ['States.TaskFailed']), catches: failure.catches(), next },
  );
  return { entry: step.id, states: [[step.id, task], ...failure.states()] };
}

function lowerWait(step: WaitStep, next: string): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const done = `${id}.Done`;
  const states: Named[] = [];
  const wait: AslState = withComment(step, { Type: 'Wait' });
  if (step.wait.kind === 'duration') {
    wait.Seconds = Math.ceil(step.wait.duration.ms / 1000);
  } else {
    const value = templateValue(step.wait.until, { asString: true });
    if ('literal' in value) wait.Timestamp = String(value.literal);
    else if (value.dynamic.startsWith('$')) wait.TimestampPath = value.dynamic;
    else {
      // Wait takes a path, not an intrinsic: compute the timestamp into the step's slot first.
      const until = `${id}.Until`;
      states.push([
        until,
        { Type: 'Pass', Parameters: { 'until.$': value.dynamic }, ResultPath: path, Next: id },
      ]);
      wait.TimestampPath = memberPath(path, 'until');
    }
  }
  wait.Next = done;
  states.push([id, wait], [done, { Type: 'Pass', Result: succeededValue(), ResultPath: path, Next: next }]);
  // A Wait has no Catch: an onFailure on a wait step has nothing to route.
  return { entry: (states[0] as Named)[0], states };
}

// ---------------------------------------------------------------------------------------------
// parallel, runbook, fail, succeed
// ---------------------------------------------------------------------------------------------

/**
 * A parallel step. When a branch failure would only fail the run (onFailure `fail` where
 * failures raise), the branches fail as Step Functions does and the others stop. Otherwise the
 * parallel catches: a branch never fails, each unhandled failure in it is recorded as the step's
 * failed value and as this step's failed value in the branch (`escalation`), the branch ends, and
 * after all branches `<id>.Check` routes to the failure handling with their step values merged.
 */
function lowerParallel(ctx: Context, step: ParallelStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const merge = `${id}.Merge`;
  const catching = step.onFailure.kind !== 'fail' || exits.escalate !== undefined;
  const failure = failureRouting(ctx, step, next, exits);
  const values: JsonObject = { [id]: succeededValue() };
  const failures: JsonObject = {};
  const branches: Json[] = step.branches.map((branch, index) => {
    const end = `${id}.Branch${index + 1}`;
    const escalate = catching ? { parallel: step, end } : undefined;
    const body = lowerSteps(ctx, branch.steps, end, { succeed: end, ...(escalate ? { escalate } : {}) });
    for (const nested of allSteps(branch.steps))
      values[`${nested.id}.$`] = memberPath(`$[${index}].steps`, nested.id);
    failures[`b${index + 1}.$`] = memberPath(`$[${index}].steps`, id);
    return { StartAt: body.entry, States: toStates([...body.states, [end, { Type: 'Succeed' }]]) };
  });
  const mergeInto = (from: string, to: string): AslState => ({
    Type: 'Pass',
    Comment: 'The branches’ step values over the state’s.',
    Parameters: {
      'params.$': '$.params',
      'trigger.$': '$.trigger',
      'steps.$': `States.JsonMerge($.steps, ${from}, false)`,
    },
    Next: to,
  });
  if (!catching) {
    const parallel = finish(
      withComment(step, {
        Type: 'Parallel',
        Branches: branches,
        // Each branch returns the whole state; keep only the values of its own steps.
        ResultSelector: values,
        ResultPath: path,
      }),
      { next: merge },
    );
    return {
      entry: id,
      states: [
        [id, parallel],
        [merge, mergeInto(path, next)],
      ],
    };
  }
  const names = { check: `${id}.Check`, failedMerge: `${id}.MergeFailed` };
  const parallel = finish(
    withComment(step, {
      Type: 'Parallel',
      Branches: branches,
      // Each branch returns the whole state; keep the values of its own steps and, per branch,
      // this step's value there: failed when the branch recorded an unhandled failure.
      ResultSelector: { steps: values, failures },
      ResultPath: path,
    }),
    // The branches catch their own failures; this catches the engine's (a States.Runtime).
    { catches: failure.catches(), next: names.check },
  );
  const valuesPath = memberPath(path, 'steps');
  const check: AslState = {
    Type: 'Choice',
    Comment: 'Did a branch record an unhandled failure? The first such branch is the error.',
    Choices: step.branches.map((_, index) => ({
      Variable: memberPath(memberPath(memberPath(path, 'failures'), `b${index + 1}`), 'status'),
      StringEquals: 'failed',
      Next: `${id}.Failure${index + 1}`,
    })),
    Default: merge,
  };
  const picks: Named[] = step.branches.map((_, index) => [
    `${id}.Failure${index + 1}`,
    {
      Type: 'Pass',
      InputPath: memberPath(memberPath(path, 'failures'), `b${index + 1}`),
      ResultPath: memberPath(valuesPath, id),
      Next: names.failedMerge,
    },
  ]);
  return {
    entry: id,
    states: [
      [id, parallel],
      [names.check, check],
      [merge, mergeInto(valuesPath, next)],
      ...picks,
      [names.failedMerge, mergeInto(valuesPath, failure.after ?? next)],
      ...failure.states(),
    ],
  };
}

function lowerChild(ctx: Context, step: RunbookStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const params: JsonObject = {};
  for (const argument of step.parameters) setField(params, argument.name, argumentValue(argument.value));
  const task: AslState = withComment(step, {
    Type: 'Task',
    Resource: START_EXECUTION_SYNC,
    Parameters: {
      StateMachineArn: placeholderToken(runbookArnPlaceholder(step.runbook)),
      Input: {
        params,
        'trigger.$': '$.trigger',
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': EXECUTION_ID,
      },
    },
  });
  if (step.timeout) task.TimeoutSeconds = seconds(step.timeout.ms);
  task.ResultSelector = { status: 'succeeded', exitCode: null, 'outputs.$': '$.Output.outputs' };
  task.ResultPath = stepPath(step.id);
  const state = finish(task, {
    retry: retriers(step.retry, ['States.TaskFailed']),
    catches: failure.catches(),
    next,
  });
  return { entry: step.id, states: [[step.id, state], ...failure.states()] };
}

function lowerFail(step: FailStep): Fragment {
  const id = step.id;
  const fail: AslState = withComment(step, { Type: 'Fail', Error: step.error });
  const states: Named[] = [];
  if (step.cause) {
    const value = templateValue(step.cause, { asString: true });
    if ('literal' in value) fail.Cause = String(value.literal);
    else if (value.dynamic.startsWith('$')) fail.CausePath = value.dynamic;
    else {
      // aws-local-stepfunctions takes no intrinsic in CausePath: compute the cause first.
      const cause = `${id}.Cause`;
      states.push([
        cause,
        { Type: 'Pass', Parameters: { 'cause.$': value.dynamic }, ResultPath: stepPath(id), Next: id },
      ]);
      fail.CausePath = memberPath(stepPath(id), 'cause');
    }
  }
  states.push([id, fail]);
  return { entry: (states[0] as Named)[0], states };
}

/**
 * A fail step in a catching parallel branch: a Fail state would end the branch and lose its step
 * values, so it records its failed value and escalates it as any unhandled failure there.
 */
function lowerCaughtFail(ctx: Context, step: FailStep, escalate: Escalation): Fragment {
  const id = step.id;
  const error: JsonObject = { name: step.error };
  if (step.cause) setField(error, 'message', templateValue(step.cause, { asString: true }));
  else error.message = `fail step ${id}`;
  const unhandled = `${id}.Unhandled`;
  const record = withComment(step, {
    Type: 'Pass',
    Parameters: {
      status: 'failed',
      exitCode: null,
      outputs: notRunOutputs(step, ctx.referenced.get(id)),
      error,
    },
    ResultPath: stepPath(id),
    Next: unhandled,
  });
  return {
    entry: id,
    states: [
      [id, record],
      [unhandled, escalation(ctx, escalate, stepPath(id))],
    ],
  };
}

function lowerSucceed(step: SucceedStep, exits: Exits): Fragment {
  const value: JsonObject = succeededValue();
  if (step.message) setField(value, 'message', templateValue(step.message, { asString: true }));
  const pass = withComment(step, {
    Type: 'Pass',
    Parameters: value,
    ResultPath: stepPath(step.id),
    Next: exits.succeed,
  });
  return { entry: step.id, states: [[step.id, pass]] };
}
