/**
 * Progress of a local run: the events the runner emits, and the tracker that derives step
 * starts and ends from the engine's event log.
 *
 * Every state a step compiles to is named after the step (`purge`, `purge.Summary`,
 * `purge.Failed`, docs/compiler.md), and each step writes only `$.steps.<id>`; so a step starts
 * when the engine enters one of its states (its `when` Choice aside) and ends when a state of
 * it exits with `$.steps.<id>.status` set to `succeeded` or `failed`. Steps that never started
 * were skipped.
 */
import type { ExecResult } from '../exec/index.ts';
import type { JsonScalar, StepError, StepValue } from '../handlers/index.ts';
import type { Runbook, Step, StepKind } from '../runbook/index.ts';

/** A step's kind as progress shows it: a fan-out exec step is `fan-out`. */
export type ProgressStepKind = StepKind | 'fan-out';

/** One step of the run's plan, in document order. */
export interface PlannedStep {
  readonly id: string;
  readonly kind: ProgressStepKind;
  readonly name?: string;
  /** Nesting: 0 for top-level steps, +1 inside a parallel branch or an onFailure list. */
  readonly depth: number;
  /** The parallel step whose branch, or the step whose onFailure list, holds this one. */
  readonly parent?: { readonly id: string; readonly via: 'branch' | 'onFailure' };
}

/** Fields of every event. */
interface EventBase {
  /** The ids of the `runbook` steps this run is nested in (empty for the top-level run). */
  readonly scope: readonly string[];
  /** Epoch milliseconds. */
  readonly at: number;
}

/** The run began. */
export interface RunStartedEvent extends EventBase {
  readonly type: 'run-started';
  readonly runbook: string;
  readonly execution: string;
  readonly outputDir: string;
  readonly steps: readonly PlannedStep[];
}

/** A step began. */
export interface StepStartedEvent extends EventBase {
  readonly type: 'step-started';
  readonly stepId: string;
  readonly kind: ProgressStepKind;
  readonly name?: string;
  readonly depth: number;
}

/** A step's try failed and its `retry` runs it again. */
export interface StepRetriedEvent extends EventBase {
  readonly type: 'step-retried';
  readonly stepId: string;
  /** The retry about to run, from 1. */
  readonly retry: number;
  readonly error: StepError;
  /** The failed try's value (its result record, with the output tail), when its error carries it. */
  readonly value?: StepValue;
}

/** One target of a fan-out finished (each try of a per-target retry counts). */
export interface TargetFinishedEvent extends EventBase {
  readonly type: 'target-finished';
  readonly stepId: string;
  readonly attempt: number;
  readonly result: ExecResult;
}

/** A step ended: its value as the state holds it. */
export interface StepFinishedEvent extends EventBase {
  readonly type: 'step-finished';
  readonly stepId: string;
  readonly kind: ProgressStepKind;
  readonly depth: number;
  readonly status: StepValue['status'];
  /** From the step's start; 0 for a skipped step. */
  readonly durationMs: number;
  readonly value: StepValue;
}

/** A notify step's message (printed locally instead of published). */
export interface NotificationEvent extends EventBase {
  readonly type: 'notification';
  readonly stepId: string;
  readonly topic: string;
  readonly subject?: string;
  readonly message: string;
}

/** An approval step is waiting for a decision. */
export interface ApprovalRequestedEvent extends EventBase {
  readonly type: 'approval-requested';
  readonly stepId: string;
  readonly message: string;
  readonly timeoutMs: number;
}

/** An approval step was decided. */
export interface ApprovalDecidedEvent extends EventBase {
  readonly type: 'approval-decided';
  readonly stepId: string;
  readonly approved: boolean;
  readonly approvedBy: string;
  readonly comment: string;
}

/** The run ended. */
export interface RunFinishedEvent extends EventBase {
  readonly type: 'run-finished';
  readonly result: LocalRunResult;
}

/** What a local run reports as it goes. */
export type RunEvent =
  | RunStartedEvent
  | StepStartedEvent
  | StepRetriedEvent
  | TargetFinishedEvent
  | StepFinishedEvent
  | NotificationEvent
  | ApprovalRequestedEvent
  | ApprovalDecidedEvent
  | RunFinishedEvent;

/** Why a run failed. */
export interface RunError {
  /** The execution's `Error`: a task error name, `ApprovalRejected`, a `fail` step's error, `States.*`. */
  readonly name: string;
  /** In words: the failed step's error message when it carries one, else the execution's `Cause`. */
  readonly message: string;
  /** The execution's `Cause`, as is. */
  readonly cause: string;
  /** The step that failed the run, when known. */
  readonly stepId?: string;
}

