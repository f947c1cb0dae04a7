import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleUrlOf } from '../../lib/handlers/approval-links.ts';
import { approvalMessage, parseApprovalEvent, requestApproval } from '../../lib/handlers/approval-request.ts';
import type { ApprovalEvent } from '../../lib/handlers/events.ts';
import { InvalidInputError } from '../../lib/handlers/parse-input.ts';
import type { RunbookCatalog } from '../../lib/runbook/catalog.ts';

// SNS cannot run here: aws-sdk-client-mock stands in for it (AWS itself is the edge).
const sns = mockClient(SNSClient);

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:flush-cache:run-1';
const API_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:approvals';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeXample+token/with=chars';

/** The approval state's payload from the golden flush-cache ASL, its paths filled in. */
function compiledEvent(): ApprovalEvent {
  const asl = JSON.parse(
    readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'asl', 'flush-cache.asl.json'), 'utf8'),
  );
  const payload: Record<string, unknown> = { ...asl.States.approve.Parameters.Payload };
  const filled: Record<string, unknown> = {
    execution: EXECUTION,
    taskToken: TOKEN,
    message: 'Flush the cache of web (12 entries, 48 KiB in one task)? Reason: stale assets',
  };
  for (const key of Object.keys(payload)) {
    if (!key.endsWith('.$')) continue;
    delete payload[key];
    const field = key.slice(0, -2);
    payload[field] = filled[field];
  }
  return parseApprovalEvent(payload);
}

const catalog: RunbookCatalog = {
  runbooks: [
    {
      name: 'flush-cache',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flush-cache',
      api: true,
      parameters: [],
      approvals: [
        {
          stepId: 'approve',
          next: 'flush (Flush every task), then verify (Count what is left)',
          onReject: 'the run fails',
        },
      ],
    },
  ],
};

describe('requestApproval', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  });
  afterEach(() => sns.reset());

  it('publishes one message to the approval topic carrying the task token', async () => {
    // Arrange
    const event = compiledEvent();

    // Act
    const result = await requestApproval(event, {
      sns: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
      apiUrl: API_URL,
      catalog,
      now: () => Date.UTC(2026, 11, 4, 21, 0),
    });

    // Assert
    expect(result).toEqual({ messageId: 'msg-1', subject: 'Approval needed: flush-cache / approve' });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.Message).toContain(TOKEN);
    expect(input?.MessageAttributes?.taskToken).toEqual({ DataType: 'String', StringValue: TOKEN });
    expect(input?.MessageAttributes?.execution).toEqual({ DataType: 'String', StringValue: EXECUTION });
  });

  it('says what is asked, what runs next, the deadline, the links and the exact decision calls', async () => {
    // Act
    await requestApproval(compiledEvent(), {
      sns: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
      apiUrl: API_URL,
      catalog,
      now: () => Date.UTC(2026, 11, 4, 21, 0),
    });

    // Assert
    const body = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    expect(body).toContain('Flush the cache of web (12 entries, 48 KiB in one task)? Reason: stale assets');
    expect(body).toContain('If approved, next: flush (Flush every task), then verify (Count what is left).');
    expect(body).toContain('If rejected: the run fails.');
    expect(body).toContain('Decide by 2026-12-04T21:15:00.000Z (15m after the request)');
    expect(body).toContain('Who may decide: anyone allowed to call the approval API.');
    expect(body).toContain(
      `Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION}`,
    );
    const approvalUrl = `https://abc123.execute-api.eu-west-1.amazonaws.com/prod/executions/${EXECUTION}/approval`;
    expect(body).toContain(`POST ${approvalUrl}\n  {"decision":"approve","comment":""}`);
    expect(body).toContain(`POST ${approvalUrl}\n  {"decision":"reject","comment":"why"}`);
    expect(body).toContain(
      [
        'awscurl --service execute-api --region eu-west-1 -X POST',
        "-H 'content-type: application/json'",
        `-d '{"decision":"approve","comment":""}'`,
        approvalUrl,
      ].join(' \\\n    '),
    );
    expect(body).toContain(`-d '{"decision":"reject","comment":"why"}'`);
  });

  it('names the approvers and falls back to generic words without a catalog entry', () => {
    // Arrange
    const event = {
      ...compiledEvent(),
      approvers: ['arn:aws:iam::123456789012:role/ops-lead'],
      timeoutMs: 5_400_000,
    };

    // Act
    const message = approvalMessage(event, { apiUrl: API_URL, requestedAt: 0 });

    // Assert
    expect(message.body).toContain('Who may decide: arn:aws:iam::123456789012:role/ops-lead.');
    expect(message.body).toContain('If approved, next: the steps after approve.');
    expect(message.body).toContain('(1h30m after the request)');
  });

  it('keeps the subject within what SNS accepts', () => {
    const event = { ...compiledEvent(), runbook: `r-${'x'.repeat(120)}`, stepId: 'é' };
    const { subject } = approvalMessage(event, { apiUrl: API_URL, requestedAt: 0 });
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('rejects a failed publish', async () => {
    sns.on(PublishCommand).rejects(new Error('AuthorizationError'));
    await expect(
      requestApproval(compiledEvent(), {
        sns: new SNSClient({ region: 'eu-west-1' }),
        topicArn: TOPIC,
        apiUrl: API_URL,
      }),
    ).rejects.toThrow('AuthorizationError');
  });
});

describe('parseApprovalEvent', () => {
  it('throws naming every wrong field, the value and what is accepted', () => {
    // Arrange
    const event = { ...compiledEvent(), taskToken: undefined, timeoutMs: '15m', approvers: ['a', 7] };

    // Act
    const error = (() => {
      try {
        parseApprovalEvent(event);
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(error).toBeInstanceOf(InvalidInputError);
    const problems = (error as InvalidInputError).problems;
    expect(problems.map((p) => [p.field, p.value, p.accepted])).toEqual([
      ['taskToken', undefined, 'a string'],
      ['approvers[1]', 7, 'a string'],
      ['timeoutMs', '15m', 'a number'],
    ]);
    expect((error as Error).message).toContain('timeoutMs: received "15m"; accepted: a number');
    expect((error as Error).message).toContain('taskToken: received nothing; accepted: a string');
  });
});

describe('consoleUrlOf', () => {
  it.each([
    ['arn:aws:states:us-east-1:123456789012:execution:m:n', 'https://us-east-1.console.aws.amazon.com/'],
    ['arn:aws-cn:states:cn-north-1:123456789012:execution:m:n', 'https://console.amazonaws.cn/'],
    [
      'arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:m:n',
      'https://console.amazonaws-us-gov.com/',
    ],
  ])('links %s to its partition console', (arn, prefix) => {
    expect(consoleUrlOf(arn)?.startsWith(prefix)).toBe(true);
  });

  it('reports undefined for a value that is not an execution ARN', () => {
    expect(consoleUrlOf('run-1')).toBeUndefined();
  });
});
