import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { pendingApprovals, stepValuesOf } from '../../lib/handlers/execution-history.ts';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1';

function approvalStart(first: number, previous: number, stepId: string): HistoryEvent[] {
  const payload = {
    kind: 'approval',
    runbook: 'rb',
    stepId,
    execution: EXECUTION,
    taskToken: `token-${stepId}`,
    message: `ok ${stepId}?`,
    approvers: [],
    timeoutMs: 60_000,
  };
  return [
    {
      id: first,
      previousEventId: previous,
      type: 'TaskStateEntered',
      timestamp: new Date(first * 1000),
      stateEnteredEventDetails: { name: stepId },
    },
    {
      id: first + 1,
      previousEventId: first,
      type: 'TaskScheduled',
      timestamp: new Date(first * 1000),
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        region: 'eu-west-1',
        parameters: JSON.stringify({ FunctionName: 'fn', Payload: payload }),
      },
    },
    { id: first + 2, previousEventId: first + 1, type: 'TaskStarted', timestamp: new Date(first * 1000) },
    { id: first + 3, previousEventId: first + 2, type: 'TaskSubmitted', timestamp: new Date(first * 1000) },
  ];
}

describe('pendingApprovals', () => {
  it('lists the approvals of parallel branches that wait, not those ended or aborted', () => {
    // Arrange: three branches wait; b's task times out, c's branch is aborted.
    const events: HistoryEvent[] = [
      {
        id: 1,
        type: 'ParallelStateEntered',
        timestamp: new Date(0),
        stateEnteredEventDetails: { name: 'both' },
      },
      ...approvalStart(10, 1, 'a'),
      ...approvalStart(20, 1, 'b'),
      ...approvalStart(30, 1, 'c'),
      { id: 40, previousEventId: 23, type: 'TaskTimedOut', timestamp: new Date(40_000) },
      { id: 41, previousEventId: 33, type: 'TaskStateAborted', timestamp: new Date(41_000) },
    ];

    // Act
    const waiting = pendingApprovals(events);

    // Assert
    expect(waiting.map((w) => [w.stepId, w.event.taskToken])).toEqual([['a', 'token-a']]);
  });

  it('ignores tasks whose parameters are not an approval payload', () => {
    const events = approvalStart(1, 0, 'x');
    const scheduled = events[1];
    if (scheduled?.taskScheduledEventDetails)
      scheduled.taskScheduledEventDetails.parameters = '{"Payload":{"kind":"other"}}';
    expect(pendingApprovals(events)).toEqual([]);
  });
});

describe('stepValuesOf', () => {
  it('keeps each step value that ran over the skipped copies other branches carry', () => {
    const ran = { status: 'succeeded', exitCode: 0, outputs: {} };
    const skipped = { status: 'skipped', exitCode: null, outputs: {} };
    const events: HistoryEvent[] = [
      {
        id: 1,
        type: 'TaskStateExited',
        timestamp: new Date(0),
        stateExitedEventDetails: { name: 'a', output: JSON.stringify({ steps: { a: ran, b: skipped } }) },
      },
      {
        id: 2,
        type: 'TaskStateExited',
        timestamp: new Date(0),
        stateExitedEventDetails: { name: 'b', output: JSON.stringify({ steps: { a: skipped, b: ran } }) },
      },
      {
        id: 3,
        type: 'PassStateExited',
        timestamp: new Date(0),
        stateExitedEventDetails: { name: 'p', output: 'not json' },
      },
    ];
    expect(stepValuesOf(events)).toEqual({ a: ran, b: ran });
  });
});
