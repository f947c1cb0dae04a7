/**
 * The runbook model: what `validate` produces from a YAML runbook and what the compiler lowers
 * to ASL. Every value is already checked and resolved (defaults applied, durations in
 * milliseconds, expressions parsed and typed), so consumers never re-validate.
 *
 * Every node the compiler may need to point at carries a {@link SourceRange}. The model is
 * plain data (no classes), so it serialises to JSON as is.
 *
 * The language itself is documented in docs/runbooks.md.
 */
import { DEFAULT_FAN_OUT_CONCURRENCY } from '../shared/defaults.ts';

/** A position in the source text: `line` and `col` are 1-based, `offset` is 0-based (UTF-16 units). */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
}

/** A span of the source text, `end` exclusive. */
export interface SourceRange {
  readonly start: SourcePosition;
  readonly end: SourcePosition;
}

// ---------------------------------------------------------------------------------------------
// Values and types
// ---------------------------------------------------------------------------------------------

/** The scalar types of parameters, captures and expressions. */
export type ScalarType = 'string' | 'integer' | 'number' | 'boolean';

/** A parameter's declared type; `enum` is a string restricted to `values`. */
export type ParameterType = ScalarType | 'enum';

/** A literal value a parameter, a capture default or a trigger's parameter map can hold. */
export type ScalarValue = string | number | boolean;

/**
 * The static type of an expression or reference.
 *
 * `unknown` is the type of values the validator cannot know (outputs of a called runbook when
 * no resolver was given); it is compatible with everything. `nullable` values may be `null` at
 * run time (an exit code of a step that did not run). `values` narrows a string to a closed set
 * (enum parameters, `steps.<id>.status`, `trigger.type`, `trigger.alarm.state`).
 */
