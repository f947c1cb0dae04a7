/**
 * What lib/exec tells the user when something fails: AWS errors mapped to task error names,
 * our own task errors, and a hint for each that names the fix.
 *
 * The hints are data ({@link EXEC_ERROR_HINTS}): templates whose `{placeholders}` are filled
 * from an {@link ErrorContext}, so the wording lives in one table that docs/ can mirror.
 */
import type { SessionErrorCode } from '../session/errors.ts';
import { AWS_EXEC_ERROR_NAMES, type TaskErrorName } from '../shared/errors.ts';
import type { ExecErrorInfo } from './result.ts';

/** How lib/exec retries an AWS error of `ecs:ExecuteCommand` (docs/errors.md). */
export type RetryPolicy = 'poll' | 'backoff' | 'never';

/** Facts a hint may name; a missing one renders as `?`. */
export interface ErrorContext {
  readonly cluster?: string;
  readonly region?: string;
  readonly task?: string;
  readonly taskId?: string;
  readonly container?: string;
  readonly containers?: string;
  readonly service?: string;
  readonly selection?: string;
  readonly deadline?: string;
  readonly timeout?: string;
  readonly status?: string;
  readonly exitCode?: string;
  readonly polls?: string;
  readonly retries?: string;
  readonly endpoint?: string;
  readonly detail?: string;
}

/** One row of the error table. */
export interface ErrorTableRow {
  /** Whether and how ExecuteCommand is retried after this error (AWS errors only). */
  readonly retry: RetryPolicy;
  /** A `{placeholder}` template, filled by {@link renderHint}. */
  readonly hint: string;
}

const TNC_CAUSES =
  'The three documented causes: (1) the task role lacks ssmmessages:CreateControlChannel, ' +
  'ssmmessages:CreateDataChannel, ssmmessages:OpenControlChannel and ssmmessages:OpenDataChannel ' +
  '(or credentials in the container environment override the task role); (2) the task has no route ' +
  'to ssmmessages (a private subnet without a NAT gateway or a VPC endpoint for ' +
  'com.amazonaws.{region}.ssmmessages); (3) the ExecuteCommand agent is not running in the container ' +
  '(see its lastStatus in `aws ecs describe-tasks --cluster {cluster} --tasks {taskId}`).';

const ENABLE_EXEC =
  'Enable ECS Exec and replace the tasks: `aws ecs update-service --cluster {cluster} --service ' +
  '<service> --enable-execute-command --force-new-deployment` (a standalone task: `aws ecs run-task ' +
  '--enable-execute-command …`); tasks started before the change keep it off. The task role needs ' +
  'ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel.';

/**
 * The hint table: every task error name (docs/errors.md) with its retry policy and hint.
 *
 * AWS names come first (the seven `ecs:ExecuteCommand` errors), then ours. `TargetNotConnected`
 * has a second row, `TargetNotConnectedException.deadline`, used once polling gave up.
 */
