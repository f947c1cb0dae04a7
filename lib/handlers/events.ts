/**
 * The contract between compiled runbooks (lib/compiler) and the code their Task states call:
 * the handler cores in this folder, their Lambda wrappers, the approval API and the local runner.
 *
 * For each kind of Task state the compiler emits, the event its `Parameters` produce and the
 * result the following states read. Types only: nothing here runs. docs/compiler.md draws the
 * states around them.
 *
 * Conventions every handler follows:
 * - A Lambda Task state's `Resource` is the function ARN itself (`${ExecFnArn}`), so the value a
 *   handler returns is the state's result, on AWS exactly as locally (no `{ Payload }` envelope).
 * - A handler that fails a step throws a `TaskError` (lib/shared/errors.ts) whose `name` is a
 *   task error name and whose `message` is `JSON.stringify` of the step's {@link StepValue} with
 *   `status: 'failed'` and `error` set. On AWS a Catch then finds that text as the
 *   `errorMessage` of the {@link ErrorEnvelope} in `Cause`; the local runner wraps errors of its
 *   handlers in the same envelope, so the compiled catch path (two `States.StringToJson`) works
 *   the same everywhere. Keep that message well under Step Functions' 32,768-character `Cause`
 *   limit: it carries tails of at most `stateTailBytes`, never whole outputs.
 * - Values in `env` are JSON scalars from the state (a parameter, a capture, a trigger field);
 *   the exec layer exports each as text: strings as they are, numbers with `String(n)`,
 *   booleans as `true`/`false`, `null` as the empty string.
 */
import type { ExecResult, ExecStatus, TargetSelector } from '../exec/index.ts';

/** A JSON scalar, as parameters, captures and outputs hold them. */
export type JsonScalar = string | number | boolean | null;

// ---------------------------------------------------------------------------------------------
// Execution input and output, and the state data
// ---------------------------------------------------------------------------------------------

/**
 * `trigger` in an execution's input. Each sub-object replaces the not-triggered default as a
 * whole (`States.JsonMerge` is shallow), so give all of its fields.
 */
export interface TriggerInput {
  /** @default 'manual' */
  readonly type?: 'schedule' | 'alarm' | 'api' | 'manual';
  readonly alarm?: { readonly name: string; readonly state: string; readonly reason: string };
  /** `time`: the scheduled time, ISO 8601. */
  readonly schedule?: { readonly time: string };
  /** `caller`: the IAM principal ARN that called the API. */
  readonly api?: { readonly caller: string };
}

/**
 * An execution's input, as the API, the CLI, the scheduler, the alarm rule and a parent runbook
 * start it. Both keys are optional: the state machine merges `params` over the declared
 * defaults and `trigger` over the not-triggered values. Types and required parameters are
 * checked by whoever starts the run (API, CLI), not by the state machine.
 */
export interface RunbookInput {
  readonly params?: Readonly<Record<string, JsonScalar>>;
  readonly trigger?: TriggerInput;
}

/** What went wrong in a failed step. */
export interface StepError {
  /** A task error name (lib/shared/errors.ts), or a `States.*` / `Lambda.*` error name. */
  readonly name: string;
  /** For `States.*` errors, the raw `Cause`. */
  readonly message: string;
  readonly hint?: string;
}

/**
 * `$.steps.<id>`: one step's small result. Every step has one from the start of the run
 * (`status: 'skipped'`, `exitCode: null`, outputs at their defaults), so a reference never
 * reads a missing path.
 */
export interface StepValue {
  readonly status: 'succeeded' | 'failed' | 'skipped';
  /** A single-target exec step's exit code; `null` for other kinds or when none is known. */
  readonly exitCode: number | null;
  /** Captures, fan-out counts, approval fields or a child runbook's outputs. */
  readonly outputs: Readonly<Record<string, JsonScalar>>;
  /** Set when the step failed. */
  readonly error?: StepError;
}

/** The result record of a single-target exec, with `output.tail` cut to `stateTailBytes`. */
export type SmallExecResult = ExecResult;

/** A single-target exec step's value. */
export interface ExecStepValue extends StepValue {
  /**
   * The run's record, tail cut to `stateTailBytes`; absent only when no target was selected.
   * `output.uri` locates the whole output.
   */
  readonly result?: SmallExecResult;
}

