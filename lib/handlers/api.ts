/**
 * The HTTP API's core: start a runbook, read an execution, decide its approval. Each route is a
 * plain function of a parsed request ({@link ApiRequest}) that returns an {@link ApiResult};
 * {@link apiRoutes} adapts them to API Gateway proxy events (REST v1 or HTTP v2 payloads) for
 * the router in lambdas/api.ts. IAM authorizes every route; the signed request's principal ARN
 * is the caller. docs/api.md is the reference.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import {
  type CatalogEntry,
  type ParameterProblem,
  parameterProblems,
  type RunbookCatalog,
} from '../runbook/index.ts';
import { APPROVAL_REJECTED, approvalOutput, mayDecide, rejectionCause } from './approval-decision.ts';
import {
  approvalUrlOf,
  consoleUrlOf,
  executionArnOf,
  parseExecutionArn,
  stateMachineArnOf,
  statusUrlOf,
} from './approval-links.ts';
import { catalogEntry, catalogEntryOfExecution } from './catalog.ts';
import type { ExecutionOutput, JsonScalar, RunbookInput, StepValue } from './events.ts';
import { type PendingApproval, pendingApprovals, readHistory, stepValuesOf } from './execution-history.ts';
import { type InputProblem, problemsOf, shownValue } from './parse-input.ts';

/** What the API core needs. */
export interface ApiDeps {
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly catalog: RunbookCatalog;
  /**
   * The API's base URL (stage included) for status URLs.
   *
   * @default - from the request: `https://<domain name>/<stage>`
   */
  readonly apiUrl?: string;
  /** History pages (1,000 events each) read for one request. @default 25 */
  readonly maxHistoryPages?: number;
}

/** A request, as the router-facing layer parses it from the API Gateway event. */
export interface ApiRequest {
  /** The signed request's IAM principal ARN. */
  readonly caller: string;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The JSON body, already parsed, or its text, or absent. */
  readonly body?: unknown;
  /** `https://<domain name>[/<stage>]`, for status URLs when {@link ApiDeps.apiUrl} is not set. */
  readonly baseUrl: string;
}

/** A response: its status code and JSON body. */
export interface ApiResult {
  readonly statusCode: number;
  readonly body: unknown;
}

/** The error codes of the API's 4xx responses (docs/api.md#errors). */
export const API_ERROR_CODES = [
  'INVALID_REQUEST',
  'INVALID_PARAMETERS',
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_KEY_REUSED',
  'RUNBOOK_NOT_FOUND',
  'EXECUTION_NOT_FOUND',
  'NOT_AN_APPROVER',
  'NO_APPROVAL_WAITING',
  'UNAUTHENTICATED',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The body of every 4xx response. */
export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string } & Readonly<
    Record<string, unknown>
  >;
}

function failure(
  statusCode: number,
  code: ApiErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
): ApiResult {
  const body: ApiErrorBody = { error: { code, message, ...details } };
  return { statusCode, body };
}

/** The header whose value names the execution, so a retried start does not start a second run. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** What an idempotency key may be: a Step Functions execution name that needs no escaping. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,80}$/;

const DEFAULT_MAX_HISTORY_PAGES = 25;

function baseUrl(deps: ApiDeps, request: ApiRequest): string {
  return deps.apiUrl ?? request.baseUrl;
}

function bodyJson(body: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof body !== 'string') return { ok: true, value: body };
  if (body.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

function invalidBody(problems: readonly InputProblem[]): ApiResult {
  return failure(
    400,
    'INVALID_REQUEST',
    `the request body is not accepted: ${problems.map((p) => p.message).join('; ')}`,
    {
      problems,
    },
  );
}

function isSdkError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

// ---------------------------------------------------------------------------------------------
// POST /runbooks/{name}/executions
// ---------------------------------------------------------------------------------------------

/** The body of a successful start (202). */
export interface StartedExecution {
  readonly executionArn: string;
  readonly runbook: string;
  readonly startDate: string;
  readonly statusUrl: string;
  readonly consoleUrl?: string;
  /** True when an earlier request with the same idempotency key started it. */
  readonly existing: boolean;
}

function startable(catalog: RunbookCatalog): string[] {
  return catalog.runbooks.filter((entry) => entry.api).map((entry) => entry.name);
}

