/**
 * The local Step Functions API through the real `@aws-sdk/client-sfn`: state machines, starts,
 * histories with Step Functions' event names and shapes, approvals by task token, stops (the
 * remote command is gone), and the errors by their AWS names.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APPROVAL_REJECTED,
  approvalOutput,
  rejectionCause,
} from '../../../lib/handlers/approval-decision.ts';
import { pendingApprovals, readHistory } from '../../../lib/handlers/execution-history.ts';
import {
  closeSfnHarnesses,
  finished,
  RUNBOOKS,
  type SfnHarness,
  sleeper,
  startSfnHarness,
  until,
} from './harness.ts';

afterEach(closeSfnHarnesses);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

async function history(h: SfnHarness, executionArn: string): Promise<HistoryEvent[]> {
  return [...(await readHistory(h.sfn, executionArn, 10)).events];
}

async function start(h: SfnHarness, name: string, input: unknown = { params: {} }, executionName?: string) {
  const out = await h.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: h.machineArn(name),
      input: JSON.stringify(input),
      ...(executionName ? { name: executionName } : {}),
    }),
  );
  return out.executionArn as string;
}

/** Waits for the approval's TaskScheduled event and returns its task token. */
async function waitingToken(h: SfnHarness, executionArn: string): Promise<string> {
  const pending = await until('the approval to wait', async () => {
    const found = pendingApprovals(await history(h, executionArn));
    return found.length > 0 ? found : undefined;
  });
  return pending[0]?.event.taskToken as string;
}