export const EXEC_ERROR_HINTS = {
  TargetNotConnectedException: {
    retry: 'poll',
    hint: 'The exec agent in task {taskId} is not connected to Systems Manager yet; lib/exec polls until the deadline.',
  },
  'TargetNotConnectedException.deadline': {
    retry: 'poll',
    hint: `The exec agent in task {taskId} did not connect within {deadline} ({polls} polls). ${TNC_CAUSES}`,
  },
  ThrottlingException: {
    retry: 'backoff',
    hint:
      'ECS throttled ExecuteCommand ({retries} retries spent): the account and region allow a burst of 100 ' +
      'and 40 calls/s, shared with RunTask, StartTask and StopTask. Lower the fan-out rate or concurrency.',
  },
  ServerException: {
    retry: 'backoff',
    hint: 'ECS failed on its side ({retries} retries spent). Try again later; check the AWS Health Dashboard for {region}.',
  },
  AccessDeniedException: {
    retry: 'never',
    hint:
      'The principal named in the message may not call ecs:ExecuteCommand on task {taskId}, container ' +
      '{container} of cluster {cluster}. If a policy allows it, an IAM condition key may not match this ' +
      'request: ecs:cluster, ecs:container-name, aws:ResourceTag/… (the task’s tags), ecs:task.',
  },
  ClusterNotFoundException: {
    retry: 'never',
    hint:
      'No cluster {cluster} in region {region}. Check the name or ARN (`aws ecs list-clusters --region ' +
      '{region}`) and the region (AWS_REGION, AWS_PROFILE); without --cluster AWS uses `default`.',
  },
  InvalidParameterException: {
    retry: 'never',
    hint:
      'ECS rejected the request. Usual reasons: exec was not enabled when the task started, the ' +
      'ExecuteCommand agent is not running, the container is not in the task, or the task has several ' +
      'containers and none was named. {detail}',
  },
  ClientException: {
    retry: 'never',
    hint: 'ECS refused the request as sent (message above, verbatim). {detail}',
  },
  'ClientException.credentials': {
    retry: 'never',
    hint:
      'No AWS credentials were found, so nothing was sent to ECS. The SDK looks in the environment ' +
      '(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), in the profile AWS_PROFILE names ' +
      '(~/.aws/config, SSO: `aws sso login`) and in the instance or task role. Configure one of them, ' +
      'or add --local to run against the local emulator.',
  },
  'ClientException.region': {
    retry: 'never',
    hint:
      'No AWS region is set, so nothing was sent to ECS. Set AWS_REGION (or use a profile with a ' +
      'region through AWS_PROFILE), or add --local to run against the local emulator.',
  },
  CommandFailed: {
    retry: 'never',
    hint: 'The command exited with code {exitCode}; its output tail shows why. {detail}',
  },
  SessionInterrupted: {
    retry: 'never',
    hint:
      'The session ended before the command reported an exit code ({detail}). The command may still ' +
      'be running or may have been killed with the session; its output so far is in the tail.',
  },
  ExecTimeout: {
    retry: 'never',
    hint:
      'The command ran longer than its timeout ({timeout}) and the session was closed, which ends the ' +
      'command. Raise `timeout`, or run long commands detached and poll for their result.',
  },
  'ExecTimeout.deadline': {
    retry: 'never',
    hint:
      'The exec function’s Lambda invocation was about to reach its timeout, so the command was sent ' +
      'Ctrl-C before Lambda would stop the function, and its output up to then was kept whole (the ' +
      'step’s own timeout was {timeout}). Raise the exec function’s timeout (at most 15 min) or lower ' +
      'the step’s `timeout` below it, or run long commands detached and poll for their result.',
  },
  PreflightFailed: {
    retry: 'never',
    hint: ENABLE_EXEC,
  },
  'PreflightFailed.agent': {
    retry: 'never',
    hint:
      'The ExecuteCommandAgent of container {container} in task {taskId} is {status}, not RUNNING. It ' +
      'starts with the task; if it stopped, replace the task (`aws ecs update-service --cluster ' +
      '{cluster} --service <service> --force-new-deployment` or stop the task). Check that the task role ' +
      'has ssmmessages:* and that the container’s filesystem lets the agent write /var/lib/amazon/ssm.',
  },
  NoTargets: {
    retry: 'never',
    hint:
      'No RUNNING task matched {selection} in cluster {cluster}. List them with `aws ecs list-tasks ' +
      '--cluster {cluster} --desired-status RUNNING`.',
  },
  ErrorBudgetExceeded: {
    retry: 'never',
    hint: 'More targets failed than the step tolerates ({detail}). See each failed target’s error.',
  },
  CaptureFailed: {
    retry: 'never',
    hint:
      'A capture of the step found nothing in the command’s output ({detail}). Check the regex or JSON ' +
      'path against the output tail, or give the capture a `default`.',
  },
  ApprovalRejected: {
    retry: 'never',
    hint: 'The approval was rejected or no decision arrived before its timeout ({detail}).',
  },
  InvalidInput: {
    retry: 'never',
    hint:
      'The execution was started with parameters or trigger fields the runbook does not accept (its first ' +
      'state, Runbook.CheckInput, lists each problem in the Cause). Start it with values of the declared ' +
      'types: `runbook validate` and docs/runbooks.md show the declarations.',
  },
  OutputNotStored: {
    retry: 'never',
    hint:
      'The command ran (its exit code and output tail are in the step’s result) but its whole output ' +
      'could not be written to the output store ({detail}). Check that the output bucket exists and that ' +
      'the exec function’s role may s3:PutObject under the runbook’s prefix; the command is not run again.',
  },
} as const satisfies Record<string, ErrorTableRow>;

