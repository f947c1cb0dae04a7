/**
 * What a decision on an approval sends to Step Functions, and who may make it. One definition
 * for the API (SendTaskSuccess / SendTaskFailure) and the local runner, so a rejection reads the
 * same to the compiled catch path everywhere (events.ts {@link ApprovalDecision}).
 */
import type { ApprovalDecision, ErrorEnvelope, StepValue } from './events.ts';

/** The name a rejection fails the approval state with. */
export const APPROVAL_REJECTED = 'ApprovalRejected';

/** SendTaskSuccess's `output` for an approval by `approvedBy`. */
export function approvalOutput(approvedBy: string, comment: string): ApprovalDecision {
  return { approvedBy, comment };
}

/** The approval step's failed value when `rejectedBy` rejects it. */
export function rejectedValue(rejectedBy: string, comment: string): StepValue {
  return {
    status: 'failed',
    exitCode: null,
    outputs: { approvedBy: rejectedBy, comment },
    error: { name: APPROVAL_REJECTED, message: `Rejected by ${rejectedBy}${comment ? `: ${comment}` : ''}` },
  };
}

/**
 * SendTaskFailure's `cause` for a rejection: the error envelope the Lambda runtime would build,
 * whose `errorMessage` is the step's failed value as JSON.
 */
export function rejectionCause(rejectedBy: string, comment: string): string {
  const envelope: ErrorEnvelope = {
    errorType: APPROVAL_REJECTED,
    errorMessage: JSON.stringify(rejectedValue(rejectedBy, comment)),
  };
  return JSON.stringify(envelope);
}

const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Whether the IAM principal `caller` (the signed request's principal ARN) is the `approver`:
 * the same ARN, or a session of the approver's role (`arn:aws:sts::<account>:assumed-role/<role
 * name>/<session>` for `arn:aws:iam::<account>:role/<path/><role name>`; assumed-role ARNs
 * carry no role path).
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export function principalMatches(approver: string, caller: string): boolean {
  if (approver === caller) return true;
  const role = ROLE.exec(approver);
  const session = ASSUMED_ROLE.exec(caller);
  if (!role || !session) return false;
  return role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

/** Whether `caller` may decide an approval whose `approvers` are given (empty: anyone). */
export function mayDecide(approvers: readonly string[], caller: string): boolean {
  return approvers.length === 0 || approvers.some((approver) => principalMatches(approver, caller));
}