describe('the local Step Functions API', () => {
  it('lists and describes one state machine per runbook, named as the stack names them', async () => {
    // Arrange
    const h = await startSfnHarness();

    // Act
    const listed = await h.sfn.send(new ListStateMachinesCommand({}));
    const page = await h.sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    const described = await h.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: h.machineArn('ok') }),
    );

    // Assert
    expect(listed.stateMachines?.map((m) => m.name).sort()).toEqual([
      'runbooks-fails',
      'runbooks-gated',
      'runbooks-ok',
    ]);
    expect(listed.stateMachines?.[0]?.creationDate).toBeInstanceOf(Date);
    expect(page.stateMachines).toHaveLength(1);
    expect(page.nextToken).toBeDefined();
    expect(described).toMatchObject({ name: 'runbooks-ok', status: 'ACTIVE', type: 'STANDARD' });
    const definition = JSON.parse(described.definition ?? '{}') as { StartAt: string };
    expect(definition.StartAt).toBe('Runbook.CheckInput');
  });

  it('runs an execution to success with the outputs and the Step Functions history events', async () => {
    // Arrange
    const h = await startSfnHarness();

    // Act
    const arn = await start(h, 'ok', { params: { who: 'sdk' } }, 'first');
    const done = await finished(h.sfn, arn);
    const events = await history(h, arn);

    // Assert
    expect(arn).toBe('arn:aws:states:eu-west-1:000000000000:execution:runbooks-ok:first');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.startDate).toBeInstanceOf(Date);
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(done.output ?? '{}').outputs).toEqual({ greeting: 'sdk' });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.slice(1, 6)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    for (const event of events.slice(1)) {
      expect(event.previousEventId).toBeLessThan(event.id as number);
      expect(event.timestamp).toBeInstanceOf(Date);
    }
    expect(events[0]?.executionStartedEventDetails?.input).toBe('{"params":{"who":"sdk"}}');
    expect(events[1]?.stateEnteredEventDetails?.name).toBe('Runbook.CheckInput');
    expect(events[2]?.lambdaFunctionScheduledEventDetails?.resource).toBe(
      'arn:aws:lambda:eu-west-1:000000000000:function:CheckInputFn',
    );
    expect(events[4]?.previousEventId).toBe(events[3]?.id);
    const greet = events.find((e) => e.stateEnteredEventDetails?.name === 'greet');
    expect(greet?.type).toBe('TaskStateEntered');
    const exited = events.filter((e) => e.type === 'TaskStateExited').at(-1);
    expect(JSON.parse(exited?.stateExitedEventDetails?.output ?? '{}').steps.greet.status).toBe('succeeded');
    expect(JSON.parse(events.at(-1)?.executionSucceededEventDetails?.output ?? '{}').outputs).toEqual({
      greeting: 'sdk',
    });
  });

  it('reports a failed command as LambdaFunctionFailed and the execution as FAILED with its error', async () => {
    // Arrange
    const h = await startSfnHarness();

    // Act
    const arn = await start(h, 'fails');
    const done = await finished(h.sfn, arn);
    const events = await history(h, arn);

    // Assert
    expect(done.status).toBe('FAILED');
    expect(done.error).toBeTruthy();
    const failed = events.find((e) => e.type === 'LambdaFunctionFailed');
    expect(failed?.lambdaFunctionFailedEventDetails?.error).toBeTruthy();
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
    expect(events.at(-1)?.executionFailedEventDetails?.error).toBe(done.error);
  });

  it('fails an execution whose input the runbook does not accept with InvalidInput, as the deployed CheckInput does', async () => {
    const h = await startSfnHarness();
    const arn = await start(h, 'ok', { params: { nope: 1 } });
    const done = await finished(h.sfn, arn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('InvalidInput');
  });

  it('answers a repeated name with the running execution for the same input, else ExecutionAlreadyExists', async () => {
    // Arrange
    const h = await startSfnHarness();
    const first = await start(h, 'gated', { params: {} }, 'once');

    // Act
    const again = await start(h, 'gated', { params: {} }, 'once');
    const other = await rejection(start(h, 'gated', { params: { x: 1 } }, 'once'));

    // Assert
    expect(again).toBe(first);
    expect(other).toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('lists executions newest first, by status, page by page', async () => {
    // Arrange
    const h = await startSfnHarness();
    const a = await start(h, 'ok', { params: {} }, 'a');
    await finished(h.sfn, a);
    const b = await start(h, 'ok', { params: {} }, 'b');
    await finished(h.sfn, b);

    // Act
    const all = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: h.machineArn('ok') }));
    const first = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: h.machineArn('ok'), maxResults: 1 }),
    );
    const second = await h.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: h.machineArn('ok'),
        maxResults: 1,
        nextToken: first.nextToken,
      }),
    );
    const running = await h.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: h.machineArn('ok'), statusFilter: 'RUNNING' }),
    );

    // Assert
    expect(all.executions?.map((e) => e.name)).toEqual(['b', 'a']);
    expect(all.executions?.[0]).toMatchObject({ status: 'SUCCEEDED', stateMachineArn: h.machineArn('ok') });
    expect(first.executions?.map((e) => e.name)).toEqual(['b']);
    expect(second.executions?.map((e) => e.name)).toEqual(['a']);
    expect(second.nextToken).toBeUndefined();
    expect(running.executions).toEqual([]);
  });

  it('pages a history and reads it newest first, without execution data when asked', async () => {
    // Arrange
    const h = await startSfnHarness();
    const arn = await start(h, 'ok');
    await finished(h.sfn, arn);

    // Act
    const first = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    const second = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, nextToken: first.nextToken }),
    );
    const reversed = await h.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, includeExecutionData: false }),
    );
    const badToken = await rejection(
      h.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken: 'garbage' })),
    );

    // Assert
    expect(first.events?.map((e) => e.id)).toEqual([1, 2]);
    expect(second.events?.map((e) => e.id)).toEqual([3, 4]);
    expect(reversed.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(reversed.events?.[0]?.executionSucceededEventDetails?.output).toBeUndefined();
    expect(reversed.events?.at(-1)?.executionStartedEventDetails?.input).toBeUndefined();
    expect(badToken).toBeInstanceOf(InvalidToken);
  });

  it('approves a waiting approval with SendTaskSuccess and the token its TaskScheduled event carries', async () => {
    // Arrange
    const h = await startSfnHarness();
    const arn = await start(h, 'gated');
    const token = await waitingToken(h, arn);

    // Act
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await h.sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(approvalOutput('alice', 'go')) }),
    );
    const done = await finished(h.sfn, arn);
    const again = await rejection(h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));

    // Assert
    expect(done.status).toBe('SUCCEEDED');
    const steps = JSON.parse(done.output ?? '{}').steps;
    expect(steps.ask.outputs).toEqual({ approvedBy: 'alice', comment: 'go' });
    expect(steps.work.status).toBe('succeeded');
    const events = await history(h, arn);
    const scheduled = events.find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'eu-west-1',
    });
    expect(events.some((e) => e.type === 'TaskSucceeded')).toBe(true);
    expect(again).toBeInstanceOf(TaskDoesNotExist);
  });

  it('rejects a waiting approval with SendTaskFailure ApprovalRejected: the execution fails as rejected', async () => {
    // Arrange
    const h = await startSfnHarness();
    const arn = await start(h, 'gated');
    const token = await waitingToken(h, arn);

    // Act
    await h.sfn.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: APPROVAL_REJECTED,
        cause: rejectionCause('bob', 'not now'),
      }),
    );
    const done = await finished(h.sfn, arn);
    const events = await history(h, arn);

    // Assert
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe(APPROVAL_REJECTED);
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails?.error).toBe(
      APPROVAL_REJECTED,
    );
    expect(events.some((e) => e.stateEnteredEventDetails?.name === 'work')).toBe(false);
  });

  it('stops a running execution: ABORTED, an ExecutionAborted event, and the remote command is gone', async () => {
    // Arrange
    const pidFile = path.join(os.tmpdir(), `sfn-stop-${process.pid}-${Date.now()}.pid`);
    const h = await startSfnHarness({ sleeper: sleeper(pidFile) });
    const arn = await start(h, 'sleeper');
    const pid = await until('the command to start', async () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      return text === '' ? undefined : Number(text);
    });
    expect(alive(pid)).toBe(true);

    // Act
    await h.sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'wrong service' }),
    );
    const done = await h.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));

    // Assert
    expect(done.status).toBe('ABORTED');
    expect(done.stopDate).toBeInstanceOf(Date);
    const events = await history(h, arn);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
    expect(events.at(-1)?.executionAbortedEventDetails).toEqual({
      error: 'Operator',
      cause: 'wrong service',
    });
    await until('the remote command to be killed', async () => (alive(pid) ? undefined : true), 15_000);
    await h.api.service.settled();
    expect((await history(h, arn)).at(-1)?.type).toBe('ExecutionAborted');
  });

  it.each([
    {
      what: 'an unknown execution',
      call: (h: SfnHarness) =>
        h.sfn.send(
          new DescribeExecutionCommand({
            executionArn: 'arn:aws:states:eu-west-1:000000000000:execution:runbooks-ok:nope',
          }),
        ),
      type: ExecutionDoesNotExist,
    },
    {
      what: 'an unknown state machine',
      call: (h: SfnHarness) =>
        h.sfn.send(new StartExecutionCommand({ stateMachineArn: h.machineArn('nope') })),
      type: StateMachineDoesNotExist,
    },
    {
      what: 'an ARN that is not one',
      call: (h: SfnHarness) => h.sfn.send(new DescribeExecutionCommand({ executionArn: 'nope' })),
      type: InvalidArn,
    },
    {
      what: 'a token that is not one',
      call: (h: SfnHarness) => h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'nope' })),
      type: InvalidToken,
    },
    {
      what: 'a token of no task',
      call: (h: SfnHarness) =>
        h.sfn.send(
          new SendTaskSuccessCommand({
            taskToken: 'local-task-token-00000000-0000-0000-0000-000000000000',
            output: '{}',
          }),
        ),
      type: TaskDoesNotExist,
    },
  ])('rejects $what with the Step Functions error', async ({ call, type }) => {
    const h = await startSfnHarness({ ok: RUNBOOKS.ok });
    const error = await rejection(call(h));
    expect(error).toBeInstanceOf(type);
    expect(error.message).not.toBe('');
  });

  it('answers an operation it does not serve with UnknownOperationException in the AWS JSON shape', async () => {
    // Arrange
    const h = await startSfnHarness({ ok: RUNBOOKS.ok });

    // Act
    const response = await fetch(h.api.endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSStepFunctions.CreateStateMachine',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('ListStateMachines');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
