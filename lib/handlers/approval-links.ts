/**
 * Where an execution and its approval are reached: the Step Functions console page, the API's
 * status and approval URLs, and the signed calls that decide an approval. Shared by the
 * approval-request message and the API's responses, so both name the same URLs.
 */

/** The parts of an execution ARN: `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`. */
export interface ExecutionArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stateMachine: string;
  readonly name: string;
}

const EXECUTION_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([^:\s]{1,80}):([^:\s]{1,80})$/;

/** The parts of a standard execution ARN, or `undefined` when `arn` is not one. */
export function parseExecutionArn(arn: string): ExecutionArnParts | undefined {
  const match = EXECUTION_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition = '', region = '', account = '', stateMachine = '', name = ''] = match;
  return { partition, region, account, stateMachine, name };
}

/** The execution ARN a state machine gives the execution named `name`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The state machine ARN of an execution ARN. */
export function stateMachineArnOf(executionArn: string): string {
  return executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
}

function consoleHost(partition: string, region: string): string {
  if (partition === 'aws-cn') return `console.amazonaws.cn`;
  if (partition === 'aws-us-gov') return `console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

/**
 * The execution's page in the Step Functions console, or `undefined` when `executionArn` is not
 * an execution ARN.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html
 */
export function consoleUrlOf(executionArn: string): string | undefined {
  const parts = parseExecutionArn(executionArn);
  if (!parts) return undefined;
  return `https://${consoleHost(parts.partition, parts.region)}/states/home?region=${parts.region}#/v2/executions/details/${executionArn}`;
}

/**
 * `GET` this for an execution's status: `<apiUrl>/executions/<execution ARN>`. The ARN is a
 * single path segment (it has no `/`); its colons need no escaping.
 */
export function statusUrlOf(apiUrl: string, executionArn: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/executions/${executionArn}`;
}

/** `POST` a decision here: `<status URL>/approval`. */
export function approvalUrlOf(apiUrl: string, executionArn: string): string {
  return `${statusUrlOf(apiUrl, executionArn)}/approval`;
}

/** `text` as one POSIX shell word. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_@%+:,./=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The body of `POST …/approval`. */
export interface DecisionBody {
  readonly decision: 'approve' | 'reject';
  /** @default '' */
  readonly comment?: string;
  /** Which approval, when several wait at once (parallel branches). @default - the only one waiting */
  readonly stepId?: string;
}

/**
 * The awscurl command that sends `body` to the approval URL, signed with the caller's
 * credentials (SigV4, service `execute-api`).
 *
 * @see https://github.com/okigan/awscurl
 */
export function approvalCommand(apiUrl: string, executionArn: string, body: DecisionBody): string {
  const region = parseExecutionArn(executionArn)?.region ?? '<region>';
  return [
    `awscurl --service execute-api --region ${region} -X POST`,
    `-H 'content-type: application/json'`,
    `-d ${shellQuote(JSON.stringify(body))}`,
    shellQuote(approvalUrlOf(apiUrl, executionArn)),
  ].join(' \\\n    ');
}
