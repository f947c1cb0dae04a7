/**
 * An exec step: one target is one Task on the exec function; a fan-out is in ../fan-out.ts.
 */
import type { ExecStep } from '../../../runbook/model.ts';
import { RETRYABLE_TASK_ERROR_NAMES, TASK_ERROR_NAMES } from '../../../shared/errors.ts';
import type { AslState } from '../../asl.ts';
import { stepPath } from '../../layout.ts';
import { placeholderToken } from '../../placeholders.ts';
import { type Context, type Exits, eventBase, type Fragment } from '../context.ts';
import { captureSpec, scriptAndEnv, TIMEOUT_BACKSTOP_MARGIN_SECONDS, targetSelector } from '../exec-parts.ts';
import { failureRouting } from '../failure.ts';
import { lowerFanOut } from '../fan-out.ts';
import { retriers, seconds } from '../retry.ts';
import { finish, withComment } from '../states.ts';

function lowerSingleExec(ctx: Context, step: ExecStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const { script, env } = scriptAndEnv(step);
  // A single target: `task`, `one`, `random` or `1` (the same as `one`).
  const pick = step.target.pick.kind === 'random' ? 'random' : 'one';
  const task: AslState = {
    Type: 'Task',
    Resource: placeholderToken('ExecFnArn'),
    Parameters: {
      ...eventBase(ctx, 'exec', step),
      target: targetSelector(step.target, pick),
      script,
      env,
      timeoutMs: step.timeout.ms,
      captures: step.captures.map(captureSpec),
      stateTailBytes: ctx.options.stateTailBytes,
      outputBucket: placeholderToken('OutputBucket'),
      // Each try of the state writes its output under its own attempt.
      'retryCount.$': '$$.State.RetryCount',
    },
    TimeoutSeconds: seconds(step.timeout.ms) + TIMEOUT_BACKSTOP_MARGIN_SECONDS,
    ResultPath: stepPath(step.id),
  };
  const state = finish(withComment(step, task), {
    retry: retriers(step.retry, RETRYABLE_TASK_ERROR_NAMES),
    catches: failure.catches(TASK_ERROR_NAMES),
    next,
  });
  return { entry: step.id, states: [[step.id, state], ...failure.states()] };
}

/** An exec step: one target, or a fan-out (../fan-out.ts). */
export function lowerExec(ctx: Context, step: ExecStep, next: string, exits: Exits): Fragment {
  return step.target.fanOut ? lowerFanOut(ctx, step, next, exits) : lowerSingleExec(ctx, step, next, exits);
}