/** The params object with its keys sorted, so a retry that orders them otherwise is the same input. */
function sortedParams(params: Readonly<Record<string, JsonScalar>>): Record<string, JsonScalar> {
  return Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Starts runbook `name` with the request body as its parameters: 202 with the execution ARN and
 * its status URL; 400 listing every parameter problem; 404 naming the runbooks the API starts;
 * 409 when the idempotency key named another request's execution.
 */
export async function startRunbookExecution(
  name: string,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResult> {
  const entry = catalogEntry(deps.catalog, name);
  if (!entry?.api) {
    const names = startable(deps.catalog);
    const why = entry ? `runbook ${name} has no api trigger` : `no runbook ${shownValue(name)} is deployed`;
    return failure(
      404,
      'RUNBOOK_NOT_FOUND',
      `${why}; the API starts: ${names.length > 0 ? names.join(', ') : 'none'}`,
      {
        runbook: name,
        deployed: names,
      },
    );
  }
  const json = bodyJson(request.body);
  if (!json.ok) {
    return invalidBody([
      {
        field: '(root)',
        accepted: 'a JSON object of parameter values',
        message: '(root): received text that is not JSON; accepted: a JSON object of parameter values',
      },
    ]);
  }
  const params = json.value ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    const accepted = 'a JSON object of parameter values';
    return invalidBody([
      {
        field: '(root)',
        value: params,
        accepted,
        message: `(root): received ${shownValue(params)}; accepted: ${accepted}`,
      },
    ]);
  }
  const problems: ParameterProblem[] = parameterProblems(entry, params as Record<string, unknown>);
  if (problems.length > 0) {
    return failure(
      400,
      'INVALID_PARAMETERS',
      `runbook ${name}: ${problems.map((p) => p.message).join('; ')}`,
      {
        runbook: name,
        problems,
      },
    );
  }
  const key = request.headers[IDEMPOTENCY_HEADER];
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    return failure(
      400,
      'INVALID_IDEMPOTENCY_KEY',
      `header Idempotency-Key: received ${shownValue(key)}; accepted: 1 to 80 letters, digits, - and _`,
      { header: 'Idempotency-Key', value: key },
    );
  }
  const input: RunbookInput = {
    params: sortedParams(params as Record<string, JsonScalar>),
    trigger: { type: 'api', api: { caller: request.caller } },
  };
  const started = await startOrFind(entry, input, key, deps);
  if ('statusCode' in started) return started;
  const body: StartedExecution = {
    executionArn: started.executionArn,
    runbook: name,
    startDate: started.startDate.toISOString(),
    statusUrl: statusUrlOf(baseUrl(deps, request), started.executionArn),
    ...optional('consoleUrl', consoleUrlOf(started.executionArn)),
    existing: started.existing,
  };
  return { statusCode: 202, body };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

async function startOrFind(
  entry: CatalogEntry,
  input: RunbookInput,
  key: string | undefined,
  deps: ApiDeps,
): Promise<{ executionArn: string; startDate: Date; existing: boolean } | ApiResult> {
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: entry.stateMachineArn,
        input: JSON.stringify(input),
        ...(key === undefined ? {} : { name: key }),
      }),
    );
    return { executionArn: out.executionArn ?? '', startDate: out.startDate ?? new Date(0), existing: false };
  } catch (error) {
    // Step Functions answers a repeated name with the running execution when the input is the
    // same; a finished execution, or another input, is ExecutionAlreadyExists.
    if (key === undefined || !isSdkError(error, 'ExecutionAlreadyExists')) throw error;
    const executionArn = executionArnOf(entry.stateMachineArn, key);
    const existing = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (!isDeepStrictEqual(parseOr(existing.input, undefined), input)) {
      return failure(
        409,
        'IDEMPOTENCY_KEY_REUSED',
        `idempotency key ${key} already started ${executionArn} with other parameters or another caller; use a new key for a new run`,
        { executionArn },
      );
    }
    return { executionArn, startDate: existing.startDate ?? new Date(0), existing: true };
  }
}

function parseOr<T>(text: string | undefined, fallback: T): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------------------------------------
// GET /executions/{id}
// ---------------------------------------------------------------------------------------------