export interface ValueType {
  readonly base: ScalarType | 'null' | 'unknown';
  readonly nullable: boolean;
  readonly values?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Expressions (`${{ … }}`)
// ---------------------------------------------------------------------------------------------

/** What `steps.<id>.status` can be. Every step has a status from the start of a run: `skipped`. */
export const STEP_STATUSES = ['succeeded', 'failed', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** What started the run (`trigger.type`); `manual` is a start by the CLI or the console. */
export const TRIGGER_TYPES = ['schedule', 'alarm', 'api', 'manual'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** CloudWatch alarm states. */
export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/**
 * The `trigger.*` fields. Each is a string, the empty string when the run was not started by
 * that kind of trigger (so a reference never reads a missing value).
 */
export const TRIGGER_FIELDS = [
  'type',
  'alarm.name',
  'alarm.state',
  'alarm.reason',
  'schedule.time',
  'api.caller',
] as const;
export type TriggerField = (typeof TRIGGER_FIELDS)[number];

/** `params.<name>`. */
export interface ParamReference {
  readonly kind: 'param';
  readonly name: string;
}

/** `steps.<id>.status` or `steps.<id>.exitCode` (single-target exec steps only). */
export interface StepFieldReference {
  readonly kind: 'step';
  readonly stepId: string;
  readonly field: 'status' | 'exitCode';
}

/** `steps.<id>.outputs.<name>`: a capture, a fan-out count, an approval field or a child output. */
export interface StepOutputReference {
  readonly kind: 'stepOutput';
  readonly stepId: string;
  readonly output: string;
}

/** `trigger.<field>`. */
export interface TriggerReference {
  readonly kind: 'trigger';
  readonly field: TriggerField;
}

/** What a reference names, without its position. */
export type ReferenceTarget = ParamReference | StepFieldReference | StepOutputReference | TriggerReference;

/** A checked reference: what it names, its canonical text (`params.x`), its type and where it is. */
export type Reference = ReferenceTarget & {
  readonly path: string;
  readonly type: ValueType;
  readonly range: SourceRange;
};

/** Comparison operators. */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Logical operators. */
export type LogicalOperator = '&&' | '||';

/** A literal in an expression: `'text'`, `"text"`, `42`, `1.5`, `true`, `false`, `null`. */
export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: string | number | boolean | null;
  readonly type: ValueType;
  readonly range: SourceRange;
}

/** A reference in an expression. */
export interface ReferenceExpr {
  readonly kind: 'reference';
  readonly reference: Reference;
  readonly type: ValueType;
  readonly range: SourceRange;
}

/** `!operand`. */
export interface NotExpr {
  readonly kind: 'not';
  readonly operand: Expr;
  readonly type: ValueType;
  readonly range: SourceRange;
}

/** `left op right` for a comparison (non-associative) or a logical operator. */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly operator: ComparisonOperator | LogicalOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly type: ValueType;
  readonly range: SourceRange;
}

/** A typed expression tree. Parentheses leave no node; ranges cover the source text. */
export type Expr = LiteralExpr | ReferenceExpr | NotExpr | BinaryExpr;

/** A `when` condition: a boolean expression and the text it was written as. */
export interface Condition {
  readonly expr: Expr;
  readonly source: string;
  readonly range: SourceRange;
}

/** Literal text of a template. */
export interface TemplateText {
  readonly kind: 'text';
  readonly text: string;
}

/** An interpolated `${{ reference }}` of a template. Only references may be interpolated. */
export interface TemplateReference {
  readonly kind: 'reference';
  readonly reference: Reference;
}

/**
 * A string field that may interpolate references: `"purged on ${{ params.service }}"`.
 *
 * `parts` alternate text and references (adjacent texts merged, empty texts dropped). A
 * template that is exactly one `${{ … }}` keeps the reference's type (see `type`); any other
 * template is a string.
 */
export interface Template {
  readonly parts: readonly (TemplateText | TemplateReference)[];
  readonly type: ValueType;
  readonly range: SourceRange;
}

/**
 * A value that may be a literal of any scalar type or a template (`runbook.parameters`
 * arguments, `outputs`). Strings without `${{` are literals.
 */
export type ArgumentValue =
  | { readonly kind: 'literal'; readonly value: ScalarValue; readonly range: SourceRange }
  | { readonly kind: 'template'; readonly template: Template };

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/**
 * Where an expression sits in a shell script, which decides how it is rewritten.
 *
 * - `unquoted`: `echo ${{ params.x }}` becomes `echo "${RB_P_x}"`.
 * - `double-quotes`: `echo "${{ params.x }}"` becomes `echo "${RB_P_x}"`.
 * - `heredoc`: in the body of a heredoc with an unquoted delimiter; becomes `${RB_P_x}`.
 * - `arithmetic`: inside `$(( … ))`; becomes `${RB_P_x}` (numeric values only).
 * - `comment`: after a `#` comment start; becomes `${RB_P_x}` and has no effect (a warning).
 * - `single-quotes`, `ansi-c-quotes` (`$'…'`), `literal-heredoc` (`<<'EOF'`) and `backticks`:
 *   no variable could expand there, or the quoting rules are too subtle to rewrite safely; these
 *   are error diagnostics and never reach the model.
 */
export type ShellContext =
  | 'unquoted'
  | 'double-quotes'
  | 'heredoc'
  | 'arithmetic'
  | 'comment'
  | 'single-quotes'
  | 'ansi-c-quotes'
  | 'literal-heredoc'
  | 'backticks';

/** Contexts in which an expression can be rewritten to a variable reference. */
export type RewritableShellContext = 'unquoted' | 'double-quotes' | 'heredoc' | 'arithmetic' | 'comment';

/** One `${{ … }}` in a command. */
export interface CommandExpression {
  /** Offset of `${{` in `Command.script`. */
  readonly start: number;
  /** Offset just past `}}` in `Command.script`. */
  readonly end: number;
  readonly reference: Reference;
  readonly context: RewritableShellContext;
  /** The whole `${{ … }}` in the YAML source. */
  readonly range: SourceRange;
}

/**
 * A step's shell script exactly as written (the YAML scalar's value), with its expressions
 * located and classified. `rewriteCommand` (commands.ts) turns it into the script to send.
 */
export interface Command {
  readonly script: string;
  readonly expressions: readonly CommandExpression[];
  readonly range: SourceRange;
}

// ---------------------------------------------------------------------------------------------
// Parameters, triggers, defaults
// ---------------------------------------------------------------------------------------------

/** A declared parameter. A parameter without `default` is required. */
export interface Parameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly description?: string;
  readonly default?: ScalarValue;
  readonly required: boolean;
  /** `enum` only. */
  readonly values?: readonly string[];
  /** `integer` and `number` only, inclusive. */
  readonly minimum?: number;
  readonly maximum?: number;
  /** `string` only, in UTF-16 code units as JavaScript counts them. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** `string` only: a JavaScript regular expression (`u` flag) the whole value must match. */
  readonly pattern?: string;
  readonly range: SourceRange;
  readonly nameRange: SourceRange;
}

/** Parameter values a trigger passes, already checked against the parameters' types. */
export interface TriggerArgument {
  readonly name: string;
  readonly value: ScalarValue;
  readonly range: SourceRange;
}

/** `triggers.schedule`: an EventBridge Scheduler cron schedule. */
export interface ScheduleTrigger {
  /** The six fields as written: minutes hours day-of-month month day-of-week year. */
  readonly cron: string;
  /** `cron(<cron>)`, as EventBridge Scheduler's `ScheduleExpression` wants it. */
  readonly expression: string;
  /** An IANA time zone name. @default 'UTC' */
  readonly timezone: string;
  readonly parameters: readonly TriggerArgument[];
  readonly range: SourceRange;
}

