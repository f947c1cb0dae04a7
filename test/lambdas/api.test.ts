import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { catalogEntryOf } from '../../lib/runbook/catalog.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';

// The deployed Step Functions API cannot run here: aws-sdk-client-mock stands in for it.
const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:flush-cache';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/ops/alice';

const context = {
  awsRequestId: 'req-1',
  functionName: 'api',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

type Handler = (
  event: unknown,
  context: Context,
) => Promise<{ statusCode: number; body: string; headers?: Record<string, string> }>;
let handler: Handler;

beforeAll(async () => {
  const file = path.join(import.meta.dirname, '..', '..', 'runbooks', 'flush-cache.yaml');
  const { runbook } = parseRunbook(readFileSync(file, 'utf8'), { file });
  if (!runbook) throw new Error('flush-cache does not validate');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('RUNBOOK_CATALOG', JSON.stringify({ runbooks: [catalogEntryOf(runbook, MACHINE)] }));
  vi.stubEnv('API_URL', 'https://runbooks.example.com/v1');
  ({ handler } = (await import('../../lambdas/api.ts')) as unknown as { handler: Handler });
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({
    executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:e1`,
    startDate: new Date(0),
  });
});

function restEvent(method: string, p: string, body?: string, headers: Record<string, string> = {}) {
  return {
    httpMethod: method,
    path: p,
    resource: p,
    headers,
    body: body ?? null,
    isBase64Encoded: false,
    pathParameters: null,
    requestContext: {
      stage: 'v1',
      domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
      identity: { userArn: CALLER },
    },
  };
}

describe('lambdas/api handler', () => {
  it('routes a start with a JSON body through middy to StartExecution', async () => {
    // Act
    const response = await handler(
      restEvent('POST', '/runbooks/flush-cache/executions', '{"reason":"stale"}', {
        'Content-Type': 'application/json',
        'Idempotency-Key': 'k-1',
      }),
      context,
    );

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body).statusUrl).toBe(
      'https://runbooks.example.com/v1/executions/arn:aws:states:eu-west-1:123456789012:execution:flush-cache:e1',
    );
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.name).toBe('k-1');
    expect(JSON.parse(input?.input ?? '').trigger.api.caller).toBe(CALLER);
  });

  it('reports parameter problems from a body sent without a content type', async () => {
    const response = await handler(
      restEvent('POST', '/runbooks/flush-cache/executions', '{"reason":1}'),
      context,
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.problems[0].parameter).toBe('reason');
  });

  it('reports an unknown route with 404', async () => {
    const response = await handler(restEvent('DELETE', '/runbooks/flush-cache'), context);
    expect(response.statusCode).toBe(404);
  });

  it('reports a failing Step Functions call with 500 and no detail', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDeniedException: not authorized on arn:…'));
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    let response: Awaited<ReturnType<Handler>>;
    try {
      response = await handler(
        restEvent('POST', '/runbooks/flush-cache/executions', '{"reason":"abc"}', {
          'content-type': 'application/json',
        }),
        context,
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('internal error');
    // The shared composition logged it once, with the Lambda context and a name of the closed set.
    const logged = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = logged.filter((l) => l.message === 'step failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 'ERROR',
      errorName: 'ServerException',
      function_request_id: 'req-1',
    });
    expect(String(failures[0]?.errorMessage)).toContain('AccessDeniedException: not authorized');
  });
});