/** An approval that waits, as the API shows it (never its task token). */
export interface WaitingApproval {
  readonly stepId: string;
  readonly message: string;
  /** Empty: anyone allowed to call the approval route. */
  readonly approvers: readonly string[];
  readonly requestedAt: string;
  readonly deadline: string;
  /** `POST` the decision here. */
  readonly approvalUrl: string;
}

/** The body of `GET /executions/{id}`. */
export interface ExecutionStatus {
  readonly executionArn: string;
  readonly runbook: string;
  /** Step Functions' status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  /** A failed execution's error name and cause. */
  readonly error?: string;
  readonly cause?: string;
  readonly consoleUrl?: string;
  /** The runbook's outputs once it succeeded. */
  readonly outputs?: Readonly<Record<string, JsonScalar>>;
  /** Each step's value: status, exit code, outputs; exec steps their record (tail, output URI). */
  readonly steps: Readonly<Record<string, StepValue>>;
  /** The approvals that wait for a decision (several only in parallel branches). */
  readonly approvals: readonly WaitingApproval[];
  /** False when the history was longer than the API reads: `steps` may then lag. */
  readonly historyComplete: boolean;
}

type Located =
  | { readonly ok: true; readonly executionArn: string; readonly entry: CatalogEntry }
  | { readonly ok: false; readonly result: ApiResult };

/** The execution `id` names (its ARN, percent-encoded or not), if it is one of a deployed runbook. */
function locate(id: string | undefined, deps: ApiDeps): Located {
  const decoded = id === undefined ? '' : id.includes('%') ? safeDecode(id) : id;
  const entry = parseExecutionArn(decoded)
    ? catalogEntryOfExecution(deps.catalog, stateMachineArnOf(decoded))
    : undefined;
  if (!entry) {
    return {
      ok: false,
      result: failure(
        404,
        'EXECUTION_NOT_FOUND',
        `${shownValue(decoded)} is not an execution of a deployed runbook; accepted: the executionArn a start returned`,
        { id: decoded },
      ),
    };
  }
  return { ok: true, executionArn: decoded, entry };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function describe(
  executionArn: string,
  deps: ApiDeps,
): Promise<DescribeExecutionCommandOutput | ApiResult> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (!isSdkError(error, 'ExecutionDoesNotExist')) throw error;
    return failure(404, 'EXECUTION_NOT_FOUND', `execution ${executionArn} does not exist`, {
      id: executionArn,
    });
  }
}

function waitingApproval(pending: PendingApproval, apiUrl: string, executionArn: string): WaitingApproval {
  return {
    stepId: pending.stepId,
    message: pending.event.message,
    approvers: pending.event.approvers,
    requestedAt: pending.requestedAt.toISOString(),
    deadline: new Date(pending.requestedAt.getTime() + pending.event.timeoutMs).toISOString(),
    approvalUrl: approvalUrlOf(apiUrl, executionArn),
  };
}

/**
 * An execution's status, its steps' values (tails and output URIs), its outputs and the
 * approvals that wait: 200, or 404 for an id that is not an execution of a deployed runbook.
 */
export async function describeRunbookExecution(
  id: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResult> {
  const located = locate(id, deps);
  if (!located.ok) return located.result;
  const { executionArn, entry } = located;
  const execution = await describe(executionArn, deps);
  if ('statusCode' in execution) return execution;
  const status = execution.status ?? 'UNKNOWN';
  const output = parseOr(execution.output, undefined) as Partial<ExecutionOutput> | undefined;
  const finishedWithSteps = status === 'SUCCEEDED' && output?.steps !== undefined;
  const history = finishedWithSteps
    ? { events: [], complete: true }
    : await readHistory(deps.sfn, executionArn, deps.maxHistoryPages ?? DEFAULT_MAX_HISTORY_PAGES);
  const apiUrl = baseUrl(deps, request);
  const body: ExecutionStatus = {
    executionArn,
    runbook: entry.name,
    status,
    startDate: (execution.startDate ?? new Date(0)).toISOString(),
    ...optional('stopDate', execution.stopDate?.toISOString()),
    ...optional('error', execution.error),
    ...optional('cause', execution.cause),
    ...optional('consoleUrl', consoleUrlOf(executionArn)),
    ...optional('outputs', status === 'SUCCEEDED' ? output?.outputs : undefined),
    steps: finishedWithSteps ? (output?.steps ?? {}) : stepValuesOf(history.events),
    approvals:
      status === 'RUNNING'
        ? pendingApprovals(history.events).map((pending) => waitingApproval(pending, apiUrl, executionArn))
        : [],
    historyComplete: history.complete,
  };
  return { statusCode: 200, body };
}

// ---------------------------------------------------------------------------------------------
// POST /executions/{id}/approval
// ---------------------------------------------------------------------------------------------

/** The longest comment a decision takes (a rejection's cause must stay under 32,768 characters). */
export const MAX_COMMENT_LENGTH = 2000;

const decisionSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: z.optional(z.string().check(z.maxLength(MAX_COMMENT_LENGTH))),
  stepId: z.optional(z.string().check(z.minLength(1))),
});

