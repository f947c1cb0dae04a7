/**
 * The entry points of the Lambda-backed Task states: an event enters as `unknown`, is parsed at
 * the edge (lib/handlers/parse-events.ts) and goes to its core. The Lambda wrappers (lambdas/)
 * and the local runner call these, so both run exactly the same path from event to result.
 */
import { runBatch } from './batch.ts';
import type { HandlerDeps, HandlerInvocation } from './deps.ts';
import type { BatchResult, BucketTargets, ExecStepValue, FanOutStepValue, InlineTargets } from './events.ts';
import { runExecStep } from './exec-step.ts';
import { summarizeFanOut } from './fan-out-summary.ts';
import { parseExecFnEvent, parseSummaryEvent, parseTargetsEvent } from './parse-events.ts';
import { resolveFanOutTargets } from './targets.ts';

/**
 * Serves the `${ExecFnArn}` Resource: a single-target step (`kind: 'exec'`, resolves to the
 * step's value or throws its task error) or one batch of a fan-out (`kind: 'batch'`, resolves
 * to one small result per target and throws no task error).
 *
 * @throws InvalidInputError when the event does not match either contract.
 *
 * @example
 * const value = await invokeExecFn(event, createHandlerDeps(), { signal });
 */
export async function invokeExecFn(
  input: unknown,
  deps: HandlerDeps,
  invocation: HandlerInvocation = {},
): Promise<ExecStepValue | BatchResult> {
  const event = parseExecFnEvent(input);
  return event.kind === 'exec' ? runExecStep(event, deps, invocation) : runBatch(event, deps, invocation);
}

/**
 * Serves `${TargetsFnArn}`: resolves a fan-out's selection into batches.
 *
 * @throws InvalidInputError when the event does not match its contract.
 */
export async function invokeTargetsFn(
  input: unknown,
  deps: Pick<HandlerDeps, 'ecs' | 'outputStore' | 'clock' | 'random'>,
  invocation: Pick<HandlerInvocation, 'signal'> = {},
): Promise<InlineTargets | BucketTargets> {
  return resolveFanOutTargets(parseTargetsEvent(input), deps, invocation);
}

/**
 * Serves `${FanOutSummaryFnArn}`: applies a fan-out's error budget.
 *
 * @throws InvalidInputError when the event does not match its contract.
 */
export async function invokeFanOutSummaryFn(
  input: unknown,
  deps: Pick<HandlerDeps, 'outputStore'>,
): Promise<FanOutStepValue> {
  return summarizeFanOut(parseSummaryEvent(input), deps);
}