/** `triggers.alarm`: an EventBridge rule on `CloudWatch Alarm State Change`. */
export interface AlarmTrigger {
  /** Alarm names or ARNs. */
  readonly alarms: readonly string[];
  /** The new states that start a run. @default ['ALARM'] */
  readonly states: readonly AlarmState[];
  readonly parameters: readonly TriggerArgument[];
  readonly range: SourceRange;
}

/** `triggers.api`: `POST /runbooks/<name>/executions`. */
export interface ApiTrigger {
  readonly range: SourceRange;
}

/** The triggers a runbook declares; a runbook without any can still be started manually. */
export interface Triggers {
  readonly schedule?: ScheduleTrigger;
  readonly alarm?: AlarmTrigger;
  readonly api?: ApiTrigger;
}

/** A duration in milliseconds and where it was written (or, when built in, the node it applies to). */
export interface Duration {
  readonly ms: number;
  readonly range: SourceRange;
}

/**
 * `retry`: `attempts` counts every try including the first (ASL `MaxAttempts` = attempts − 1).
 * Intervals are whole seconds (ASL `IntervalSeconds`, `MaxDelaySeconds`).
 */
export interface Retry {
  readonly attempts: number;
  /** @default 1000 */
  readonly intervalMs: number;
  /** @default 2 */
  readonly backoff: number;
  readonly maxIntervalMs?: number;
  readonly range: SourceRange;
}

