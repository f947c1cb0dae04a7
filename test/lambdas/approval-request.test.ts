import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// SNS cannot run here: aws-sdk-client-mock stands in for it.
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:runbook-approvals';

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
type Handler = (event: unknown, context: Context) => Promise<{ messageId: string }>;
let handler: Handler;

beforeAll(async () => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('RUNBOOK_CATALOG', '{"runbooks":[]}');
  vi.stubEnv('API_URL', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod');
  vi.stubEnv('APPROVAL_TOPIC_ARN', TOPIC);
  ({ handler } = (await import('../../lambdas/approval-request.ts')) as unknown as { handler: Handler });
});
afterAll(() => vi.unstubAllEnvs());

const event = {
  kind: 'approval',
  runbook: 'flush-cache',
  stepId: 'approve',
  execution: 'arn:aws:states:eu-west-1:123456789012:execution:flush-cache:e1',
  taskToken: 'token-1',
  message: 'Flush?',
  approvers: [],
  timeoutMs: 900_000,
};

describe('lambdas/approval-request handler', () => {
  it('publishes the request with the token to the configured topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const result = await handler(event, context);
    expect(result.messageId).toBe('m-1');
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.Message).toContain('token-1');
  });

  it('rejects an event that is not an approval payload, naming the field', async () => {
    await expect(handler({ ...event, taskToken: 42 }, context)).rejects.toThrow(
      'invalid approval-request event: taskToken: received 42; accepted: a string',
    );
  });
});
