/**
 * What every part of the lowering shares: a step's fragment of states, where steps that end a
 * list go, the compile context, how a catchable state's errors are routed, and the contract of
 * a step kind's lowering.
 */
import type { ParallelStep, Runbook, Step, StepKind } from '../../runbook/model.ts';
import type { AslState, Json, JsonObject } from '../asl.ts';
import type { ResolvedCompileOptions } from '../options.ts';

export const EXECUTION_ID = '$$.Execution.Id';

export type Named = [string, AslState];

/** A step's states: where it starts and what it adds. */
export interface Fragment {
  readonly entry: string;
  readonly states: readonly Named[];
}

/** Where steps that end a list go. */
export interface Exits {
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
export interface Escalation {
  readonly parallel: ParallelStep;
  /** The branch's last state. */
  readonly end: string;
}

export interface Context {
  readonly runbook: Runbook;
  readonly options: ResolvedCompileOptions;
  readonly referenced: ReadonlyMap<string, ReadonlySet<string>>;
  /** Lowers a list of steps (steps.ts): onFailure lists and parallel branches nest them. */
  readonly lowerSteps: (steps: readonly Step[], next: string, exits: Exits) => Fragment;
}

/** How a catchable state's errors are routed. */
export interface Failure {
  /** Where the run goes on after the step failed; undefined when onFailure is `fail`. */
  readonly after: string | undefined;
  /** The `Catch` of a state whose errors carry a step value (`parse`), or of any other state. */
  catches(parse?: readonly string[]): Json[] | undefined;
  /** The states the catches lead to (built once all catches are known). */
  states(): Named[];
}

/** The fields every handler event of a step starts with. */
export function eventBase(ctx: Context, kind: string, step: Step): JsonObject {
  return { kind, runbook: ctx.runbook.name, stepId: step.id, 'execution.$': EXECUTION_ID };
}

/** Lowers one step of a kind to its states, given the state it continues with. */
export type StepLowerer<K extends StepKind> = (
  ctx: Context,
  step: Extract<Step, { kind: K }>,
  next: string,
  exits: Exits,
) => Fragment;