/** The result of a local run. */
export interface LocalRunResult {
  readonly status: 'succeeded' | 'failed';
  readonly runbook: string;
  /** The execution ARN the run had (`$$.Execution.Id`). */
  readonly execution: string;
  /** The runbook's outputs; empty when the run failed. */
  readonly outputs: Readonly<Record<string, JsonScalar>>;
  /** Every step's value; for a failed run, as far as the run got. */
  readonly steps: Readonly<Record<string, StepValue>>;
  readonly error?: RunError;
  readonly durationMs: number;
  /** Where the whole outputs are. */
  readonly outputDir: string;
}

/** The engine's log events the tracker reads (aws-local-stepfunctions `EventLog`, narrowed). */
export interface EngineEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly output?: unknown; readonly input?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly attempt: number };
}

/** How progress reads the steps of one kind. */
export interface ProgressKindInfo {
  /**
   * Whether a failed step's value is in its error's Cause. Only a step's own handler puts it
   * there; a parallel step passes on its branch's error, a runbook step its child's.
   */
  readonly valueInCause: boolean;
}

/**
 * Every step kind as progress reads it (a fan-out exec step apart); a new kind needs an entry, and
 * the type asks for one.
 */
export const PROGRESS_STEP_KINDS: { readonly [K in ProgressStepKind]: ProgressKindInfo } = {
  exec: { valueInCause: true },
  'fan-out': { valueInCause: true },
  approval: { valueInCause: true },
  notify: { valueInCause: true },
  wait: { valueInCause: true },
  parallel: { valueInCause: false },
  runbook: { valueInCause: false },
  fail: { valueInCause: true },
  succeed: { valueInCause: true },
};

