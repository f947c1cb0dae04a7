import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApiDeps,
  type ApiRequest,
  apiRoutes,
  describeRunbookExecution,
  startRunbookExecution,
  submitApprovalDecision,
} from '../../lib/handlers/api.ts';
import type { ErrorEnvelope, StepValue } from '../../lib/handlers/events.ts';
import { catalogEntryOf, type RunbookCatalog } from '../../lib/runbook/catalog.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';

// The deployed Step Functions API cannot run here: aws-sdk-client-mock stands in for it, with
// the name semantics of StartExecution and history events shaped as GetExecutionHistory returns them.
const sfnMock = mockClient(SFNClient);

const ACCOUNT = '123456789012';
const MACHINE = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:flush-cache-Machine1`;
const NIGHTLY = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:nightly-Machine2`;
const EXECUTION = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:flush-cache-Machine1:run-1`;
const ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/ops-lead/alice`;
const MALLORY = `arn:aws:sts::${ACCOUNT}:assumed-role/developer/mallory`;
const OPS_LEAD = `arn:aws:iam::${ACCOUNT}:role/team/ops-lead`;
const TOKEN = 'AQB4AAAAKgAAAAMAAAAAAAAAAQ-token';
const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

function runbookFile(name: string) {
  const file = path.join(import.meta.dirname, '..', '..', 'runbooks', `${name}.yaml`);
  const { runbook, diagnostics } = parseRunbook(readFileSync(file, 'utf8'), { file });
  if (!runbook) throw new Error(JSON.stringify(diagnostics));
  return runbook;
}

const catalog: RunbookCatalog = {
  runbooks: [
    catalogEntryOf(runbookFile('flush-cache'), MACHINE),
    catalogEntryOf(runbookFile('nightly-maintenance'), NIGHTLY),
  ],
};

function deps(): ApiDeps {
  return { sfn: new SFNClient({ region: 'eu-west-1' }), catalog };
}

function request(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return { caller: ALICE, headers: {}, pathParameters: {}, baseUrl: BASE, ...overrides };
}

/** StartExecution as Step Functions names executions: a name is taken once per state machine. */
function fakeStartExecution(): Map<string, { input: string; startDate: Date; status: string }> {
  const executions = new Map<string, { input: string; startDate: Date; status: string }>();
  let generated = 0;
  sfnMock.on(StartExecutionCommand).callsFake((input) => {
    const name: string = input.name ?? `generated-${++generated}`;
    const arn = `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input.input) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${arn}'`, $metadata: {} });
    }
    const startDate = new Date(Date.UTC(2026, 11, 4, 20, executions.size));
    executions.set(arn, { input: input.input, startDate, status: 'RUNNING' });
    return { executionArn: arn, startDate };
  });
  sfnMock.on(DescribeExecutionCommand).callsFake((input) => {
    const found = executions.get(input.executionArn);
    if (!found) throw new Error('unexpected DescribeExecution');
    return {
      executionArn: input.executionArn,
      status: found.status,
      input: found.input,
      startDate: found.startDate,
    };
  });
  return executions;
}

/** The approval state's payload from the golden flush-cache ASL, its paths filled in. */
function approvalPayload(approvers: readonly string[]): Record<string, unknown> {
  const asl = JSON.parse(
    readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'asl', 'flush-cache.asl.json'), 'utf8'),
  );
  const payload: Record<string, unknown> = { ...asl.States.approve.Parameters.Payload, approvers };
  const filled: Record<string, unknown> = {
    execution: EXECUTION,
    taskToken: TOKEN,
    message: 'Flush the cache of web (12 entries, 48 KiB in one task)? Reason: stale',
  };
  for (const key of Object.keys(payload)) {
    if (!key.endsWith('.$')) continue;
    delete payload[key];
    payload[key.slice(0, -2)] = filled[key.slice(0, -2)];
  }
  return payload;
}

