/**
 * The local runner: a runbook's compiled ASL in aws-local-stepfunctions, its Task states bound
 * by name to the handler cores in process, the real ECS and KMS clients against whatever
 * endpoint they were made for (the local emulator, for `runbook run --local`).
 *
 * Where the engine falls short of AWS the runner fills in (docs/local.md): approvals are
 * decided by policy, notifications are printed, child runbooks run in process, a Distributed
 * Map runs inline (the targets handler keeps every fan-out's batches inline locally), and full
 * outputs go to a local directory (`file://` URIs).
 */
import '../shared/polyfills.ts';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  type AslDefinition,
  type AslState,
  type AslStates,
  type CompileOptions,
  compileRunbook,
  FIXED_STATE_NAMES,
  substitutePlaceholders,
  type TaskStateInfo,
  taskStatesOf,
} from '../compiler/index.ts';
import { ContainerLocks } from '../exec/index.ts';
import {
  type ChildRunbookParameters,
  type ChildRunbookResult,
  createDirectoryOutputStore,
  type HandlerDeps,
  invokeCheckInputFn,
  invokeExecFn,
  invokeFanOutSummaryFn,
  invokeTargetsFn,
  type JsonScalar,
  type NotifyParameters,
  type RunbookInput,
  type TriggerInput,
} from '../handlers/index.ts';
import {
  allSteps,
  checkParameters,
  findSiblingRunbook,
  loadRunbookFile,
  loadRunbookSource,
  type Runbook,
  siblingRunbookFiles,
} from '../runbook/index.ts';
import type { DataKeyProvider } from '../session/index.ts';
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from '../shared/index.ts';
import { type ApprovalInvocation, type ApprovalPolicy, decideApproval } from './approval.ts';
import { asLambdaError, LocalTaskFailure } from './envelope.ts';
import { ChildRunbookNotFoundError, ParameterError, RunbookInvalidError, RunnerError } from './errors.ts';
import { type EngineEvent, type LocalRunResult, type RunEvent, StepTracker } from './progress.ts';

/**
 * The context object the runner passes to aws-local-stepfunctions (`run(input, { context })`):
 * the compiled states read `$$.Execution.Id` and, in approval states, `$$.Task.Token`, which
 * the engine does not generate.
 */
export interface LocalRunContext {
  readonly Execution: { readonly Id: string; readonly Name: string; readonly StartTime: string };
  readonly Task: { readonly Token: string };
}

/** What the runner puts for the `${OutputBucket}` placeholder; the directory store ignores it. */
export const LOCAL_OUTPUT_BUCKET = 'local-outputs';

/**
 * `TimeoutSeconds` the runner gives a child runbook's state that has none: on AWS a `.sync`
 * integration waits as long as the child runs, but the engine's default is 60 s. (Node's timers
 * overflow past 2^31 ms, so not more.)
 */
export const LOCAL_CHILD_TIMEOUT_SECONDS = 2_000_000;

/** The engine's `TimeoutSeconds` when a Task state has none. */
const ENGINE_DEFAULT_TASK_TIMEOUT_SECONDS = 60;

/** How long after a state's time is up its handler is aborted (the engine has moved on by then). */
const HANDLER_GRACE_MS = 2_000;

/** How long the run waits for the engine's event log to drain after the run ended. */
const EVENT_LOG_DRAIN_MS = 2_000;
/** How long a finished run waits for handlers it aborted to stop. */
const HANDLER_STOP_MS = 10_000;

/** Nesting of child runbooks allowed, so a runbook calling itself cannot recurse forever. */
export const MAX_CHILD_DEPTH = 8;

