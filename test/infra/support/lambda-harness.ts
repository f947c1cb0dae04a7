/**
 * A Lambda-shaped harness for the assets CDK wrote: the function's environment (as resolved from
 * the template) plus endpoints and fake credentials, the bundle imported as the runtime imports
 * it, and each call given an event and a context with a deadline.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { SynthesizedFunction } from './cdk-out.ts';

/** The parts of the Lambda context the handlers read. */
export interface HarnessContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly callbackWaitsForEmptyEventLoop: boolean;
  /** Epoch milliseconds at which Lambda would stop the call. */
  readonly deadline: number;
  getRemainingTimeInMillis(): number;
}

type Handler = (event: unknown, context: HarnessContext) => Promise<unknown>;

export interface InvokeOptions {
  /** @default - the function's own timeout */
  readonly timeoutMs?: number;
}

/** The runtime's error envelope for a handler that threw. */
export class LambdaInvokeError extends Error {
  readonly errorType: string;
  readonly errorMessage: string;

  constructor(errorType: string, errorMessage: string) {
    super(`${errorType}: ${errorMessage}`);
    this.name = errorType;
    this.errorType = errorType;
    this.errorMessage = errorMessage;
  }
}

/**
 * The process environment every asset sees: the SDK's credentials and region from the
 * environment, and each service's endpoint (`AWS_ENDPOINT_URL_<SERVICE>`) on loopback.
 */
export function lambdaProcessEnv(endpoints: Readonly<Record<string, string>>): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    // s3rver's one account (it checks the key and the signature).
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: 'synthrun-session-token',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Powertools Metrics writes EMF to stdout; no namespace warning, no flush noise.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...Object.fromEntries(
      Object.entries(endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
    ),
  };
}

/** Sets environment variables; the returned function puts the previous values back. */
export function setEnv(values: Readonly<Record<string, string>>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** One function, loaded from its asset. */
export class LambdaHarness {
  private handlerFn: Handler | undefined;
  /** Every event it was called with, in order. */
  readonly calls: unknown[] = [];

  readonly fn: SynthesizedFunction;

  constructor(fn: SynthesizedFunction) {
    this.fn = fn;
  }

  /**
   * Imports the asset with the function's environment set (its settings are read at cold
   * start, so a bad variable fails here as it would fail the function's init).
   */
  async load(): Promise<void> {
    if (this.handlerFn) return;
    // The function's variables stay set for its calls too (one function per key: each
    // function reads its own settings, and the functions' shared keys carry the same values).
    setEnv({
      ...this.fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: this.fn.logicalId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    });
    const mod = (await import(pathToFileURL(this.fn.assetFile).href)) as Record<string, unknown>;
    const exported = this.fn.handler.slice(this.fn.handler.lastIndexOf('.') + 1);
    const handler = mod[exported];
    if (typeof handler !== 'function')
      throw new Error(`${this.fn.assetFile} exports no function ${exported}`);
    this.handlerFn = handler as Handler;
  }

  /** Calls the handler as Lambda would; a thrown error becomes {@link LambdaInvokeError}. */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    await this.load();
    const timeoutMs = options.timeoutMs ?? this.fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const context: HarnessContext = {
      awsRequestId: randomUUID(),
      functionName: this.fn.logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.fn.arn,
      memoryLimitInMB: '1024',
      logGroupName: `/aws/lambda/${this.fn.logicalId}`,
      logStreamName: 'synthrun',
      callbackWaitsForEmptyEventLoop: true,
      deadline,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    this.calls.push(event);
    // Events cross a JSON boundary on Lambda; so do they here.
    const payload = JSON.parse(JSON.stringify(event)) as unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        (this.handlerFn as Handler)(payload, context),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new LambdaInvokeError('Sandbox.Timedout', `Task timed out after ${timeoutMs} ms`)),
            timeoutMs + 50,
          );
        }),
      ]);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (error) {
      if (error instanceof LambdaInvokeError) throw error;
      const err = error instanceof Error ? error : new Error(String(error));
      throw new LambdaInvokeError(err.name, err.message);
    } finally {
      clearTimeout(timer);
    }
  }
}
