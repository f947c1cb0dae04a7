/**
 * The contract between the step walk (steps.ts) and one step kind's file in kinds/: what a kind
 * is given, what it returns, and which of the keys beside the kind key it takes.
 */
import type { Defaults, Duration, Retry, SourceRange, Step, StepCommon } from '../model.ts';
import type { YamlMap, YamlNode } from '../parse.ts';
import type { OutputInfo, Scope, StepInfo } from './scope.ts';
import type { Validation } from './shapes.ts';

/** Keys of a step, beside `id`, `name` and `when`, that only some kinds take. */
export const KIND_SPECIFIC_KEYS = ['timeout', 'retry', 'onFailure', 'capture'] as const;
export type KindSpecificKey = (typeof KIND_SPECIFIC_KEYS)[number];

/** A step's kind-specific fields: the step without the fields every step has. */
export type StepBody = Step extends infer S ? (S extends Step ? Omit<S, keyof StepCommon> : never) : never;

/** A nested list of steps read with the step walk (parallel branches). */
export type StepListReader = (
  node: YamlNode,
  scope: Scope,
  defaults: Defaults,
  what: string,
) => { steps: Step[]; added: StepInfo[]; alwaysFails: boolean };

/** What a kind's validator is given. */
export interface StepKindInput {
  readonly ctx: Validation;
  /** The value under the kind key (`exec:`, `wait:` …). */
  readonly node: YamlNode;
  /** The whole step mapping, for keys beside the kind key (`capture`). */
  readonly stepMap: YamlMap;
  /** The steps that may be referenced, as seen before this step. */
  readonly scope: Scope;
  readonly defaults: Defaults;
  /** `step "<id>"` or `this step`, for messages. */
  readonly where: string;
  /** The step's `timeout`, already read; only for kinds that take it. */
  readonly timeout: Duration | undefined;
  /** The step's `retry`, already read; only for kinds that take it. */
  readonly retry: Retry | undefined;
  /** The range of the kind key. */
  readonly kindRange: SourceRange;
  readonly stepList: StepListReader;
}

/** What a kind's validator returns. */
export interface StepKindResult {
  /** The kind's fields; undefined when they had errors (reported). */
  readonly body: StepBody | undefined;
  /** The step's outputs as references see them. @default - none */
  readonly outputs?: Map<string, OutputInfo>;
  /** Whether outputs not listed may exist (so references to them are not errors). @default false */
  readonly openOutputs?: boolean;
  /** A single-target exec step (it has an exitCode). @default false */
  readonly singleExec?: boolean;
  /** A fan-out exec step. @default false */
  readonly fanOut?: boolean;
  /** Steps nested in this one (parallel branches). @default - none */
  readonly inner?: readonly StepInfo[];
}

/** One step kind: the keys it takes and its validator. */
export interface StepKindValidator {
  readonly keys: readonly KindSpecificKey[];
  readonly validate: (input: StepKindInput) => StepKindResult;
}