/** A runbook compiled and loaded into the engine, ready to run any number of times. */
export interface PreparedRunbook {
  /** The file it came from (diagnostics name it; child runbooks are looked up beside it). */
  readonly file: string;
  readonly runbook: Runbook;
  /** The compiled definition, as deploy gets it. */
  readonly definition: AslDefinition;
  /** Each Task state and what runs it. */
  readonly tasks: readonly TaskStateInfo[];
  /** The files of the runbooks its `runbook` steps call, by name. */
  readonly children: ReadonlyMap<string, string>;
  /** @internal */
  readonly machine: StateMachine;
  /** @internal every state by name, nested ones included */
  readonly states: ReadonlyMap<string, AslState>;
  /** @internal where each false `when` leads → the steps it skips */
  readonly skipRoutes: ReadonlyMap<string, readonly string[]>;
}

/** Options of {@link prepareRunbook}. */
export interface PrepareOptions {
  /**
   * The runbook's file: diagnostics name it and child runbooks are looked up beside it.
   *
   * @default - `<cwd>/runbook.yaml` for source text
   */
  readonly file?: string;
  readonly compile?: CompileOptions;
}

/** Options of {@link runLocal}. */
export interface RunLocalOptions extends PrepareOptions {
  readonly ecs: ECSClient;
  /** @default - a KMS client made on first use (only KMS-encrypted clusters need one) */
  readonly kms?: KMSClient | DataKeyProvider;
  /** Parameter values, typed; checked against the declarations before the run. @default {} */
  readonly params?: Readonly<Record<string, JsonScalar>>;
  /** @default - a manual start */
  readonly trigger?: TriggerInput;
  /**
   * Where full outputs go: `<outputDir>/<runbook>/<execution>/<step>/<task>-<container>…log`.
   *
   * @default - a new directory under the OS temp directory
   */
  readonly outputDir?: string;
  /** How approvals are decided. @default - nobody decides: each approval times out */
  readonly approval?: ApprovalPolicy;
  /** Receives the run's progress. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Cancels the run: running commands are interrupted, no state starts after. */
  readonly signal?: AbortSignal;
  /** Milliseconds a Wait state waits instead of its own time, by state name (tests). */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** Milliseconds before a retry instead of the Retry's interval, by state name (tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** For `$$.Execution.Id`. @default 'local' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /**
   * The state machine's name in `$$.Execution.Id` (the local Step Functions API passes the name
   * the deployed state machine has, `<prefix>-<runbook>`).
   *
   * @default - the runbook's name
   */
  readonly stateMachineName?: string;
  /** The execution's name. @default - `local-<time>-<random>` */
  readonly executionName?: string;
  /**
   * The execution input as given, passed to the engine unchecked: the definition's first state
   * (Runbook.CheckInput) checks it, as on AWS, so a bad input fails the run with InvalidInput
   * instead of rejecting. `params` and `trigger` are ignored when it is given.
   *
   * @default - `{ params, trigger }`, checked before the run
   */
  readonly input?: unknown;
  /**
   * Receives what the engine and the Task states do, for an execution history (lib/runner/sfn).
   * Only the top-level run's: a child runbook's are its own execution's.
   */
  readonly onTrace?: (trace: RunTrace) => void;
  /**
   * Times the events, the handlers' waits and the runner's own timers (a state's handler timeout,
   * the drain at the end). The engine's Wait states and Retry intervals keep their own time: use
   * `waitTimeOverrides` and `retryIntervalOverrides`.
   *
   * @default systemClock
   */
  readonly clock?: Clock;
}

/**
 * What a run did, as an execution history is built from it: the engine's own event log, and each
 * Task state's call of its handler (which the engine does not log). `invocation` numbers the
 * calls of one run, so a call's end is matched to its start.
 */
export type RunTrace =
  | { readonly type: 'engine'; readonly event: EngineEvent & { readonly timestamp: number } }
  | {
      readonly type: 'task-scheduled';
      readonly at: number;
      readonly invocation: number;
      readonly state: string;
      /** The state's Resource as the definition has it (placeholders not substituted). */
      readonly resource: string;
      readonly timeoutSeconds: number;
      /** The resolved Parameters the handler receives. */
      readonly parameters: unknown;
    }
  | {
      readonly type: 'task-succeeded';
      readonly at: number;
      readonly invocation: number;
      readonly state: string;
      readonly output: unknown;
    };