/**
 * Hints for a session that ended without an exit code (SessionInterrupted), by the data-channel
 * client's error code. TOTAL_TIMEOUT is the command's own timeout (ExecTimeout) and ABORTED a
 * cancellation; they appear here for the cases where another bound caused them.
 */
export const SESSION_ERROR_HINTS: Readonly<Record<SessionErrorCode, string>> = {
  CONNECT_TIMEOUT:
    'The data channel (WebSocket to ssmmessages) did not open in time: check the network path from ' +
    'here to ssmmessages.{region}.amazonaws.com (proxy, firewall).',
  CONNECT_FAILED:
    'The data channel (WebSocket to ssmmessages) could not be opened: the session token may have ' +
    'expired (connect right after ExecuteCommand) or the endpoint is unreachable from here.',
  FIRST_OUTPUT_TIMEOUT:
    'The agent sent nothing after the channel opened. The command may still be starting; it was sent Ctrl-C.',
  IDLE_TIMEOUT:
    'The session went quiet for longer than the idle bound (ECS Exec itself closes sessions idle for 20 min). ' +
    'Run long, silent commands detached and poll for their result.',
  TOTAL_TIMEOUT: 'The session ran longer than its total bound; the command was sent Ctrl-C.',
  ABORTED: 'The run was cancelled; the command was sent Ctrl-C.',
  INTERRUPTED:
    'The connection to the agent dropped before the command reported its exit code; the command may ' +
    'have been killed with the session. Retrying runs it again.',
  AGENT_ERROR:
    'The agent in the container could not run the command (its message is above). "Unable to start ' +
    'command" means `sh` is missing from the image or not executable; "Plugin with name ' +
    'InteractiveCommands not found" is usually fixed by replacing the task (a full /tmp was reported as one cause).',
  HANDSHAKE_FAILED:
    'The KMS handshake failed: the caller needs kms:GenerateDataKey on the cluster’s exec key, and the ' +
    'task role kms:Decrypt on it.',
};

/** A key of {@link EXEC_ERROR_HINTS}. */
export type HintKey = keyof typeof EXEC_ERROR_HINTS;

/** Well-known exit codes and what they usually mean, appended to CommandFailed hints. */
export const EXIT_CODE_HINTS: Readonly<Record<number, string>> = {
  1: 'A general error; see the output tail.',
  2: 'Often a usage error of the command or shell builtin.',
  65: 'Of a runbook step: a value was not what its type promises (the output names it), so the script did not run; docs/runbooks.md, "Hostile values".',
  126: 'The command was found but is not executable (permissions or a missing interpreter).',
  127: 'The command was not found in the container’s PATH.',
  128: 'An invalid argument to exit.',
  130: 'The command was interrupted (SIGINT).',
  137: 'The command was killed (SIGKILL), often by the out-of-memory killer.',
  139: 'The command crashed (SIGSEGV).',
  143: 'The command was terminated (SIGTERM).',
  255: 'The command exited with 255 (ssh and some tools report their own failures so).',
};

/**
 * Fills a template's `{placeholders}` from `context`; a missing value renders as `?`, except
 * `{detail}`, an optional trailing sentence, which renders as nothing.
 */
