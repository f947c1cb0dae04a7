/**
 * A Lambda-shaped context for calling the lambdas/ handlers as the runtime calls them.
 */
import type { Context } from 'aws-lambda';

/** A context whose deadline is `remainingMs` from now. */
export function lambdaContext(remainingMs: number, functionName = 'exec'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    awsRequestId: 'req-1',
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