/** A bounded cache of engines by definition: constructing one validates the ASL (100–500 ms). */
const MACHINES = new Map<string, StateMachine>();
const MACHINE_CACHE_SIZE = 32;

function machineFor(definition: AslDefinition): StateMachine {
  const key = JSON.stringify(definition);
  const cached = MACHINES.get(key);
  if (cached) {
    MACHINES.delete(key);
    MACHINES.set(key, cached);
    return cached;
  }
  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  MACHINES.set(key, machine);
  if (MACHINES.size > MACHINE_CACHE_SIZE) MACHINES.delete(MACHINES.keys().next().value as string);
  return machine;
}

/** Every state of a definition by name, Parallel branches and Map processors included. */
function statesOf(machine: AslStates, into = new Map<string, AslState>()): Map<string, AslState> {
  for (const [name, state] of Object.entries(machine.States)) {
    into.set(name, state);
    if (state.Type === 'Parallel') for (const branch of state.Branches as AslStates[]) statesOf(branch, into);
    if (state.Type === 'Map') statesOf((state.ItemProcessor ?? state.Iterator) as AslStates, into);
  }
  return into;
}

/** The definition the engine runs: the deploy artifact with the engine's gaps filled. */
function localDefinition(definition: AslDefinition, tasks: readonly TaskStateInfo[]): AslDefinition {
  const local = substitutePlaceholders(structuredClone(definition), { OutputBucket: LOCAL_OUTPUT_BUCKET });
  const states = statesOf(local);
  for (const task of tasks) {
    const state = states.get(task.name);
    if (task.kind === 'runbook' && state && state.TimeoutSeconds === undefined) {
      state.TimeoutSeconds = LOCAL_CHILD_TIMEOUT_SECONDS;
    }
  }
  return local;
}

/**
 * Compiles a runbook (YAML source, or a validated model) and loads it into the engine.
 *
 * Throws {@link RunbookInvalidError} when the source has error diagnostics,
 * {@link ChildRunbookNotFoundError} when a `runbook` step names a runbook with no file beside
 * this one, and `CompileError` when the runbook exceeds a Step Functions limit.
 */
export function prepareRunbook(input: string | Runbook, options: PrepareOptions = {}): PreparedRunbook {
  const file = path.resolve(options.file ?? path.join(process.cwd(), 'runbook.yaml'));
  let runbook: Runbook;
  if (typeof input === 'string') {
    const loaded = loadRunbookSource(options.file ?? file, input);
    if (!loaded.runbook) throw new RunbookInvalidError(loaded.file, loaded.source, loaded.diagnostics);
    runbook = loaded.runbook;
  } else {
    runbook = input;
  }
  const children = new Map<string, string>();
  for (const step of allSteps(runbook.steps)) {
    if (step.kind !== 'runbook' || children.has(step.runbook)) continue;
    const found = step.runbook === runbook.name ? file : findSiblingRunbook(file, step.runbook);
    if (found === undefined)
      throw new ChildRunbookNotFoundError(step.runbook, siblingRunbookFiles(file, step.runbook));
    children.set(step.runbook, found);
  }
  const { definition } = compileRunbook(runbook, options.compile);
  const tasks = taskStatesOf(definition);
  const local = localDefinition(definition, tasks);
  const states = statesOf(local);
  for (const [name, state] of states) {
    if (state.Type === 'Task' && !tasks.some((t) => t.name === name)) {
      throw new RunnerError(
        'INVALID_OPTION',
        `state ${name} calls ${String(state.Resource)}, which the local runner cannot run`,
      );
    }
  }
  const skipRoutes = new Map<string, string[]>();
  for (const step of allSteps(runbook.steps)) {
    const choice = states.get(`${step.id}.When`);
    if (choice?.Type !== 'Choice' || typeof choice.Default !== 'string') continue;
    skipRoutes.set(choice.Default, [...(skipRoutes.get(choice.Default) ?? []), step.id]);
  }
  return { file, runbook, definition, tasks, children, machine: machineFor(local), states, skipRoutes };
}