/** `defaults`: applied to exec steps that do not set their own. */
export interface Defaults {
  readonly cluster?: Template;
  readonly container?: Template;
  readonly timeout?: Duration;
  readonly retry?: Retry;
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/** The step kinds; exactly one per step. */
export const STEP_KINDS = [
  'exec',
  'approval',
  'notify',
  'wait',
  'parallel',
  'runbook',
  'fail',
  'succeed',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** What happens when a step fails (after its retries). */
export type OnFailure =
  | { readonly kind: 'fail'; readonly range?: SourceRange }
  | { readonly kind: 'continue'; readonly range: SourceRange }
  | { readonly kind: 'steps'; readonly steps: readonly Step[]; readonly range: SourceRange };

/** Fields every step has. */
export interface StepCommon {
  /** An identifier, unique across the whole runbook (nested steps included). */
  readonly id: string;
  readonly idRange: SourceRange;
  /** A display name. */
  readonly name?: string;
  /** Run the step only when this is true; otherwise its status is `skipped`. */
  readonly when?: Condition;
  /** @default { kind: 'fail' } */
  readonly onFailure: OnFailure;
  /** The whole step mapping. */
  readonly range: SourceRange;
  /** The step kind's key (`exec:`), a good place to point at the step. */
  readonly kindRange: SourceRange;
}

/** How a target selection picks among the matching tasks. */
export type Pick =
  | { readonly kind: 'one' }
  | { readonly kind: 'all' }
  | { readonly kind: 'random' }
  | { readonly kind: 'count'; readonly count: number };

/** `toleratedFailures`: a count or a percentage of the targets (Step Functions' semantics). */
export type ToleratedFailures =
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'percent'; readonly percent: number };

/** The ways to select tasks. */
export const TARGET_SELECTORS = ['task', 'service', 'family', 'startedBy', 'group'] as const;
export type TargetSelectorKey = (typeof TARGET_SELECTORS)[number];

/** Defaults of fan-out settings. */
export const FAN_OUT_DEFAULTS = { concurrency: DEFAULT_FAN_OUT_CONCURRENCY, batchSize: 25 } as const;

/** An exec step's targets, with `cluster` and `container` resolved from `defaults`. */
export interface ExecTarget {
  readonly selector: TargetSelectorKey;
  readonly value: Template;
  /** @default { kind: 'one' } */
  readonly pick: Pick;
  /** Absent: AWS's default cluster (`default`). */
  readonly cluster?: Template;
  /** Absent: the task's only container (a task with several needs one named). */
  readonly container?: Template;
  /**
   * Whether the step is a fan-out: any selection but a `task` or `pick: one | random | 1`,
   * however many tasks match at run time.
   */
  readonly fanOut: boolean;
  /** Targets at once (fan-out only). @default 10 */
  readonly concurrency: number;
  /** Fan-out only. @default { kind: 'count', count: 0 } */
  readonly toleratedFailures: ToleratedFailures;
  /** Targets per exec invocation (fan-out only). @default 25 */
  readonly batchSize: number;
  readonly range: SourceRange;
}

/** How a capture finds its value in a single target's output. */
export type CaptureExtract =
  | {
      readonly kind: 'regex';
      /** A JavaScript regular expression, applied with the `m` flag; the first match counts. */
      readonly pattern: string;
      /** A group number or a named group. @default 1 when the pattern has a group, else 0 */
      readonly group: number | string;
    }
  | {
      readonly kind: 'json';
      /** As written: `.a.b[0]`, `.["key with space"]`, or `.` for the whole document. */
      readonly path: string;
      /** The path's property names and array indexes. */
      readonly segments: readonly (string | number)[];
    };

/** A typed output of a single-target exec step, read from its output after it succeeded. */
export interface Capture {
  readonly name: string;
  readonly type: ScalarType;
  readonly extract: CaptureExtract;
  /** The value when the step did not run, failed, or the capture found nothing. */
  readonly default?: ScalarValue;
  readonly range: SourceRange;
  readonly nameRange: SourceRange;
}

/** `exec`: run a shell script in one task or fan out over many. */
export interface ExecStep extends StepCommon {
  readonly kind: 'exec';
  readonly target: ExecTarget;
  readonly command: Command;
  /** Per target; from the step, else `defaults.timeout`, else 10 minutes. */
  readonly timeout: Duration;
  /** From the step, else `defaults.retry`; absent: no retry. */
  readonly retry?: Retry;
  /** Single-target steps only. */
  readonly captures: readonly Capture[];
}

/** `approval`: wait for a person to approve (continue) or reject (the step fails). */
export interface ApprovalStep extends StepCommon {
  readonly kind: 'approval';
  readonly message: Template;
  /** Rejected when no decision arrives in time. @default 1 hour */
  readonly timeout: Duration;
  /** IAM principal ARNs allowed to decide; empty: anyone allowed to call the approval API. */
  readonly approvers: readonly string[];
}

/** `notify`: publish to an SNS topic (printed when run locally). */
export interface NotifyStep extends StepCommon {
  readonly kind: 'notify';
  readonly topic: Template;
  readonly message: Template;
  readonly subject?: Template;
  readonly retry?: Retry;
}

/** `wait`: a fixed duration or until a timestamp. */
export interface WaitStep extends StepCommon {
  readonly kind: 'wait';
  readonly wait:
    | { readonly kind: 'duration'; readonly duration: Duration }
    | { readonly kind: 'until'; readonly until: Template };
}

/** A branch of a `parallel` step. */
export interface Branch {
  readonly steps: readonly Step[];
  readonly range: SourceRange;
}

/** `parallel`: run branches at once; fails when any branch fails. */
export interface ParallelStep extends StepCommon {
  readonly kind: 'parallel';
  readonly branches: readonly Branch[];
  readonly timeout?: Duration;
}

/** An argument of a `runbook` step. */
export interface RunbookArgument {
  readonly name: string;
  readonly value: ArgumentValue;
  readonly range: SourceRange;
}

/** `runbook`: start another runbook and wait for it. */
export interface RunbookStep extends StepCommon {
  readonly kind: 'runbook';
  readonly runbook: string;
  readonly runbookRange: SourceRange;
  readonly parameters: readonly RunbookArgument[];
  readonly timeout?: Duration;
  readonly retry?: Retry;
}

/** `fail`: end the run (or the branch) as failed. */
export interface FailStep extends StepCommon {
  readonly kind: 'fail';
  /** ASL `Error`. @default 'RunbookFailed' */
  readonly error: string;
  readonly cause?: Template;
}

/** `succeed`: end the run (or the branch) as succeeded. */
export interface SucceedStep extends StepCommon {
  readonly kind: 'succeed';
  readonly message?: Template;
}

/** A step of any kind. */
export type Step =
  | ExecStep
  | ApprovalStep
  | NotifyStep
  | WaitStep
  | ParallelStep
  | RunbookStep
  | FailStep
  | SucceedStep;

/** Built-in outputs of fan-out exec steps (integers). */
export const FAN_OUT_OUTPUTS = ['total', 'succeeded', 'failed'] as const;

/** Built-in outputs of approval steps (strings). */
export const APPROVAL_OUTPUTS = ['approvedBy', 'comment'] as const;

// ---------------------------------------------------------------------------------------------
// Runbook
// ---------------------------------------------------------------------------------------------

/** A runbook output: a name and the value it takes when the run succeeds. */
export interface RunbookOutput {
  readonly name: string;
  readonly value: ArgumentValue;
  readonly range: SourceRange;
}

/** A validated runbook. */
export interface Runbook {
  /** Kebab-case, 1–64 characters: `[a-z][a-z0-9]*(-[a-z0-9]+)*`. */
  readonly name: string;
  readonly description?: string;
  readonly parameters: readonly Parameter[];
  readonly triggers: Triggers;
  readonly defaults: Defaults;
  readonly steps: readonly Step[];
  readonly outputs: readonly RunbookOutput[];
  /** The whole document. */
  readonly range: SourceRange;
}
