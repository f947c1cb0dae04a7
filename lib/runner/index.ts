export {
  type ApprovalAnswer,
  type ApprovalInvocation,
  type ApprovalObserver,
  type ApprovalPolicy,
  type ApprovalRequest,
  decideApproval,
} from './approval.ts';
export { asLambdaError, envelopeOf, LocalTaskFailure } from './envelope.ts';
export {
  ChildRunbookNotFoundError,
  ParameterError,
  RunbookInvalidError,
  RunnerError,
  type RunnerErrorCode,
} from './errors.ts';
export {
  type ApprovalDecidedEvent,
  type ApprovalRequestedEvent,
  type EngineEvent,
  type LocalRunResult,
  type NotificationEvent,
  type PlannedStep,
  type ProgressStepKind,
  planOf,
  type RunError,
  type RunEvent,
  type RunFinishedEvent,
  type RunStartedEvent,
  type StepFinishedEvent,
  type StepRetriedEvent,
  type StepStartedEvent,
  StepTracker,
  type StepTrackerOptions,
  stepValueOfCause,
  type TargetFinishedEvent,
} from './progress.ts';
export {
  LOCAL_CHILD_TIMEOUT_SECONDS,
  LOCAL_OUTPUT_BUCKET,
  type LocalRunContext,
  MAX_CHILD_DEPTH,
  type PreparedRunbook,
  type PrepareOptions,
  prepareRunbook,
  type RunLocalOptions,
  type RunTrace,
  runLocal,
} from './run-local.ts';