/** What one run shares with the runs of its child runbooks. */
interface RunContext {
  readonly deps: HandlerDeps;
  readonly options: RunLocalOptions;
  readonly outputDir: string;
  readonly clock: Clock;
  readonly emit: (event: RunEvent) => void;
  readonly scope: readonly string[];
  readonly depth: number;
  /** Child runbooks prepared so far, by file. */
  readonly prepared: Map<string, PreparedRunbook>;
}

/**
 * Runs a runbook locally and resolves to its result; a failed run resolves too (`status:
 * 'failed'`, with the error and the step that raised it).
 *
 * Rejects before anything runs with {@link RunbookInvalidError}, {@link ParameterError} (a value
 * the runbook does not accept, an unknown or a missing parameter) or
 * {@link ChildRunbookNotFoundError}. Every wait is bounded by its state's timeout; `signal`
 * cancels the run (running commands are interrupted) and the result then says so.
 *
 * @example
 * const local = await startLocalEcs({ configFile: 'runbooks/local/cluster.yaml' });
 * const ecs = createEcsClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
 * const result = await runLocal(readFileSync('runbooks/nightly-maintenance.yaml', 'utf8'), {
 *   file: 'runbooks/nightly-maintenance.yaml',
 *   ecs,
 *   params: { service: 'api' },
 *   onEvent: (event) => console.error(event.type),
 * });
 * result.status; // 'succeeded'
 */
export async function runLocal(
  runbook: string | Runbook | PreparedRunbook,
  options: RunLocalOptions,
): Promise<LocalRunResult> {
  const prepared =
    typeof runbook === 'object' && 'machine' in runbook ? runbook : prepareRunbook(runbook, options);
  const params = options.input === undefined ? checkParameters(prepared.runbook, options.params ?? {}) : {};
  const outputDir = options.outputDir
    ? path.resolve(options.outputDir)
    : mkdtempSync(path.join(os.tmpdir(), 'runbook-outputs-'));
  mkdirSync(outputDir, { recursive: true });
  const clock = options.clock ?? systemClock;
  const context: RunContext = {
    deps: {
      ecs: options.ecs,
      ...(options.kms ? { kms: options.kms } : {}),
      outputStore: createDirectoryOutputStore(outputDir),
      clock,
      // One registry for the whole run: concurrent batches and branches never share a container.
      locks: new ContainerLocks(),
    },
    options,
    outputDir,
    clock,
    emit: (event) => options.onEvent?.(event),
    scope: [],
    depth: 0,
    prepared: new Map([[prepared.file, prepared]]),
  };
  const input =
    options.input === undefined
      ? { params, ...(options.trigger ? { trigger: options.trigger } : {}) }
      : (options.input as RunbookInput);
  return execute(prepared, input, context, options.signal);
}

function executionNameOf(clock: Clock): string {
  const stamp = new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `local-${stamp}-${randomUUID().slice(0, 8)}`;
}

