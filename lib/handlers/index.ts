export {
  API_ERROR_CODES,
  type ApiDeps,
  type ApiErrorBody,
  type ApiErrorCode,
  type ApiRequest,
  type ApiResult,
  type ApiRoute,
  apiRequestOf,
  apiRoutes,
  describeRunbookExecution,
  type ExecutionStatus,
  IDEMPOTENCY_HEADER,
  type ProxyResult,
  type RecordedDecision,
  type StartedExecution,
  startRunbookExecution,
  submitApprovalDecision,
  type WaitingApproval,
} from './api.ts';
export {
  APPROVAL_REJECTED,
  approvalOutput,
  mayDecide,
  principalMatches,
  rejectedValue,
  rejectionCause,
} from './approval-decision.ts';
export {
  approvalCommand,
  approvalUrlOf,
  consoleUrlOf,
  type DecisionBody,
  executionArnOf,
  parseExecutionArn,
  statusUrlOf,
} from './approval-links.ts';
export {
  type ApprovalMessage,
  type ApprovalRequestDeps,
  type ApprovalRequestResult,
  approvalMessage,
  parseApprovalEvent,
  requestApproval,
} from './approval-request.ts';
export { retryDelayMs, runBatch } from './batch.ts';
export { type AppliedCaptures, applyCaptures, CAPTURE_WINDOW_BYTES } from './capture.ts';
export { CATALOG_ENV, catalogEntry, parseCatalog } from './catalog.ts';
export { checkRunbookInput, invokeCheckInputFn, runbookInputProblems } from './check-input.ts';
export { type CreateHandlerDepsOptions, createHandlerDeps } from './create-deps.ts';
export type { HandlerDeps, HandlerInvocation } from './deps.ts';
export { EDGE_ERROR_HINTS, toTaskError } from './edge-errors.ts';
export type * from './events.ts';
export { runExecStep } from './exec-step.ts';
export { type PendingApproval, pendingApprovals, readHistory, stepValuesOf } from './execution-history.ts';
export { summarizeFanOut } from './fan-out-summary.ts';
export {
  type ApiSettings,
  type ApprovalRequestSettings,
  FUNCTION_ENV,
  readApiSettings,
  readApprovalRequestSettings,
} from './function-settings.ts';
export { invokeExecFn, invokeFanOutSummaryFn, invokeTargetsFn } from './invoke.ts';
export {
  createDirectoryOutputStore,
  executionNameOf,
  type OutputLocation,
  OutputNotStoredError,
  type OutputStore,
  type PublishOptions,
  type StagedOutputs,
} from './output-store.ts';
export {
  batchEventSchema,
  execEventSchema,
  parseCheckInputEvent,
  parseExecFnEvent,
  parseSummaryEvent,
  parseTargetsEvent,
  summaryEventSchema,
  targetsEventSchema,
} from './parse-events.ts';
export { type InputProblem, InvalidInputError } from './parse-input.ts';
export {
  createS3OutputStore,
  fanOutPrefix,
  outputKey,
  outputMetadata,
  type S3OutputStoreOptions,
} from './s3-output-store.ts';
export { batchesOf, resolveFanOutTargets } from './targets.ts';
