/**
 * The approval-request handler core: invoked by an approval state
 * (`arn:aws:states:::lambda:invoke.waitForTaskToken`, events.ts {@link ApprovalEvent}) with the
 * task token, it tells the approvers through SNS what is asked, what runs next, where the
 * execution is, and the exact signed calls that approve or reject it. It returns at once; the
 * state waits until the API (lib/handlers/api.ts) sends the decision or its timeout ends it.
 *
 * The token itself stays where Step Functions put it: in the approval state's `TaskScheduled`
 * event of the execution history, which the API reads (docs/api.md#where-the-token-lives).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import type { RunbookCatalog } from '../runbook/catalog.ts';
import { approvalCommand, consoleUrlOf, statusUrlOf } from './approval-links.ts';
import type { ApprovalEvent } from './events.ts';
import { parseInput } from './parse-input.ts';

/** The schema of {@link ApprovalEvent}, as the compiled approval state sends it. */
export const approvalEventSchema = z.object({
  kind: z.literal('approval'),
  runbook: z.string().check(z.minLength(1)),
  stepId: z.string().check(z.minLength(1)),
  execution: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  message: z.string(),
  approvers: z.array(z.string()),
  timeoutMs: z.int().check(z.positive()),
});

/**
 * Parses an approval state's payload; throws `InvalidInputError` naming every field that is
 * missing or wrong, the value received and what is accepted.
 */
export function parseApprovalEvent(event: unknown): ApprovalEvent {
  return parseInput(approvalEventSchema, event, 'approval-request event');
}

/** What the approval-request core needs. */
export interface ApprovalRequestDeps {
  readonly sns: Pick<SNSClient, 'send'>;
  /** Where approval requests go. */
  readonly topicArn: string;
  /** The API's base URL (stage included), for the status page and the approval calls. */
  readonly apiUrl: string;
  /** For what runs next and what a rejection leads to. @default - generic words */
  readonly catalog?: RunbookCatalog;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What the handler returns (Step Functions ignores it: the state waits for the token). */
export interface ApprovalRequestResult {
  readonly messageId: string;
  readonly subject: string;
}

/** The SNS message of one approval request. */
export interface ApprovalMessage {
  /** At most 100 printable ASCII characters, as SNS requires. */
  readonly subject: string;
  readonly body: string;
  /** `runbook`, `stepId`, `execution` and `taskToken`, for subscription filters and machines. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** A subject SNS accepts: printable ASCII, no line breaks, at most 100 characters. */
function snsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (minutes < 60) return `${minutes}m`;
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** The message announcing `event`, requested at `requestedAt` (epoch ms). Pure. */
export function approvalMessage(
  event: ApprovalEvent,
  options: { readonly apiUrl: string; readonly catalog?: RunbookCatalog; readonly requestedAt: number },
): ApprovalMessage {
  const approval = options.catalog?.runbooks
    .find((r) => r.name === event.runbook)
    ?.approvals.find((a) => a.stepId === event.stepId);
  const deadline = new Date(options.requestedAt + event.timeoutMs).toISOString();
  const consoleUrl = consoleUrlOf(event.execution);
  const lines = [
    `Runbook ${event.runbook} waits for a decision at step ${event.stepId}.`,
    '',
    event.message,
    '',
    `If approved, next: ${approval?.next ?? `the steps after ${event.stepId}`}.`,
    `If rejected: ${approval?.onReject ?? `the step ${event.stepId} fails as ApprovalRejected`}.`,
    `Decide by ${deadline} (${duration(event.timeoutMs)} after the request); no decision by then rejects it.`,
    `Who may decide: ${event.approvers.length > 0 ? event.approvers.join(', ') : 'anyone allowed to call the approval API'}.`,
    '',
    `Execution: ${event.execution}`,
    ...(consoleUrl ? [`Console: ${consoleUrl}`] : []),
    `Status: GET ${statusUrlOf(options.apiUrl, event.execution)}`,
    '',
    'Approve (the API checks you are an approver and records you as approvedBy):',
    `  POST ${statusUrlOf(options.apiUrl, event.execution)}/approval`,
    `  ${JSON.stringify({ decision: 'approve', comment: '' })}`,
    `  ${approvalCommand(options.apiUrl, event.execution, { decision: 'approve', comment: '' })}`,
    '',
    'Reject:',
    `  POST ${statusUrlOf(options.apiUrl, event.execution)}/approval`,
    `  ${JSON.stringify({ decision: 'reject', comment: 'why' })}`,
    `  ${approvalCommand(options.apiUrl, event.execution, { decision: 'reject', comment: 'why' })}`,
    '',
    `Task token (SendTaskSuccess / SendTaskFailure): ${event.taskToken}`,
  ];
  return {
    subject: snsSubject(`Approval needed: ${event.runbook} / ${event.stepId}`),
    body: lines.join('\n'),
    attributes: {
      runbook: event.runbook,
      stepId: event.stepId,
      execution: event.execution,
      taskToken: event.taskToken,
    },
  };
}

/**
 * Publishes the approval request of `event` to the approval topic.
 *
 * @example
 * const sns = new SNSClient({});
 * export const handler = (raw: unknown) =>
 *   requestApproval(parseApprovalEvent(raw), { sns, topicArn, apiUrl, catalog });
 */
export async function requestApproval(
  event: ApprovalEvent,
  deps: ApprovalRequestDeps,
): Promise<ApprovalRequestResult> {
  const message = approvalMessage(event, {
    apiUrl: deps.apiUrl,
    ...(deps.catalog ? { catalog: deps.catalog } : {}),
    requestedAt: (deps.now ?? Date.now)(),
  });
  const published = await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: message.subject,
      Message: message.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(message.attributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
  return { messageId: published.MessageId ?? '', subject: message.subject };
}
