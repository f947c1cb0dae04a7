/**
 * Approvals in a local run. The engine makes no task tokens and has no approval API, so the
 * runner binds each approval state to a handler that decides by policy: approve or reject as
 * told (`--approve` / `--reject`), or ask someone (the CLI asks on the terminal). With no
 * policy nobody decides: the state's `TimeoutSeconds` ends it with `States.Timeout`, as on AWS,
 * and the compiled states turn that into an `ApprovalRejected` failure.
 */
import { type ApprovalDecision, type ApprovalEvent, rejectedValue } from '../handlers/index.ts';
import { TaskError } from '../shared/index.ts';

/** What an approver is asked. */
export interface ApprovalRequest {
  readonly runbook: string;
  readonly stepId: string;
  readonly message: string;
  /** Principals allowed to decide on AWS; locally for information. */
  readonly approvers: readonly string[];
  readonly timeoutMs: number;
  /** The ids of the `runbook` steps the run is nested in. */
  readonly scope: readonly string[];
  /** The wait's task token (the local Step Functions API completes it with SendTask*). */
  readonly taskToken: string;
}

/** A decision. */
export interface ApprovalAnswer {
  readonly approved: boolean;
  /** Who decided. */
  readonly approvedBy: string;
  /** @default '' */
  readonly comment?: string;
}

/**
 * How a local run decides approvals: a fixed decision for every approval, or a function that
 * asks (it receives a signal that aborts when the approval's time is up or the run is cancelled).
 */
export type ApprovalPolicy =
  | { readonly decision: 'approve' | 'reject'; readonly approvedBy: string; readonly comment?: string }
  | { readonly ask: (request: ApprovalRequest, signal: AbortSignal) => Promise<ApprovalAnswer> };

/** What the approval state's handler receives: the Lambda integration's parameters. */
export interface ApprovalInvocation {
  readonly FunctionName: string;
  readonly Payload: ApprovalEvent;
}

/** What the handler reports as it goes. */
export interface ApprovalObserver {
  requested(request: ApprovalRequest): void;
  decided(stepId: string, answer: Required<ApprovalAnswer>): void;
}

const ABORTED: unique symbol = Symbol('aborted');

/** Resolves when `signal` aborts; never rejects (the caller reads why). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Decides one approval. Returns the {@link ApprovalDecision} (the state's result on approval);
 * throws a `TaskError` named ApprovalRejected whose message is the step's failed value as JSON, as
 * SendTaskFailure's envelope carries it on AWS. With no policy it waits until `signal` aborts
 * (the runner aborts it once the state has timed out) and then throws the abort reason.
 */
export async function decideApproval(
  invocation: ApprovalInvocation,
  policy: ApprovalPolicy | undefined,
  observer: ApprovalObserver,
  scope: readonly string[],
  signal: AbortSignal,
): Promise<ApprovalDecision> {
  const event = invocation.Payload;
  const request: ApprovalRequest = {
    runbook: event.runbook,
    stepId: event.stepId,
    message: event.message,
    approvers: event.approvers,
    timeoutMs: event.timeoutMs,
    scope,
    taskToken: event.taskToken,
  };
  observer.requested(request);
  let answer: ApprovalAnswer;
  if (policy === undefined) {
    await aborted(signal);
    throw signal.reason;
  } else if ('decision' in policy) {
    answer = {
      approved: policy.decision === 'approve',
      approvedBy: policy.approvedBy,
      comment: policy.comment ?? '',
    };
  } else {
    // A policy that ignores the signal must not hold the run past the state's time.
    const asked = policy.ask(request, signal);
    const outcome = await Promise.race([asked, aborted(signal).then((): typeof ABORTED => ABORTED)]);
    if (outcome === ABORTED) {
      asked.catch(() => undefined);
      throw signal.reason;
    }
    answer = outcome;
  }
  const decided = { approved: answer.approved, approvedBy: answer.approvedBy, comment: answer.comment ?? '' };
  observer.decided(event.stepId, decided);
  if (decided.approved) return { approvedBy: decided.approvedBy, comment: decided.comment };
  throw new TaskError('ApprovalRejected', JSON.stringify(rejectedValue(decided.approvedBy, decided.comment)));
}
