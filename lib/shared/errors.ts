/**
 * The closed set of task error names that handlers raise and the compiler's Retry/Catch use.
 *
 * The first seven are AWS's own `ecs:ExecuteCommand` error names, reused verbatim; the rest are
 * ours (docs/errors.md lists them all, plus `CaptureFailed`: a capture found nothing and has no
 * default, `ApprovalRejected`: an approval was rejected or timed out, and `InvalidInput`: the
 * execution input's parameters or trigger fields are not what the runbook declares,
 * `OutputNotStored`: a command ran but its whole output could not be written to the store). Both the
 * handler cores and the compiler import this module, so a name
 * cannot drift between what is thrown and what a state machine catches.
 */
export const AWS_EXEC_ERROR_NAMES = [
  'TargetNotConnectedException',
  'ThrottlingException',
  'ServerException',
  'AccessDeniedException',
  'ClusterNotFoundException',
  'InvalidParameterException',
  'ClientException',
] as const;

export const OWN_TASK_ERROR_NAMES = [
  'CommandFailed',
  'SessionInterrupted',
  'ExecTimeout',
  'PreflightFailed',
  'NoTargets',
  'ErrorBudgetExceeded',
  'CaptureFailed',
  'ApprovalRejected',
  'InvalidInput',
  'OutputNotStored',
] as const;

export const TASK_ERROR_NAMES = [...AWS_EXEC_ERROR_NAMES, ...OWN_TASK_ERROR_NAMES] as const;

/** One of the task error names (docs/errors.md). */
export type TaskErrorName = (typeof TASK_ERROR_NAMES)[number];

/** The errors a step's `retry` covers: the others fail the same way again. */
export const RETRYABLE_TASK_ERROR_NAMES = [
  'TargetNotConnectedException',
  'ThrottlingException',
  'ServerException',
  'CommandFailed',
  'SessionInterrupted',
  'ExecTimeout',
] as const satisfies readonly TaskErrorName[];

/**
 * An error a handler lets escape to Step Functions.
 *
 * `name` is a task error name; `message` is the step's small result as JSON, so a Catch reads it
 * the same on AWS (inside the Lambda error envelope) and locally.
 */
export class TaskError extends Error {
  override readonly name: TaskErrorName;

  constructor(name: TaskErrorName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/**
 * The abort reason of a run whose time is up from outside its own timeouts: the Lambda
 * invocation that runs it is about to reach the function's timeout. lib/exec reports a command
 * it interrupts for this reason as `timed_out` (`ExecTimeout`), not as a cancellation, and the
 * handler cores fail the step with `ExecTimeout` (docs/errors.md, "The Lambda deadline").
 */
export class InvocationDeadline extends Error {
  override readonly name = 'InvocationDeadline';
  /** How long before the invocation's end the run was stopped, ms. */
  readonly marginMs: number;

  constructor(marginMs: number) {
    super(`the Lambda invocation reaches its timeout in ${Math.round(marginMs / 1000)} s`);
    this.marginMs = marginMs;
  }
}

/** Whether an abort reason is an {@link InvocationDeadline} (by name, so a second bundled copy counts). */
export function isInvocationDeadline(reason: unknown): reason is InvocationDeadline {
  return reason instanceof Error && reason.name === 'InvocationDeadline';
}