/** Resolves when `promise` settles or after `ms` of `clock`'s time, whichever comes first. */
async function settleWithin(clock: Clock, promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: TimerHandle | undefined;
  try {
    await Promise.race([
      promise.catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

async function execute(
  prepared: PreparedRunbook,
  input: RunbookInput,
  ctx: RunContext,
  signal: AbortSignal | undefined,
): Promise<LocalRunResult> {
  const { runbook } = prepared;
  const startedAt = ctx.clock.now();
  const top = ctx.depth === 0;
  const name = (top ? ctx.options.executionName : undefined) ?? executionNameOf(ctx.clock);
  const machineName = (top ? ctx.options.stateMachineName : undefined) ?? runbook.name;
  const execution = `arn:aws:states:${ctx.options.region ?? 'local'}:${ctx.options.accountId ?? '000000000000'}:execution:${machineName}:${name}`;
  const trace = top ? ctx.options.onTrace : undefined;
  let invocations = 0;
  const runContext: LocalRunContext = {
    Execution: { Id: execution, Name: name, StartTime: new Date(startedAt).toISOString() },
    Task: { Token: `local-task-token-${randomUUID()}` },
  };
  const tracker = new StepTracker({
    runbook,
    topLevelStates: new Set(Object.keys(prepared.definition.States)),
    fixedStates: new Set(Object.values(FIXED_STATE_NAMES)),
    skipRoutes: prepared.skipRoutes,
    scope: ctx.scope,
    emit: ctx.emit,
    now: () => ctx.clock.now(),
  });
  ctx.emit({
    type: 'run-started',
    scope: ctx.scope,
    at: startedAt,
    runbook: runbook.name,
    execution,
    outputDir: ctx.outputDir,
    steps: tracker.plan,
  });

  // Aborted when the run ends or is cancelled: every handler still running stops.
  const run = new AbortController();
  const onCancel = (): void => run.abort(signal?.reason);
  if (signal?.aborted) onCancel();
  else signal?.addEventListener('abort', onCancel, { once: true });
  const inflight = new Set<Promise<unknown>>();

  const bind = (task: TaskStateInfo) => {
    const state = prepared.states.get(task.name) as AslState;
    const limitMs =
      Number(state.TimeoutSeconds ?? ENGINE_DEFAULT_TASK_TIMEOUT_SECONDS) * 1000 + HANDLER_GRACE_MS;
    return async (given: unknown): Promise<never> => {
      // Lets the event log's consumer catch up first, so the previous step's end is reported
      // before this step's own events.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (run.signal.aborted) throw new LocalTaskFailure('States.Runtime', 'the run was cancelled');
      // The engine resolves $$.Task.Token to the run's one token; each wait gets its own, as on AWS.
      const payload = task.kind === 'approval' ? withTaskToken(given) : given;
      const invocation = ++invocations;
      trace?.({
        type: 'task-scheduled',
        at: ctx.clock.now(),
        invocation,
        state: task.name,
        resource: String(state.Resource),
        timeoutSeconds: Number(state.TimeoutSeconds ?? ENGINE_DEFAULT_TASK_TIMEOUT_SECONDS),
        parameters: payload,
      });
      tracker.start(task.stepId);
      const handler = new AbortController();
      const onRunAbort = (): void => handler.abort(run.signal.reason);
      run.signal.addEventListener('abort', onRunAbort, { once: true });
      // The engine stops waiting at the state's timeout but cannot cancel the handler; this does.
      const timer = ctx.clock.setTimeout(
        () => handler.abort(new Error(`state ${task.name} timed out`)),
        Math.min(limitMs, MAX_TIMER_MS),
      );
      const work = invoke(task, payload, prepared, ctx, handler.signal, tracker);
      const settled = work.catch(() => undefined);
      inflight.add(settled);
      try {
        const output = await work;
        trace?.({ type: 'task-succeeded', at: ctx.clock.now(), invocation, state: task.name, output });
        return output as never;
      } catch (error) {
        if (error instanceof LocalTaskFailure) throw error;
        throw task.kind === 'notify' ? error : asLambdaError(error);
      } finally {
        ctx.clock.clearTimeout(timer);
        run.signal.removeEventListener('abort', onRunAbort);
        inflight.delete(settled);
      }
    };
  };
  const handlers: Record<string, (payload: unknown) => Promise<never>> = {};
  for (const task of prepared.tasks) handlers[task.name] = bind(task);

  const started = prepared.machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(ctx.options.waitTimeOverrides ? { waitTimeOverrides: { ...ctx.options.waitTimeOverrides } } : {}),
      ...(ctx.options.retryIntervalOverrides
        ? { retryIntervalOverrides: { ...ctx.options.retryIntervalOverrides } }
        : {}),
    },
    context: runContext as never,
  });
  const abortEngine = (): void => started.abort();
  if (run.signal.aborted) abortEngine();
  else run.signal.addEventListener('abort', abortEngine, { once: true });
  const draining = (async () => {
    for await (const event of started.eventLogs) {
      trace?.({ type: 'engine', event: event as EngineEvent & { timestamp: number } });
      tracker.observe(event as EngineEvent);
    }
  })();
  // A throwing onEvent ends the loop above while the run goes on; it is awaited only at the end,
  // so without a handler now the rejection would be unhandled (and end a CLI process).
  draining.catch(() => undefined);

  let outcome: Parameters<StepTracker['conclude']>[0];
  let output: { outputs?: Record<string, JsonScalar> } = {};
  try {
    const result = (await started.result) as {
      outputs?: Record<string, JsonScalar>;
      steps?: Record<string, unknown>;
    };
    output = result;
    outcome = { steps: result.steps ?? {} };
  } catch (error) {
    if (error instanceof ExecutionAbortedError || run.signal.aborted) {
      outcome = {
        error: {
          name: 'ExecutionAborted',
          cause: `The run was cancelled (${describeReason(run.signal.reason)})`,
        },
        aborted: true,
      };
    } else if (error instanceof ExecutionError) {
      const inner = error.cause as { name?: string; message?: string } | undefined;
      outcome = {
        error: { name: inner?.name ?? 'Error', cause: inner?.message ?? error.message },
        aborted: false,
      };
    } else {
      throw error;
    }
  } finally {
    signal?.removeEventListener('abort', onCancel);
    run.signal.removeEventListener('abort', abortEngine);
    // Handlers the engine stopped waiting for (a timed-out state, a failed parallel branch).
    if (inflight.size > 0) {
      if (!run.signal.aborted) run.abort(new Error('the run ended'));
      // Bounded: every handler honours the abort (Ctrl-C, then close), but a run must end even
      // if one did not.
      await settleWithin(ctx.clock, Promise.allSettled(inflight), HANDLER_STOP_MS);
    }
    await settleWithin(ctx.clock, draining, EVENT_LOG_DRAIN_MS);
  }
  const concluded = tracker.conclude(outcome);
  const result: LocalRunResult = {
    status: 'error' in outcome ? 'failed' : 'succeeded',
    runbook: runbook.name,
    execution,
    outputs: 'error' in outcome ? {} : (output.outputs ?? {}),
    steps: concluded.steps,
    ...(concluded.error ? { error: concluded.error } : {}),
    durationMs: Math.max(0, ctx.clock.now() - startedAt),
    outputDir: ctx.outputDir,
  };
  ctx.emit({ type: 'run-finished', scope: ctx.scope, at: ctx.clock.now(), result });
  return result;
}

/** An approval payload with a task token of its own. */
function withTaskToken(payload: unknown): unknown {
  const invocation = payload as { Payload?: Record<string, unknown> };
  if (typeof invocation?.Payload !== 'object' || invocation.Payload === null) return payload;
  return { ...invocation, Payload: { ...invocation.Payload, taskToken: `local-task-token-${randomUUID()}` } };
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

/** Runs the handler core (or the runner's own handler) of one Task state. */
async function invoke(
  task: TaskStateInfo,
  payload: unknown,
  prepared: PreparedRunbook,
  ctx: RunContext,
  signal: AbortSignal,
  tracker: StepTracker,
): Promise<unknown> {
  switch (task.kind) {
    case 'checkInput':
      return invokeCheckInputFn(payload);
    case 'exec':
      return invokeExecFn(payload, ctx.deps, { signal });
    case 'targets':
      return invokeTargetsFn(payload, ctx.deps, { signal });
    case 'batch':
      return invokeExecFn(payload, ctx.deps, {
        signal,
        onResult: (result, attempt) =>
          ctx.emit({
            type: 'target-finished',
            scope: ctx.scope,
            at: ctx.clock.now(),
            stepId: task.stepId,
            attempt,
            result,
          }),
      });
    case 'summary':
      return invokeFanOutSummaryFn(payload, ctx.deps);
    case 'approval':
      return decideApproval(
        payload as ApprovalInvocation,
        ctx.options.approval,
        {
          requested: (request) =>
            ctx.emit({
              type: 'approval-requested',
              scope: ctx.scope,
              at: ctx.clock.now(),
              stepId: request.stepId,
              message: request.message,
              timeoutMs: request.timeoutMs,
            }),
          decided: (stepId, answer) =>
            ctx.emit({ type: 'approval-decided', scope: ctx.scope, at: ctx.clock.now(), stepId, ...answer }),
        },
        ctx.scope,
        signal,
      );
    case 'notify': {
      const parameters = payload as NotifyParameters;
      ctx.emit({
        type: 'notification',
        scope: ctx.scope,
        at: ctx.clock.now(),
        stepId: task.stepId,
        topic: parameters.TopicArn,
        ...(parameters.Subject !== undefined ? { subject: parameters.Subject } : {}),
        message: parameters.Message,
      });
      return { MessageId: `local-${randomUUID()}` };
    }
    case 'runbook':
      return runChild(task, payload as ChildRunbookParameters, prepared, ctx, signal, tracker);
  }
}

/** A child runbook's failure as the `.sync:2` integration reports it: States.TaskFailed. */
function childFailure(details: Record<string, unknown>): LocalTaskFailure {
  return new LocalTaskFailure('States.TaskFailed', JSON.stringify({ status: 'FAILED', ...details }));
}

async function runChild(
  task: TaskStateInfo,
  parameters: ChildRunbookParameters,
  parent: PreparedRunbook,
  ctx: RunContext,
  signal: AbortSignal,
  tracker: StepTracker,
): Promise<ChildRunbookResult> {
  const step = [...allSteps(parent.runbook.steps)].find((s) => s.id === task.stepId);
  if (step?.kind !== 'runbook') throw new Error(`state ${task.name} is not a runbook step's`);
  if (ctx.depth + 1 > MAX_CHILD_DEPTH) {
    throw childFailure({
      error: 'RunbookDepthExceeded',
      cause: `runbook ${step.runbook} would run ${ctx.depth + 1} levels deep; the local runner allows ${MAX_CHILD_DEPTH}`,
    });
  }
  const file = parent.children.get(step.runbook) as string;
  let child = ctx.prepared.get(file);
  if (!child) {
    const loaded = loadRunbookFile(file);
    if (!loaded.runbook)
      throw childFailure({
        error: 'InvalidRunbook',
        cause: new RunbookInvalidError(file, loaded.source, loaded.diagnostics).message,
      });
    child = prepareRunbook(loaded.runbook, {
      file,
      ...(ctx.options.compile ? { compile: ctx.options.compile } : {}),
    });
    ctx.prepared.set(file, child);
  }
  let params: Record<string, JsonScalar>;
  try {
    params = checkParameters(child.runbook, parameters.Input.params ?? {});
  } catch (error) {
    if (error instanceof ParameterError)
      throw childFailure({ error: 'InvalidParameter', cause: error.message });
    throw error;
  }
  tracker.start(task.stepId);
  const result = await execute(
    child,
    { params, ...(parameters.Input.trigger ? { trigger: parameters.Input.trigger } : {}) },
    { ...ctx, scope: [...ctx.scope, task.stepId], depth: ctx.depth + 1 },
    signal,
  );
  if (result.status === 'succeeded') return { Output: { outputs: result.outputs, steps: result.steps } };
  throw childFailure({
    executionArn: result.execution,
    error: result.error?.name ?? 'Error',
    cause: result.error?.cause ?? '',
  });
}
