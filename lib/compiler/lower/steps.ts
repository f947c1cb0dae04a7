/**
 * A list of steps: each step's `when` Choice, then its kind's states. Every kind has one file in
 * kinds/ and one entry in {@link STEP_LOWERERS}.
 */
import type { Step, StepKind } from '../../runbook/model.ts';
import type { AslState } from '../asl.ts';
import { lowerCondition } from '../choice.ts';
import type { Context, Exits, Fragment, StepLowerer } from './context.ts';
import { lowerApproval } from './kinds/approval.ts';
import { lowerExec } from './kinds/exec.ts';
import { lowerFailStep } from './kinds/fail.ts';
import { lowerNotify } from './kinds/notify.ts';
import { lowerParallel } from './kinds/parallel.ts';
import { lowerChild } from './kinds/runbook.ts';
import { lowerSucceed } from './kinds/succeed.ts';
import { lowerWait } from './kinds/wait.ts';

export function lowerSteps(ctx: Context, steps: readonly Step[], next: string, exits: Exits): Fragment {
  // Built from the last step back, since each step needs its successor's entry state.
  const fragments: Fragment[] = [];
  let entry = next;
  for (let i = steps.length - 1; i >= 0; i--) {
    const fragment = lowerStep(ctx, steps[i] as Step, entry, exits);
    fragments.unshift(fragment);
    entry = fragment.entry;
  }
  return { entry, states: fragments.flatMap((f) => f.states) };
}

function lowerStep(ctx: Context, step: Step, next: string, exits: Exits): Fragment {
  const rule = step.when ? lowerCondition(step.when.expr) : true;
  // A skipped step leaves its initial value (status 'skipped') untouched.
  if (rule === false) return { entry: next, states: [] };
  const body = lowerBody(ctx, step, next, exits);
  if (rule === true) return body;
  const name = `${step.id}.When`;
  const choice: AslState = {
    Type: 'Choice',
    Comment: `when: ${step.when?.source ?? ''}`,
    Choices: [{ ...rule, Next: body.entry }],
    Default: next,
  };
  return { entry: name, states: [[name, choice], ...body.states] };
}

/** Every step kind's lowering, one file each in kinds/; the type asks for each kind of the model. */
export const STEP_LOWERERS: { readonly [K in StepKind]: StepLowerer<K> } = {
  exec: lowerExec,
  approval: lowerApproval,
  notify: lowerNotify,
  wait: lowerWait,
  parallel: lowerParallel,
  runbook: lowerChild,
  fail: lowerFailStep,
  succeed: lowerSucceed,
};

function lowerBody(ctx: Context, step: Step, next: string, exits: Exits): Fragment {
  return (STEP_LOWERERS[step.kind] as StepLowerer<StepKind>)(ctx, step, next, exits);
}
