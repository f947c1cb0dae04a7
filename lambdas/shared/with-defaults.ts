/**
 * The one composition of every function: middy core, a Powertools Logger with the Lambda context
 * and the step's keys (runbook, execution, step, target) in every line, errors mapped to the
 * closed set of task error names (lib/handlers/edge-errors.ts), and, where a function measures
 * something, Powertools Metrics flushed as EMF by `logMetrics`.
 *
 * The step functions (exec, targets, fan-out-summary, check-input, approval-request) use
 * {@link withDefaults}, which adds a deadline signal that fires before Lambda would stop the
 * invocation, so a core can interrupt its command and return its typed error instead of dying
 * mid-write. The api function puts its http middlewares on {@link edge}.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toTaskError } from '../../lib/handlers/index.ts';
import { InvocationDeadline } from '../../lib/shared/index.ts';

/** The logger every function writes through. */
export const logger = new Logger({ serviceName: 'ecs-runbooks' });

/**
 * The metrics of the functions, namespace `EcsRunbooks`, dimensions `service`, `runbook` and
 * `step` (never task ids: a dimension value is a metric of its own).
 */
export const metrics = new Metrics({ namespace: 'EcsRunbooks', serviceName: 'ecs-runbooks', logger });

/** What a wrapped core receives besides its event. */
export interface StepInvocation {
  readonly context: Context;
  /**
   * Aborted `deadlineMarginMs` before the invocation's remaining time runs out, with an
   * `InvocationDeadline` reason (the exec core then fails the step with `ExecTimeout`).
   */
  readonly signal: AbortSignal;
}

/** Options of {@link edge}. */
export interface EdgeOptions {
  /** Flush {@link metrics} after each invocation (`logMetrics`). @default false */
  readonly metrics?: boolean;
}

/** Options of {@link withDefaults}. */
export interface WithDefaultsOptions extends EdgeOptions {
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

/** An error the http middlewares answer themselves (a 4xx with its own status). */
function isHttpError(error: Error): boolean {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status < 500;
}

/**
 * The middleware that maps what escapes to a task error of the closed set and logs it
 * (`errorName`, the mapped message, and the original error with its stack); an http error (a
 * 4xx with its status) is logged and left to the http error handler. Use it last: middy runs
 * `onError` in reverse order, so it sees the error before any other middleware replaces it.
 */
export function mapErrors(): MiddlewareObj {
  return {
    onError: function mapAndLogError(request) {
      const error = request.error;
      if (!error) return;
      if (isHttpError(error)) {
        logger.warn('request refused', { statusCode: (error as { statusCode?: number }).statusCode, error });
        return;
      }
      const mapped = toTaskError(error, request.event);
      logger.error('step failed', { errorName: mapped.name, errorMessage: mapped.message, error });
      request.error = mapped;
    },
  };
}

/**
 * The middy chain every function starts from: the Logger with the Lambda context and the step's
 * keys in every line, and optionally the metrics. Add {@link mapErrors} last.
 */
export function edge<E, R>(options: EdgeOptions = {}): MiddyfiedHandler<E, R> {
  const chain = middy<E, R>().use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.metrics) chain.use(logMetrics(metrics));
  return chain.use({
    before: function appendStepKeys(request) {
      const keys = stepKeysOf(request.event);
      logger.appendKeys(keys);
      if (options.metrics) {
        const dimensions: Record<string, string> = {};
        if (keys.runbook) dimensions.runbook = keys.runbook;
        if (keys.step) dimensions.step = keys.step;
        metrics.addDimensions(dimensions);
      }
    },
  });
}

/**
 * Wraps a step function's core as a Lambda handler on {@link edge}, with the deadline signal.
 *
 * @example
 * export const handler = withDefaults((event, { signal }) => invokeExecFn(event, deps, { signal }));
 */
export function withDefaults<R>(
  core: (event: unknown, invocation: StepInvocation) => Promise<R>,
  options: WithDefaultsOptions = {},
) {
  const marginMs = options.deadlineMarginMs ?? 15_000;
  return edge<unknown, R>(options)
    .use(mapErrors())
    .handler(async function runCore(event, context) {
      const deadline = new AbortController();
      const remaining = context.getRemainingTimeInMillis();
      const timer = setTimeout(
        () => deadline.abort(new InvocationDeadline(marginMs)),
        Math.max(0, remaining - marginMs),
      );
      try {
        return await core(event, { context, signal: deadline.signal });
      } catch (error) {
        // Mapped here, where the deadline is known; the edge's onError keeps a TaskError as it is.
        throw toTaskError(error, event, deadline.signal);
      } finally {
        clearTimeout(timer);
      }
    });
}
