/**
 * What an execution's history tells the API: the approvals that wait (with their task tokens)
 * and the steps' values so far.
 *
 * An approval state's `TaskScheduled` event carries the state's resolved `Parameters`, so its
 * `Payload` is the {@link ApprovalEvent} the approval-request function received, task token
 * included. That event is where the API finds the token: nothing else stores it.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { approvalEventSchema } from './approval-request.ts';
import type { ApprovalEvent, StepValue } from './events.ts';

/** An execution's events, oldest first. */
export interface ExecutionHistory {
  readonly events: readonly HistoryEvent[];
  /** False when `maxPages` ran out before the last event. */
  readonly complete: boolean;
}

/** Reads up to `maxPages` pages of 1,000 events. */
export async function readHistory(
  sfn: Pick<SFNClient, 'send'>,
  executionArn: string,
  maxPages: number,
): Promise<ExecutionHistory> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken,
      }),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
    if (!nextToken) return { events, complete: true };
  }
  return { events, complete: false };
}

/** An approval that waits for a decision. */
export interface PendingApproval {
  readonly stepId: string;
  readonly event: ApprovalEvent;
  /** When the approval state scheduled the request. */
  readonly requestedAt: Date;
}

const scheduledParameters = z.object({ Payload: approvalEventSchema });

const TASK_ENDS = new Set([
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
]);
const STATE_ENDS = new Set(['TaskStateExited', 'TaskStateAborted']);

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The name of the state an event belongs to: its own entered/exited details, else the nearest
 * earlier event in its chain (`previousEventId`) that has them.
 */
function stateNameOf(event: HistoryEvent, byId: ReadonlyMap<number, HistoryEvent>): string | undefined {
  let current: HistoryEvent | undefined = event;
  for (let hops = 0; current && hops < 16; hops++) {
    const name = current.stateEnteredEventDetails?.name ?? current.stateExitedEventDetails?.name;
    if (name !== undefined) return name;
    current = current.previousEventId === undefined ? undefined : byId.get(current.previousEventId);
  }
  return undefined;
}

/**
 * The approvals waiting in `events`: approval tasks (`lambda` `invoke.waitForTaskToken` whose
 * Payload is an approval event) scheduled and not yet ended, in the order they were requested.
 * Only meaningful for a running execution.
 */
export function pendingApprovals(events: readonly HistoryEvent[]): PendingApproval[] {
  const byId = new Map<number, HistoryEvent>();
  const pending = new Map<string, PendingApproval>();
  for (const event of events) {
    if (event.id !== undefined) byId.set(event.id, event);
    const scheduled = event.taskScheduledEventDetails;
    if (event.type === 'TaskScheduled' && scheduled?.resource === 'invoke.waitForTaskToken') {
      const parsed = scheduledParameters.safeParse(parseJson(scheduled.parameters));
      if (parsed.success) {
        const approval = parsed.data.Payload;
        pending.set(stateNameOf(event, byId) ?? approval.stepId, {
          stepId: approval.stepId,
          event: approval,
          requestedAt: event.timestamp ?? new Date(0),
        });
      }
    } else if ((event.type && TASK_ENDS.has(event.type)) || (event.type && STATE_ENDS.has(event.type))) {
      const name = stateNameOf(event, byId);
      if (name !== undefined) pending.delete(name);
    }
  }
  return [...pending.values()];
}

function isStepValue(value: unknown): value is StepValue {
  return (
    typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'string'
  );
}

/**
 * Every step's latest value in `events`: from each state's output `steps`, a value other than
 * `skipped` replaces an earlier one (parallel branches each carry their own copy of the steps,
 * in which the other branches' steps still read `skipped`).
 */
export function stepValuesOf(events: readonly HistoryEvent[]): Record<string, StepValue> {
  const steps: Record<string, StepValue> = {};
  for (const event of events) {
    const output = parseJson(event.stateExitedEventDetails?.output) as { steps?: unknown } | undefined;
    const values = output?.steps;
    if (typeof values !== 'object' || values === null) continue;
    for (const [id, value] of Object.entries(values)) {
      if (!isStepValue(value)) continue;
      if (value.status !== 'skipped' || !(id in steps)) steps[id] = value;
    }
  }
  return steps;
}
