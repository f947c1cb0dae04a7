/**
 * The one composition of the step functions (exec, targets, fan-out-summary, check-input): middy
 * core, a Powertools Logger with the Lambda context and the step's keys (runbook, execution,
 * step, target) in every line, and a deadline signal that fires before Lambda would stop the
 * invocation, so a core can interrupt its command and return its typed error instead of dying
 * mid-write.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { InvocationDeadline } from '../../lib/shared/index.ts';

/** The logger every step function writes through. */
export const logger = new Logger({ serviceName: 'ecs-runbooks' });

/** What a wrapped core receives besides its event. */
export interface StepInvocation {
  readonly context: Context;
  /**
   * Aborted `deadlineMarginMs` before the invocation's remaining time runs out, with an
   * `InvocationDeadline` reason (the exec core then fails the step with `ExecTimeout`).
   */
  readonly signal: AbortSignal;
}

/** Options of {@link withDefaults}. */
export interface WithDefaultsOptions {
  /**
   * How long before Lambda's deadline the signal fires: time to interrupt the command, finish
   * the output and return.
   *
   * @default 15_000
   */
  readonly deadlineMarginMs?: number;
}

/** The keys of a step event that go into every log line. */
function stepKeysOf(event: unknown): Record<string, string> {
  if (event === null || typeof event !== 'object') return {};
  const e = event as Record<string, unknown>;
  const keys: Record<string, string> = {};
  for (const [key, name] of [
    ['runbook', 'runbook'],
    ['execution', 'execution'],
    ['stepId', 'step'],
  ] as const) {
    if (typeof e[key] === 'string') keys[name] = e[key];
  }
  const target = e.target ?? (typeof e.cluster === 'string' ? { cluster: e.cluster } : undefined);
  if (target !== undefined) keys.target = JSON.stringify(target);
  return keys;
}

/**
 * Wraps a handler core as a Lambda handler.
 *
 * @example
 * export const handler = withDefaults((event, { signal }) => invokeExecFn(event, deps, { signal }));
 */
export function withDefaults<R>(
  core: (event: unknown, invocation: StepInvocation) => Promise<R>,
  options: WithDefaultsOptions = {},
) {
  const marginMs = options.deadlineMarginMs ?? 15_000;
  return middy<unknown, R>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: function appendStepKeys(request) {
        logger.appendKeys(stepKeysOf(request.event));
      },
      onError: function logTaskError(request) {
        const error = request.error;
        if (error) logger.error('step failed', { errorName: error.name, error });
      },
    })
    .handler(async function runCore(event, context) {
      const deadline = new AbortController();
      const remaining = context.getRemainingTimeInMillis();
      const timer = setTimeout(
        () => deadline.abort(new InvocationDeadline(marginMs)),
        Math.max(0, remaining - marginMs),
      );
      try {
        return await core(event, { context, signal: deadline.signal });
      } finally {
        clearTimeout(timer);
      }
    });
}