export function renderHint(template: string, context: ErrorContext): string {
  return template
    .replace(/\{(\w+)\}/g, (_, key: string) => {
      const value = (context as Record<string, string | undefined>)[key];
      return value ?? (key === 'detail' ? '' : '?');
    })
    .trimEnd();
}

/** The hint of a table row, rendered. */
export function hintFor(key: HintKey, context: ErrorContext): string {
  return renderHint(EXEC_ERROR_HINTS[key].hint, context);
}

/**
 * A failure lib/exec reports: a task error name, AWS's or our message, and a hint.
 *
 * Thrown only for failures of the whole selection (NoTargets, a cluster that does not exist, a
 * container name no task has); per-target failures become result records instead.
 */
export class ExecError extends Error {
  override readonly name: TaskErrorName;
  /** What to do about it. */
  readonly hint: string;

  constructor(name: TaskErrorName, message: string, hint: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
    this.hint = hint;
  }

  /** The `error` field of a result record. */
  toInfo(): ExecErrorInfo {
    return { name: this.name, message: this.message, hint: this.hint };
  }
}

/**
 * A request lib/exec cannot run as given: a bad selector or option.
 *
 * Raised before any remote call; the CLI turns it into exit code 2.
 */
export class ExecUsageError extends Error {
  override readonly name = 'ExecUsageError';
}

/** An AWS error read as lib/exec sees it. */
export interface ClassifiedAwsError {
  /** The task error name it becomes. */
  readonly name: TaskErrorName;
  /** The SDK's `error.name` (may differ from `name` for errors outside the seven). */
  readonly awsName: string;
  /** AWS's message, verbatim (prefixed with `awsName` when that differs from `name`). */
  readonly message: string;
  readonly retry: RetryPolicy;
}

const AWS_NAMES: ReadonlySet<string> = new Set(AWS_EXEC_ERROR_NAMES);

/** Network-level failures the SDK surfaces without an HTTP response. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
}

/**
 * Reads an error thrown by an ECS SDK call, matching on `error.name` (ThrottlingException is not
 * a modelled ExecuteCommand error, so the SDK raises a plain `ECSServiceException` with that name).
 *
 * Names outside the seven keep the closed set of task names: a server fault or a network failure
 * becomes ServerException (retried, bounded), any other client fault ClientException, each with
 * the SDK's own name in front of AWS's message so nothing is lost.
 */
export function classifyAwsError(error: unknown): ClassifiedAwsError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const awsName = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
  const rawMessage = typeof e.message === 'string' ? e.message : String(error);
  if (AWS_NAMES.has(awsName)) {
    const name = awsName as TaskErrorName;
    return { name, awsName, message: rawMessage, retry: EXEC_ERROR_HINTS[name as HintKey].retry };
  }
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const transient =
    e.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    awsName === 'TimeoutError' ||
    (code !== undefined && TRANSIENT_NETWORK_CODES.has(code));
  const name: TaskErrorName = transient ? 'ServerException' : 'ClientException';
  const prefix = code && !rawMessage.includes(code) ? `${awsName} (${code})` : awsName;
  return { name, awsName, message: `${prefix}: ${rawMessage}`, retry: transient ? 'backoff' : 'never' };
}

/** The hint for a classified AWS error; `polledOut` selects the after-the-deadline wording. */
export function awsErrorHint(
  classified: ClassifiedAwsError,
  context: ErrorContext,
  polledOut = false,
): string {
  if (classified.name === 'TargetNotConnectedException' && polledOut) {
    return hintFor('TargetNotConnectedException.deadline', context);
  }
  // The SDK's own configuration failures never reached ECS: say what to configure instead.
  if (classified.awsName === 'CredentialsProviderError')
    return hintFor('ClientException.credentials', context);
  if (classified.name === 'ClientException' && /Region is missing/i.test(classified.message)) {
    return hintFor('ClientException.region', context);
  }
  const detail =
    classified.awsName !== classified.name
      ? `The SDK reported ${classified.awsName}.`
      : (context.detail ?? '');
  return hintFor(classified.name as HintKey, { ...context, detail });
}