/** The run's plan: every step in document order with its kind and nesting. */
export function planOf(runbook: Runbook): PlannedStep[] {
  const plan: PlannedStep[] = [];
  const visit = (steps: readonly Step[], depth: number, parent?: PlannedStep['parent']): void => {
    for (const step of steps) {
      const kind: ProgressStepKind = step.kind === 'exec' && step.target.fanOut ? 'fan-out' : step.kind;
      plan.push({
        id: step.id,
        kind,
        ...(step.name !== undefined ? { name: step.name } : {}),
        depth,
        ...(parent ? { parent } : {}),
      });
      if (step.kind === 'parallel') {
        for (const branch of step.branches) visit(branch.steps, depth + 1, { id: step.id, via: 'branch' });
      }
      if (step.onFailure.kind === 'steps')
        visit(step.onFailure.steps, depth + 1, { id: step.id, via: 'onFailure' });
    }
  };
  visit(runbook.steps, 0);
  return plan;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `$.steps.<id>` of a state's data, when it is a finished step value. */
function finishedValue(data: unknown, stepId: string): StepValue | undefined {
  if (!isRecord(data) || !isRecord(data.steps)) return undefined;
  const value = data.steps[stepId];
  if (!isRecord(value)) return undefined;
  return value.status === 'succeeded' || value.status === 'failed'
    ? (value as unknown as StepValue)
    : undefined;
}

/**
 * The step value inside a caught or final error's `Cause`: an error envelope whose
 * `errorMessage` is the value as JSON (events.ts). `undefined` for any other Cause.
 */
export function stepValueOfCause(cause: string): StepValue | undefined {
  try {
    const envelope: unknown = JSON.parse(cause);
    if (!isRecord(envelope) || typeof envelope.errorMessage !== 'string') return undefined;
    const value: unknown = JSON.parse(envelope.errorMessage);
    return isRecord(value) && (value.status === 'failed' || value.status === 'succeeded')
      ? (value as unknown as StepValue)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The text of an error's Cause for people: the step's error message, the envelope's, or the Cause. */
function causeText(cause: string): string {
  const value = stepValueOfCause(cause);
  if (value?.error?.message) return value.error.message;
  try {
    const envelope: unknown = JSON.parse(cause);
    if (isRecord(envelope) && typeof envelope.errorMessage === 'string') return envelope.errorMessage;
  } catch {
    // Not JSON: the Cause is text already.
  }
  return cause;
}

/** Options of {@link StepTracker}. */
export interface StepTrackerOptions {
  readonly runbook: Runbook;
  /** Names of the definition's top-level states (their data holds the whole state). */
  readonly topLevelStates: ReadonlySet<string>;
  /** State names that belong to no step (`Runbook.Start` …). */
  readonly fixedStates: ReadonlySet<string>;
  /**
   * For each `<id>.When` Choice, its `Default` (where a false `when` leads) → the step ids it
   * skips: entering that state right after the Choice means the step was skipped.
   */
  readonly skipRoutes: ReadonlyMap<string, readonly string[]>;
  readonly scope: readonly string[];
  readonly emit: (event: RunEvent) => void;
  readonly now: () => number;
}

/** Derives step starts and ends from the engine's events and handler calls. */
export class StepTracker {
  readonly #options: StepTrackerOptions;
  readonly #plan: ReadonlyMap<string, PlannedStep>;
  readonly #started = new Map<string, number>();
  readonly #finished = new Map<string, StepValue>();
  /** The last unrecovered failure of each step's states. */
  readonly #failures = new Map<
    string,
    { readonly error: string; readonly cause: string; readonly order: number }
  >();
  #failureOrder = 0;
  /** `$.steps` as the last top-level state left it. */
  #lastSteps: Record<string, unknown> = {};
  /** Steps whose `when` Choice has run and that have not started. */
  readonly #deciding = new Set<string>();

  constructor(options: StepTrackerOptions) {
    this.#options = options;
    this.#plan = new Map(planOf(options.runbook).map((step) => [step.id, step]));
  }

  /** The plan in document order. */
  get plan(): PlannedStep[] {
    return [...this.#plan.values()];
  }

  /** The step a state belongs to, or `undefined` for the fixed states. */
  stepOf(stateName: string): string | undefined {
    if (this.#options.fixedStates.has(stateName)) return undefined;
    const id = stateName.split('.')[0] as string;
    return this.#plan.has(id) ? id : undefined;
  }

  /** Marks a step started (once); handlers call it so their own events follow the start. */
  start(stepId: string): void {
    if (this.#started.has(stepId)) return;
    const planned = this.#plan.get(stepId);
    if (!planned) return;
    const at = this.#options.now();
    this.#started.set(stepId, at);
    this.#options.emit({
      type: 'step-started',
      scope: this.#options.scope,
      at,
      stepId,
      kind: planned.kind,
      ...(planned.name !== undefined ? { name: planned.name } : {}),
      depth: planned.depth,
    });
  }

  /** Reads one event of the engine's log. */
  observe(event: EngineEvent): void {
    const name = event.state?.name;
    if (name === undefined) return;
    if (event.type === 'StateExited' && this.#options.topLevelStates.has(name)) {
      const output = event.state?.output;
      if (isRecord(output) && isRecord(output.steps)) this.#lastSteps = output.steps;
    }
    if (event.type === 'StateEntered') {
      for (const skipped of this.#options.skipRoutes.get(name) ?? []) {
        if (this.#deciding.delete(skipped) && !this.#started.has(skipped)) this.#skip(skipped);
      }
    }
    const stepId = this.stepOf(name);
    if (stepId === undefined) return;
    switch (event.type) {
      case 'StateEntered':
        if (name !== `${stepId}.When`) {
          this.#deciding.delete(stepId);
          this.start(stepId);
        }
        break;
      case 'StateExited': {
        if (name === `${stepId}.When`) this.#deciding.add(stepId);
        // A catching parallel's branch end carries the step's failure from that branch alone;
        // the step ends when its branches are merged.
        if (name.startsWith(`${stepId}.Branch`)) break;
        const value = finishedValue(event.state?.output, stepId);
        if (value) this.#finish(stepId, value);
        break;
      }
      case 'StateFailed':
        this.#failures.set(stepId, {
          error: event.Error ?? 'Error',
          cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? ''),
          order: this.#failureOrder++,
        });
        break;
      case 'StateRetried': {
        const failure = this.#failures.get(stepId);
        this.#failures.delete(stepId);
        const planned = this.#plan.get(stepId);
        const value =
          failure && planned && PROGRESS_STEP_KINDS[planned.kind].valueInCause
            ? stepValueOfCause(failure.cause)
            : undefined;
        this.#options.emit({
          type: 'step-retried',
          scope: this.#options.scope,
          at: this.#options.now(),
          stepId,
          retry: event.retry?.attempt ?? 1,
          error: failure
            ? { name: failure.error, message: causeText(failure.cause) }
            : { name: 'Error', message: 'unknown' },
          ...(value ? { value } : {}),
        });
        break;
      }
      case 'StateCaught':
        this.#failures.delete(stepId);
        break;
    }
  }

  #finish(stepId: string, value: StepValue): void {
    if (this.#finished.has(stepId)) return;
    this.start(stepId);
    const planned = this.#plan.get(stepId) as PlannedStep;
    this.#finished.set(stepId, value);
    const at = this.#options.now();
    this.#options.emit({
      type: 'step-finished',
      scope: this.#options.scope,
      at,
      stepId,
      kind: planned.kind,
      depth: planned.depth,
      status: value.status,
      durationMs: Math.max(0, at - (this.#started.get(stepId) ?? at)),
      value,
    });
    this.#skipUnreachable(stepId, value.status);
  }

  /**
   * Records as skipped, right after their step's end, the steps inside it that did not start and
   * now never will: a parallel step's branch steps once it ended, a step's onFailure steps once
   * it succeeded, and everything inside a skipped step. (Its end is printed first, and they print
   * under it.)
   */
  #skipUnreachable(stepId: string, status: StepValue['status']): void {
    for (const step of this.#plan.values()) {
      if (step.parent?.id !== stepId || this.#started.has(step.id) || this.#finished.has(step.id)) continue;
      if (step.parent.via === 'onFailure' && status === 'failed') continue;
      this.#deciding.delete(step.id);
      this.#skip(step.id);
    }
  }

  /**
   * Ends the tracking: every step gets its final value (emitting the step ends the log did not
   * show), and a failed run gets its error, attributed to the step that raised it.
   */
  conclude(
    outcome:
      | { readonly steps: Readonly<Record<string, unknown>> }
      | { readonly error: { readonly name: string; readonly cause: string }; readonly aborted: boolean },
  ): { steps: Record<string, StepValue>; error?: RunError } {
    const base: Readonly<Record<string, unknown>> = 'steps' in outcome ? outcome.steps : this.#lastSteps;
    let runError: RunError | undefined;
    if ('error' in outcome) {
      const failing = [...this.#failures.entries()]
        .filter(([, f]) => f.error === outcome.error.name)
        .sort((a, b) => b[1].order - a[1].order)
        // The innermost step raised it: a parallel step only passes its branch's error on.
        .sort(
          (a, b) =>
            Number(this.#plan.get(a[0])?.kind === 'parallel') -
            Number(this.#plan.get(b[0])?.kind === 'parallel'),
        );
      const stepId = failing[0]?.[0];
      runError = {
        name: outcome.error.name,
        message: causeText(outcome.error.cause),
        cause: outcome.error.cause,
        ...(stepId !== undefined ? { stepId } : {}),
      };
    }
    const outputsOf = (stepId: string): Record<string, JsonScalar> => {
      const initial = isRecord(base[stepId]) ? (base[stepId] as Record<string, unknown>) : {};
      return (isRecord(initial.outputs) ? initial.outputs : {}) as Record<string, JsonScalar>;
    };
    // The steps that started end first, inner ones first (a branch's step ends before the
    // parallel step that holds it); then the ones that never started are skipped, in document
    // order, so each prints after the step it is in.
    const order = [...this.#plan.values()].sort((a, b) => b.depth - a.depth);
    for (const step of order) {
      if (this.#finished.has(step.id)) continue;
      const fromState = finishedValue({ steps: base }, step.id);
      if (fromState) {
        this.#finish(step.id, fromState);
        continue;
      }
      if (!this.#started.has(step.id)) continue;
      const outputs = outputsOf(step.id);
      const failure = this.#failures.get(step.id);
      if (failure) {
        const own = PROGRESS_STEP_KINDS[step.kind].valueInCause ? stepValueOfCause(failure.cause) : undefined;
        this.#finish(
          step.id,
          own ?? {
            status: 'failed',
            exitCode: null,
            outputs,
            error: { name: failure.error, message: causeText(failure.cause) },
          },
        );
        continue;
      }
      const why =
        'error' in outcome && outcome.aborted
          ? 'the run was cancelled before this step finished'
          : `the run ended${runError ? ` (${runError.name})` : ''} before this step finished`;
      this.#finish(step.id, {
        status: 'failed',
        exitCode: null,
        outputs,
        error: { name: 'ExecutionAborted', message: why },
      });
    }
    for (const step of this.#plan.values()) {
      if (this.#finished.has(step.id)) continue;
      this.#record(step.id, { status: 'skipped', exitCode: null, outputs: outputsOf(step.id) });
    }
    const steps: Record<string, StepValue> = {};
    for (const step of this.#plan.values()) steps[step.id] = this.#finished.get(step.id) as StepValue;
    return { steps, ...(runError ? { error: runError } : {}) };
  }

  /** Records a step whose `when` was false, with its initial outputs. */
  #skip(stepId: string): void {
    const initial = this.#lastSteps[stepId];
    const outputs =
      isRecord(initial) && isRecord(initial.outputs) ? (initial.outputs as Record<string, JsonScalar>) : {};
    this.#record(stepId, { status: 'skipped', exitCode: null, outputs });
  }

  /** Records a skipped step's value and tells the observer. */
  #record(stepId: string, value: StepValue): void {
    const planned = this.#plan.get(stepId) as PlannedStep;
    this.#finished.set(stepId, value);
    this.#options.emit({
      type: 'step-finished',
      scope: this.#options.scope,
      at: this.#options.now(),
      stepId,
      kind: planned.kind,
      depth: planned.depth,
      status: value.status,
      durationMs: 0,
      value,
    });
    this.#skipUnreachable(stepId, value.status);
  }
}