const skipped: StepValue = { status: 'skipped', exitCode: null, outputs: {} };
const measured: StepValue & { result: unknown } = {
  status: 'succeeded',
  exitCode: 0,
  outputs: { entries: 12, kib: 48 },
  result: {
    taskId: 'a1b2',
    exitCode: 0,
    status: 'succeeded',
    output: {
      tail: 'entries=12\nkib=48\n',
      totalBytes: 19,
      truncated: false,
      uri: 's3://out/flush-cache/run-1/measure/1/a1b2.log',
    },
  },
};

/** The history of flush-cache waiting at its approval step, as GetExecutionHistory lists it. */
function waitingHistory(approvers: readonly string[] = []): HistoryEvent[] {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 20, 0, s));
  return [
    { id: 1, type: 'ExecutionStarted', timestamp: at(0), executionStartedEventDetails: { input: '{}' } },
    {
      id: 2,
      previousEventId: 1,
      type: 'TaskStateEntered',
      timestamp: at(1),
      stateEnteredEventDetails: { name: 'measure', input: '{}' },
    },
    {
      id: 3,
      previousEventId: 2,
      type: 'TaskScheduled',
      timestamp: at(1),
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        region: 'eu-west-1',
        parameters: '{}',
      },
    },
    {
      id: 4,
      previousEventId: 3,
      type: 'TaskStarted',
      timestamp: at(1),
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
    },
    {
      id: 5,
      previousEventId: 4,
      type: 'TaskSucceeded',
      timestamp: at(3),
      taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' },
    },
    {
      id: 6,
      previousEventId: 5,
      type: 'TaskStateExited',
      timestamp: at(3),
      stateExitedEventDetails: {
        name: 'measure',
        output: JSON.stringify({ steps: { measure: measured, approve: skipped, flush: skipped } }),
      },
    },
    {
      id: 7,
      previousEventId: 6,
      type: 'TaskStateEntered',
      timestamp: at(3),
      stateEnteredEventDetails: { name: 'approve', input: '{}' },
    },
    {
      id: 8,
      previousEventId: 7,
      type: 'TaskScheduled',
      timestamp: at(4),
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        region: 'eu-west-1',
        parameters: JSON.stringify({
          FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:approval',
          Payload: approvalPayload(approvers),
        }),
        timeoutInSeconds: 900,
      },
    },
    {
      id: 9,
      previousEventId: 8,
      type: 'TaskStarted',
      timestamp: at(4),
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
    },
    {
      id: 10,
      previousEventId: 9,
      type: 'TaskSubmitted',
      timestamp: at(4),
      taskSubmittedEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: '{}',
      },
    },
  ];
}

function running(history: HistoryEvent[]): void {
  sfnMock.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({
    executionArn: EXECUTION,
    status: 'RUNNING',
    startDate: new Date(Date.UTC(2026, 11, 4, 20)),
    input: '{}',
  });
  // Two pages, as the API returns them 1,000 at a time.
  sfnMock
    .on(GetExecutionHistoryCommand, { executionArn: EXECUTION })
    .callsFake((input) =>
      input.nextToken === 'page-2'
        ? { events: history.slice(5) }
        : { events: history.slice(0, 5), nextToken: 'page-2' },
    );
}

beforeEach(() => sfnMock.reset());
afterEach(() => sfnMock.reset());