/** A fan-out step's value. */
export interface FanOutStepValue extends StepValue {
  readonly exitCode: null;
  /** `total`, `succeeded` and `failed` (every status but `succeeded`) counts. */
  readonly outputs: { readonly total: number; readonly succeeded: number; readonly failed: number };
  /** The failed targets, at most {@link SummaryEvent.maxListedFailures}. */
  readonly failures?: readonly BatchTargetResult[];
  /** Failed targets beyond the listed ones. */
  readonly failuresOmitted?: number;
}

/**
 * The execution's output: the runbook's `outputs` and every step's value. A parent runbook
 * reads `Output.outputs`.
 */
export interface ExecutionOutput {
  readonly outputs: Readonly<Record<string, JsonScalar>>;
  readonly steps: Readonly<Record<string, StepValue>>;
}

/**
 * A caught error's `Cause`, parsed: what the Lambda runtime builds around a thrown error (and
 * what the local runner and the approval API build the same way). `errorMessage` is the step's
 * {@link StepValue} as JSON.
 */
export interface ErrorEnvelope {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Lambda events: exec, targets, batch, summary
// ---------------------------------------------------------------------------------------------

/** Fields of every event the compiled states send to our Lambdas. */
export interface StepEventBase {
  /** The runbook's name. */
  readonly runbook: string;
  readonly stepId: string;
  /** `$$.Execution.Id`: the execution ARN; its last `:` segment is the execution name. */
  readonly execution: string;
}

/** A capture, for the exec handler to apply to a single target's output. */
export interface CaptureSpec {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  /**
   * `regex`: JavaScript regular expression with the `m` flag, first match, `group` a number or a
   * name. `json`: the output parsed as JSON, then `segments` (property names and indexes).
   */
  readonly extract:
    | { readonly kind: 'regex'; readonly pattern: string; readonly group: number | string }
    | { readonly kind: 'json'; readonly path: string; readonly segments: readonly (string | number)[] };
  /** The value when the step failed or nothing was found; absent: `null`. */
  readonly default?: string | number | boolean;
}

/** A per-target retry policy for fan-out batches (a step's `retry`). */
export interface RetrySpec {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly intervalMs: number;
  readonly backoff: number;
  readonly maxIntervalMs?: number;
}

/**
 * `${ExecFnArn}`, single-target exec step (state `<id>`).
 *
 * Returns an {@link ExecStepValue} with `status: 'succeeded'` when the command exited 0, its
 * `outputs` holding every capture (the value found, else its `default`). Otherwise throws a
 * `TaskError` (CommandFailed, ExecTimeout, SessionInterrupted, PreflightFailed, NoTargets, or an
 * AWS error name) whose message is the same value with `status: 'failed'`, `exitCode` as known,
 * captures at their defaults (else `null`) and `error` set. A capture that finds nothing and
 * has no `default` fails the step with `CaptureFailed` (docs/runbooks.md#capture).
 */
export interface ExecEvent extends StepEventBase {
  readonly kind: 'exec';
  /** lib/exec's selector with templates resolved; `pick` is `one` or `random`. */
  readonly target: TargetSelector;
  /** The script with each `${{ … }}` rewritten to `"${RB_P_x}"` / `${RB_E_n}` (never values). */
  readonly script: string;
  /** Values of the variables the script reads, exported before it. */
  readonly env: Readonly<Record<string, JsonScalar>>;
  /** The command's time limit; `ExecTimeout` when it ends the command. */
  readonly timeoutMs: number;
  readonly captures: readonly CaptureSpec[];
  /** The tail kept in the state and in the thrown message, in bytes. */
  readonly stateTailBytes: number;
  /**
   * Where the full output goes: `s3://<outputBucket>/<runbook>/<execution name>/<stepId>/<attempt>/<taskId>.log`
   * on AWS (attempt = `retryCount` + 1), a directory locally.
   */
  readonly outputBucket: string;
  /**
   * `$$.State.RetryCount`: how many times Step Functions has retried this state (0 on the first
   * try), so each try's output has its own key. @default 0
   */
  readonly retryCount?: number;
}

/** A fan-out's tasks, cut into batches of task ids and kept in the state. */
export interface InlineTargets {
  /** The cluster the tasks run in (name or ARN), as the batches should address it. */
  readonly cluster: string;
  readonly total: number;
  /** Task ids, `batchSize` per batch (the last may be shorter). */
  readonly batches: readonly (readonly string[])[];
}

/** A large fan-out's batches, written to the output bucket for a Distributed Map. */
export interface BucketTargets {
  readonly cluster: string;
  readonly total: number;
  /**
   * `bucket`/`key`: a JSON array of batches (each an array of task ids) that the Distributed
   * Map's ItemReader reads; `resultPrefix`: where its ResultWriter writes.
   */
  readonly items: { readonly bucket: string; readonly key: string; readonly resultPrefix: string };
}

/**
 * `${TargetsFnArn}`, first state of a fan-out step (state `<id>`).
 *
 * Resolves the selection and returns {@link InlineTargets} when `total ≤ distributedThreshold`,
 * else writes the batches to the bucket and returns {@link BucketTargets} (a Choice routes on
 * whether `batches` is present). Throws `NoTargets` when nothing matched, or an AWS error
 * name; the message is a {@link FanOutStepValue} with `status: 'failed'`.
 */
export interface TargetsEvent extends StepEventBase {
  readonly kind: 'targets';
  /** lib/exec's selector with templates resolved; `pick` is `all` or a count. */
  readonly target: TargetSelector;
  /**
   * Task ids per batch: the step's `batchSize`, lowered by the compiler so that a batch runs all
   * its targets at once (`BatchEvent.concurrency` is the same number).
   */
  readonly batchSize: number;
  readonly distributedThreshold: number;
  readonly outputBucket: string;
}

/**
 * `${ExecFnArn}` in a fan-out's Map (states `<id>.Batch` and `<id>.DistBatch`): one batch.
 *
 * Runs the script in every task of `taskIds` through lib/exec's fan-out with `concurrency`
 * and `ratePerSecond`, retrying a target per `retry`. Never throws a task error for a target's
 * failure: every per-target failure becomes a status, so no iteration fails the Map. Only when
 * the Lambda invocation's deadline stops the batch does it throw `ExecTimeout`, its message a
 * {@link FanOutStepValue} with the batch's `results` (docs/errors.md, "The Lambda deadline").
 */
export interface BatchEvent extends StepEventBase {
  readonly kind: 'batch';
  readonly cluster: string;
  /** Absent: each task's only container. */
  readonly container?: string;
  readonly taskIds: readonly string[];
  readonly script: string;
  readonly env: Readonly<Record<string, JsonScalar>>;
  readonly timeoutMs: number;
  /** Targets of this batch at once: the batch size, so the whole batch runs at once. */
  readonly concurrency: number;
  /** This batch's share of the run's ExecuteCommand rate (calls per second, may be fractional). */
  readonly ratePerSecond: number;
  readonly retry?: RetrySpec;
  readonly outputBucket: string;
}

/** One target of a batch, as small as the Map's 256 KB budget needs (about 200 bytes). */
export interface BatchTargetResult {
  readonly taskId: string;
  readonly exitCode: number | null;
  readonly status: ExecStatus;
  /** The full output's location, when it was written. */
  readonly uri?: string;
  /** Why it failed: a task error name (`CommandFailed`, `SessionInterrupted`, …); absent on success. */
  readonly error?: string;
}

/** What a batch returns. */
export type BatchResult = readonly BatchTargetResult[];

/**
 * `${FanOutSummaryFnArn}`, last state of a fan-out step (state `<id>.Summary`).
 *
 * Counts the targets and applies `toleratedFailures` with Step Functions' semantics: the step
 * fails when failures (every status but `succeeded`) exceed the count, or the percentage of
 * `total`. Returns a {@link FanOutStepValue} with `status: 'succeeded'`, or throws
 * `ErrorBudgetExceeded` with the same value (`status: 'failed'`, `error` set) as message.
 */
export interface SummaryEvent extends StepEventBase {
  readonly kind: 'summary';
  /**
   * The inline Map's results (one array per batch), or the Distributed Map's ResultWriter
   * manifest location, whose `SUCCEEDED_*.json` files hold each child's `Output` as JSON text.
   */
  readonly fanOut:
    | { readonly results: readonly BatchResult[] }
    | { readonly resultWriterDetails: { readonly Bucket: string; readonly Key: string } };
  readonly toleratedFailures: { readonly count: number } | { readonly percent: number };
  /** How many failed targets the value lists. */
  readonly maxListedFailures: number;
}

// ---------------------------------------------------------------------------------------------
// Runbook.CheckInput
// ---------------------------------------------------------------------------------------------

/**
 * A parameter's declaration as the compiled `Runbook.CheckInput` state carries it: what
 * checking a value needs, without defaults (the next states merge those).
 */
export interface CheckInputParameter {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'enum';
  readonly required: boolean;
  readonly values?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

/**
 * The event of the first state of every run (`${CheckInputFnArn}`, state `Runbook.CheckInput`):
 * the runbook's declarations and the execution input as given (`input.$: '$'`).
 *
 * The handler types and checks the input with the code the CLI and the API use and returns it
 * as a {@link RunbookInput} (the state's `ResultPath` is `$`), or throws `InvalidInput` whose
 * message is a {@link CheckInputFailure} as JSON. The execution then fails before any step
 * runs: an execution started directly (a schedule, the console, a parent runbook on AWS) cannot
 * put a string in an `integer` parameter.
 */
export interface CheckInputEvent {
  readonly kind: 'checkInput';
  readonly runbook: string;
  readonly parameters: readonly CheckInputParameter[];
  readonly input: unknown;
}

/** The message of an `InvalidInput` error: every problem found, each naming its field. */
export interface CheckInputFailure {
  readonly runbook: string;
  readonly problems: readonly {
    /** `UNKNOWN_PARAMETER`, `INVALID_PARAMETER`, `MISSING_PARAMETER` or `INVALID_INPUT`. */
    readonly code: string;
    /** `params.<name>`, `trigger.<field>` or the top-level key. */
    readonly field: string;
    readonly message: string;
  }[];
}

// ---------------------------------------------------------------------------------------------
// Service integrations: approval, notify, child runbook
// ---------------------------------------------------------------------------------------------

/**
 * The `Payload` of an approval state (`arn:aws:states:::lambda:invoke.waitForTaskToken` with
 * `FunctionName: ${ApprovalFnArn}`, state `<id>`). The function records the request (and
 * tells the approvers); its return value is ignored. The state waits for the decision until
 * its `TimeoutSeconds`; the compiled `<id>.TimedOut` state turns AWS's `States.Timeout` into
 * an `ApprovalRejected` failure ("no decision within …").
 *
 * Locally the runner overrides the state by name: its handler receives `{ FunctionName,
 * Payload }` and returns the {@link ApprovalDecision}, or throws `ApprovalRejected` (wrapped
 * like every handler error) on a rejection or when `timeoutMs` passes without a decision.
 */
export interface ApprovalEvent extends StepEventBase {
  readonly kind: 'approval';
  /** `$$.Task.Token`, for SendTaskSuccess / SendTaskFailure. */
  readonly taskToken: string;
  readonly message: string;
  /** IAM principal ARNs allowed to decide; empty: anyone allowed to call the approval API. */
  readonly approvers: readonly string[];
  readonly timeoutMs: number;
}

/**
 * The `output` of SendTaskSuccess (approve). The state's ResultSelector turns it into
 * `{ status: 'succeeded', exitCode: null, outputs: { approvedBy, comment } }`; both fields are
 * required (use `''` for no comment).
 *
 * Reject: SendTaskFailure with `error: 'ApprovalRejected'` and `cause`: an
 * {@link ErrorEnvelope} whose `errorMessage` is the step's value with `status: 'failed'`,
 * `outputs: { approvedBy: <who rejected>, comment }` and `error` set.
 */
export interface ApprovalDecision {
  readonly approvedBy: string;
  readonly comment: string;
}

/**
 * The Parameters of a notify state (`arn:aws:states:::sns:publish`, state `<id>`): SNS Publish
 * as is. The result is discarded. Locally the runner overrides the state and prints it.
 */
export interface NotifyParameters {
  readonly TopicArn: string;
  readonly Message: string;
  readonly Subject?: string;
}

/**
 * The Parameters of a runbook step (`arn:aws:states:::states:startExecution.sync:2`, state
 * `<id>`): start the child's state machine (`${Runbook_<name>_Arn}`) and wait for it.
 */
export interface ChildRunbookParameters {
  readonly StateMachineArn: string;
  readonly Input: RunbookInput & {
    /** Links the child to the parent in the console. */
    readonly AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: string;
  };
}

/**
 * What the child state reads: `Output` parsed (the `:2` integration), the child's
 * {@link ExecutionOutput}. Locally the runner overrides the state, runs the child runbook in
 * process and returns `{ Output }`; a failed child is an error (`States.TaskFailed` on AWS).
 */
export interface ChildRunbookResult {
  readonly Output: ExecutionOutput;
}