/** The body of a recorded decision (200). */
export interface RecordedDecision {
  readonly executionArn: string;
  readonly stepId: string;
  readonly decision: 'approve' | 'reject';
  /** The caller's principal ARN: the step's `approvedBy` output. */
  readonly decidedBy: string;
  readonly comment: string;
}

function noApproval(
  executionArn: string,
  why: string,
  details: Readonly<Record<string, unknown>> = {},
): ApiResult {
  return failure(409, 'NO_APPROVAL_WAITING', `${why} (execution ${executionArn})`, {
    executionArn,
    ...details,
  });
}

/**
 * Completes the waiting approval's task token with the caller's decision (SendTaskSuccess or
 * SendTaskFailure `ApprovalRejected`), the caller recorded as `approvedBy`: 200; 400 for a bad
 * body; 403 when the step names approvers and the caller is not one; 404 for an unknown
 * execution; 409 when no approval (or not the one named) waits.
 */
export async function submitApprovalDecision(
  id: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResult> {
  const json = bodyJson(request.body);
  if (!json.ok) {
    return invalidBody([
      {
        field: '(root)',
        accepted: 'a JSON object',
        message: '(root): received text that is not JSON; accepted: a JSON object',
      },
    ]);
  }
  const parsed = decisionSchema.safeParse(json.value, { reportInput: true });
  if (!parsed.success) return invalidBody(problemsOf(parsed.error.issues));
  const { decision, comment = '', stepId } = parsed.data;
  const located = locate(id, deps);
  if (!located.ok) return located.result;
  const { executionArn } = located;
  const execution = await describe(executionArn, deps);
  if ('statusCode' in execution) return execution;
  if (execution.status !== 'RUNNING') {
    return noApproval(
      executionArn,
      `the execution is ${execution.status ?? 'not running'}: no approval waits`,
    );
  }
  const history = await readHistory(
    deps.sfn,
    executionArn,
    deps.maxHistoryPages ?? DEFAULT_MAX_HISTORY_PAGES,
  );
  const waiting = pendingApprovals(history.events);
  const waitingIds = waiting.map((w) => w.stepId);
  const chosen =
    stepId === undefined
      ? waiting.length === 1
        ? waiting[0]
        : undefined
      : waiting.find((w) => w.stepId === stepId);
  if (!chosen) {
    const why =
      waiting.length === 0
        ? 'no approval waits'
        : stepId === undefined
          ? `approvals wait at ${waitingIds.join(', ')}: name one in stepId`
          : `no approval waits at step ${shownValue(stepId)}; waiting: ${waitingIds.join(', ')}`;
    return noApproval(executionArn, why, { waiting: waitingIds });
  }
  const approvers = chosen.event.approvers;
  if (!mayDecide(approvers, request.caller)) {
    return failure(
      403,
      'NOT_AN_APPROVER',
      `${request.caller} may not decide step ${chosen.stepId}; its approvers: ${approvers.join(', ')}`,
      { caller: request.caller, stepId: chosen.stepId, approvers },
    );
  }
  const taskToken = chosen.event.taskToken;
  try {
    if (decision === 'approve') {
      const output = JSON.stringify(approvalOutput(request.caller, comment));
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
    } else {
      const cause = rejectionCause(request.caller, comment);
      await deps.sfn.send(new SendTaskFailureCommand({ taskToken, error: APPROVAL_REJECTED, cause }));
    }
  } catch (error) {
    if (!isSdkError(error, 'TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken')) throw error;
    return noApproval(
      executionArn,
      `the approval at step ${chosen.stepId} no longer waits: decided or timed out`,
      {
        stepId: chosen.stepId,
      },
    );
  }
  const body: RecordedDecision = {
    executionArn,
    stepId: chosen.stepId,
    decision,
    decidedBy: request.caller,
    comment,
  };
  return { statusCode: 200, body };
}

// ---------------------------------------------------------------------------------------------
// The router-facing layer
// ---------------------------------------------------------------------------------------------

const headerMap = z.optional(z.nullable(z.record(z.string(), z.optional(z.string()))));

/** The parts of an API Gateway proxy event (REST v1 or HTTP API v2 payload) the routes read. */
const proxyEventSchema = z.object({
  headers: headerMap,
  pathParameters: headerMap,
  body: z.optional(z.nullable(z.unknown())),
  isBase64Encoded: z.optional(z.boolean()),
  requestContext: z.object({
    domainName: z.optional(z.string()),
    stage: z.optional(z.string()),
    identity: z.optional(z.object({ userArn: z.optional(z.nullable(z.string())) })),
    authorizer: z.optional(
      z.nullable(z.object({ iam: z.optional(z.object({ userArn: z.optional(z.nullable(z.string())) })) })),
    ),
  }),
});

/** An API Gateway proxy response. */
export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function proxyResult(result: ApiResult): ProxyResult {
  return {
    statusCode: result.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(result.body),
  };
}

type RouteCore = (
  request: ApiRequest,
  pathParameters: Readonly<Record<string, string | undefined>>,
) => Promise<ApiResult>;

/**
 * Parses a proxy event into an {@link ApiRequest}: the caller from the IAM authorization
 * (`requestContext.identity.userArn` in REST payloads, `requestContext.authorizer.iam.userArn`
 * in HTTP API payloads), headers lower-cased, a base64 body decoded.
 */
export function apiRequestOf(event: unknown): ApiRequest | ApiResult {
  const parsed = proxyEventSchema.safeParse(event, { reportInput: true });
  if (!parsed.success)
    throw new Error(
      `not an API Gateway proxy event: ${problemsOf(parsed.error.issues)
        .map((p) => p.message)
        .join('; ')}`,
    );
  const { requestContext, isBase64Encoded } = parsed.data;
  const caller = requestContext.authorizer?.iam?.userArn ?? requestContext.identity?.userArn ?? undefined;
  if (!caller) {
    return failure(
      403,
      'UNAUTHENTICATED',
      'the request carries no IAM principal: sign it with SigV4 (docs/api.md#authentication)',
    );
  }
  const headers = Object.fromEntries(
    Object.entries(parsed.data.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const raw = parsed.data.body ?? undefined;
  const body = isBase64Encoded && typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const stage = requestContext.stage && requestContext.stage !== '$default' ? `/${requestContext.stage}` : '';
  return {
    caller,
    headers,
    pathParameters: parsed.data.pathParameters ?? {},
    ...(body === undefined ? {} : { body }),
    baseUrl: `https://${requestContext.domainName ?? headers.host ?? 'localhost'}${stage}`,
  };
}

/** A route for @middy/http-router: method, path template, and a handler of the proxy event. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: (event: unknown) => Promise<ProxyResult>;
}

/**
 * The API's routes over `deps`, for `httpRouterHandler(apiRoutes(deps))`.
 *
 * @example
 * export const handler = middy().use(httpHeaderNormalizer()).handler(httpRouterHandler(apiRoutes(deps)));
 */
export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  const route = (method: ApiRoute['method'], path: string, core: RouteCore): ApiRoute => ({
    method,
    path,
    handler: async (event) => {
      const request = apiRequestOf(event);
      if ('statusCode' in request) return proxyResult(request);
      return proxyResult(await core(request, request.pathParameters));
    },
  });
  return [
    route('POST', '/runbooks/{name}/executions', (request, params) =>
      startRunbookExecution(params.name ?? '', request, deps),
    ),
    route('GET', '/executions/{id}', (request, params) => describeRunbookExecution(params.id, request, deps)),
    route('POST', '/executions/{id}/approval', (request, params) =>
      submitApprovalDecision(params.id, request, deps),
    ),
  ];
}