describe('startRunbookExecution', () => {
  it('starts the runbook with the checked parameters and the caller, and answers with the ARN and a status URL', async () => {
    // Arrange
    fakeStartExecution();

    // Act
    const result = await startRunbookExecution(
      'flush-cache',
      request({ body: { service: 'api', reason: 'stale assets' } }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(202);
    const arn = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:flush-cache-Machine1:generated-1`;
    expect(result.body).toEqual({
      executionArn: arn,
      runbook: 'flush-cache',
      startDate: '2026-12-04T20:00:00.000Z',
      statusUrl: `${BASE}/executions/${arn}`,
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
      existing: false,
    });
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(MACHINE);
    expect(start?.name).toBeUndefined();
    expect(JSON.parse(start?.input ?? '')).toEqual({
      params: { reason: 'stale assets', service: 'api' },
      trigger: { type: 'api', api: { caller: ALICE } },
    });
  });

  it('reports every parameter problem at once with 400', async () => {
    // Act
    const result = await startRunbookExecution(
      'flush-cache',
      request({ body: JSON.stringify({ service: 'db', olderThanMinutes: '5', color: 'red' }) }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(400);
    const error = (
      result.body as {
        error: { code: string; problems: { code: string; parameter: string; value?: unknown }[] };
      }
    ).error;
    expect(error.code).toBe('INVALID_PARAMETERS');
    expect(error.problems.map((p) => [p.code, p.parameter, p.value])).toEqual([
      ['INVALID_PARAMETER', 'service', 'db'],
      ['INVALID_PARAMETER', 'olderThanMinutes', '5'],
      ['UNKNOWN_PARAMETER', 'color', undefined],
      ['MISSING_PARAMETER', 'reason', undefined],
    ]);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each(['[1, 2]', 'text that is not JSON'])(
    'reports a body that is not a JSON object (%s) with 400',
    async (body) => {
      const result = await startRunbookExecution('flush-cache', request({ body }), deps());
      expect(result.statusCode).toBe(400);
      expect((result.body as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    },
  );

  it.each([
    ['purge-everything', 'no runbook "purge-everything" is deployed; the API starts: flush-cache'],
    ['nightly-maintenance', 'runbook nightly-maintenance has no api trigger; the API starts: flush-cache'],
  ])('reports runbook %s with 404 naming the runbooks the API starts', async (name, message) => {
    const result = await startRunbookExecution(name, request({ body: {} }), deps());
    expect(result).toEqual({
      statusCode: 404,
      body: { error: { code: 'RUNBOOK_NOT_FOUND', message, runbook: name, deployed: ['flush-cache'] } },
    });
  });

  it('starts one execution for a repeated idempotency key, while running and after it ended', async () => {
    // Arrange
    const executions = fakeStartExecution();
    const retry = () =>
      startRunbookExecution(
        'flush-cache',
        request({
          headers: { 'idempotency-key': 'deploy-4711' },
          body: { reason: 'deploy 4711', service: 'web' },
        }),
        deps(),
      );

    // Act
    const first = await retry();
    const second = await retry();
    for (const execution of executions.values()) execution.status = 'SUCCEEDED';
    const third = await retry();

    // Assert
    const arn = `arn:aws:states:eu-west-1:${ACCOUNT}:execution:flush-cache-Machine1:deploy-4711`;
    expect(executions.size).toBe(1);
    expect([first, second, third].map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect([first, second, third].map((r) => (r.body as { executionArn: string }).executionArn)).toEqual([
      arn,
      arn,
      arn,
    ]);
    expect((third.body as { existing: boolean }).existing).toBe(true);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe('deploy-4711');
  });

  it('reports a reused idempotency key with other parameters with 409', async () => {
    // Arrange
    fakeStartExecution();
    const start = (reason: string) =>
      startRunbookExecution(
        'flush-cache',
        request({ headers: { 'idempotency-key': 'k1' }, body: { reason } }),
        deps(),
      );
    await start('first reason');

    // Act
    const result = await start('second reason');

    // Assert
    expect(result.statusCode).toBe(409);
    expect((result.body as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('reports an idempotency key that cannot be an execution name with 400', async () => {
    fakeStartExecution();
    const result = await startRunbookExecution(
      'flush-cache',
      request({ headers: { 'idempotency-key': 'has space/slash' }, body: { reason: 'abc' } }),
      deps(),
    );
    expect(result.statusCode).toBe(400);
    expect((result.body as { error: { code: string; value: string } }).error).toMatchObject({
      code: 'INVALID_IDEMPOTENCY_KEY',
      value: 'has space/slash',
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('describeRunbookExecution', () => {
  it('returns the status, the steps so far with tails and output URIs, and the approval that waits', async () => {
    // Arrange
    running(waitingHistory([OPS_LEAD]));

    // Act
    const result = await describeRunbookExecution(encodeURIComponent(EXECUTION), request(), deps());

    // Assert
    expect(result.statusCode).toBe(200);
    const body = result.body as Record<string, unknown>;
    expect(body).toMatchObject({
      executionArn: EXECUTION,
      runbook: 'flush-cache',
      status: 'RUNNING',
      historyComplete: true,
    });
    expect(body.steps).toEqual({ measure: measured, approve: skipped, flush: skipped });
    expect(body.approvals).toEqual([
      {
        stepId: 'approve',
        message: 'Flush the cache of web (12 entries, 48 KiB in one task)? Reason: stale',
        approvers: [OPS_LEAD],
        requestedAt: '2026-12-04T20:00:04.000Z',
        deadline: '2026-12-04T20:15:04.000Z',
        approvalUrl: `${BASE}/executions/${EXECUTION}/approval`,
      },
    ]);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
    expect(body.outputs).toBeUndefined();
  });

  it('returns the outputs and every step value of a succeeded execution from its output', async () => {
    // Arrange
    const output = {
      outputs: { entriesBefore: 12, entriesAfter: 0, flushedTasks: 3 },
      steps: { measure: measured },
    };
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      status: 'SUCCEEDED',
      startDate: new Date(Date.UTC(2026, 11, 4, 20)),
      stopDate: new Date(Date.UTC(2026, 11, 4, 20, 5)),
      output: JSON.stringify(output),
    });

    // Act
    const result = await describeRunbookExecution(EXECUTION, request(), deps());

    // Assert
    expect(result.body).toMatchObject({
      status: 'SUCCEEDED',
      stopDate: '2026-12-04T20:05:00.000Z',
      outputs: output.outputs,
      steps: output.steps,
      approvals: [],
    });
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it.each([
    ['an id that is no execution ARN', 'run-1'],
    [
      'an execution of a state machine the stack does not deploy',
      `arn:aws:states:eu-west-1:${ACCOUNT}:execution:other:run-1`,
    ],
  ])('reports %s with 404', async (_, id) => {
    const result = await describeRunbookExecution(id, request(), deps());
    expect(result.statusCode).toBe(404);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('submitApprovalDecision', () => {
  it('approves: completes the task token with the caller as approvedBy', async () => {
    // Arrange
    running(waitingHistory([OPS_LEAD]));
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ body: { decision: 'approve', comment: 'go' } }),
      deps(),
    );

    // Assert
    expect(result).toEqual({
      statusCode: 200,
      body: {
        executionArn: EXECUTION,
        stepId: 'approve',
        decision: 'approve',
        decidedBy: ALICE,
        comment: 'go',
      },
    });
    const sent = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent?.output ?? '')).toEqual({ approvedBy: ALICE, comment: 'go' });
  });

  it('rejects: fails the task with ApprovalRejected and the step value the catch path reads', async () => {
    // Arrange
    running(waitingHistory());
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ caller: MALLORY, body: JSON.stringify({ decision: 'reject', comment: 'not now' }) }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(200);
    expect(result.body).toMatchObject({ decision: 'reject', decidedBy: MALLORY });
    const sent = sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe(TOKEN);
    expect(sent?.error).toBe('ApprovalRejected');
    const envelope = JSON.parse(sent?.cause ?? '') as ErrorEnvelope;
    expect(envelope.errorType).toBe('ApprovalRejected');
    expect(JSON.parse(envelope.errorMessage)).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: { approvedBy: MALLORY, comment: 'not now' },
      error: { name: 'ApprovalRejected', message: `Rejected by ${MALLORY}: not now` },
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('reports a caller who is not one of the step approvers with 403 and sends nothing', async () => {
    // Arrange
    running(waitingHistory([OPS_LEAD]));

    // Act
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ caller: MALLORY, body: { decision: 'approve' } }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(403);
    expect(result.body).toEqual({
      error: {
        code: 'NOT_AN_APPROVER',
        message: `${MALLORY} may not decide step approve; its approvers: ${OPS_LEAD}`,
        caller: MALLORY,
        stepId: 'approve',
        approvers: [OPS_LEAD],
      },
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('reports a decision when the approval was already decided with 409', async () => {
    // Arrange
    const history = waitingHistory();
    history.push({
      id: 11,
      previousEventId: 10,
      type: 'TaskSucceeded',
      timestamp: new Date(),
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: '{}',
      },
    });
    running(history);

    // Act
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ body: { decision: 'approve' } }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(409);
    expect((result.body as { error: { code: string } }).error.code).toBe('NO_APPROVAL_WAITING');
  });

  it('reports a token that timed out meanwhile with 409', async () => {
    running(waitingHistory());
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ body: { decision: 'approve' } }),
      deps(),
    );
    expect(result.statusCode).toBe(409);
  });

  it('reports every problem of a bad body with 400 before calling Step Functions', async () => {
    // Act
    const result = await submitApprovalDecision(
      EXECUTION,
      request({ body: { decision: 'yes', comment: 7, by: 'me' } }),
      deps(),
    );

    // Assert
    expect(result.statusCode).toBe(400);
    const problems = (result.body as { error: { problems: { field: string; accepted: string }[] } }).error
      .problems;
    expect(problems.map((p) => [p.field, p.accepted])).toEqual([
      ['decision', 'one of "approve", "reject"'],
      ['comment', 'a string'],
      ['by', 'no other keys'],
    ]);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('apiRoutes', () => {
  const routes = apiRoutes({ sfn: new SFNClient({ region: 'eu-west-1' }), catalog });
  const route = (method: string, p: string) => {
    const found = routes.find((r) => r.method === method && r.path === p);
    if (!found) throw new Error(`no route ${method} ${p}`);
    return found;
  };

  it('serves the three routes', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /runbooks/{name}/executions',
      'GET /executions/{id}',
      'POST /executions/{id}/approval',
    ]);
  });

  it('takes the caller from a REST API event (requestContext.identity.userArn)', async () => {
    // Arrange
    fakeStartExecution();
    const event = {
      httpMethod: 'POST',
      path: '/runbooks/flush-cache/executions',
      headers: { 'Content-Type': 'application/json', Host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
      pathParameters: { name: 'flush-cache' },
      body: Buffer.from(JSON.stringify({ reason: 'from REST' })).toString('base64'),
      isBase64Encoded: true,
      requestContext: {
        stage: 'prod',
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        identity: { userArn: ALICE },
      },
    };

    // Act
    const result = await route('POST', '/runbooks/{name}/executions').handler(event);

    // Assert
    expect(result.statusCode).toBe(202);
    expect(result.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.body).statusUrl).toMatch(
      /^https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com\/prod\/executions\/arn:/,
    );
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '');
    expect(input.trigger.api.caller).toBe(ALICE);
  });

  it('takes the caller from an HTTP API event (requestContext.authorizer.iam.userArn)', async () => {
    running(waitingHistory());
    const event = {
      version: '2.0',
      rawPath: `/executions/${EXECUTION}`,
      headers: {},
      pathParameters: { id: EXECUTION },
      requestContext: {
        stage: '$default',
        domainName: 'xyz.execute-api.eu-west-1.amazonaws.com',
        http: { method: 'GET', path: `/executions/${EXECUTION}` },
        authorizer: { iam: { userArn: MALLORY } },
      },
    };
    const result = await route('GET', '/executions/{id}').handler(event);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).approvals[0].approvalUrl).toBe(
      `https://xyz.execute-api.eu-west-1.amazonaws.com/executions/${EXECUTION}/approval`,
    );
  });

  it('reports a request without an IAM principal with 403', async () => {
    const result = await route('GET', '/executions/{id}').handler({
      httpMethod: 'GET',
      pathParameters: { id: EXECUTION },
      requestContext: { identity: { userArn: null } },
    });
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body).error.code).toBe('UNAUTHENTICATED');
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
