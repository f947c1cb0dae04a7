/**
 * A parallel step: a Parallel state whose branches lower their own steps.
 */
import type { ParallelStep } from '../../../runbook/model.ts';
import { allSteps } from '../../../runbook/walk.ts';
import type { AslState, Json, JsonObject } from '../../asl.ts';
import { memberPath, stepPath, succeededValue } from '../../layout.ts';
import type { Context, Exits, Fragment, Named } from '../context.ts';
import { failureRouting } from '../failure.ts';
import { finish, toStates, withComment } from '../states.ts';

/**
 * A parallel step. When a branch failure would only fail the run (onFailure `fail` where
 * failures raise), the branches fail as Step Functions does and the others stop. Otherwise the
 * parallel catches: a branch never fails, each unhandled failure in it is recorded as the step's
 * failed value and as this step's failed value in the branch (`escalation`), the branch ends, and
 * after all branches `<id>.Check` routes to the failure handling with their step values merged.
 */
export function lowerParallel(ctx: Context, step: ParallelStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const merge = `${id}.Merge`;
  const catching = step.onFailure.kind !== 'fail' || exits.escalate !== undefined;
  const failure = failureRouting(ctx, step, next, exits);
  const values: JsonObject = { [id]: succeededValue() };
  const failures: JsonObject = {};
  const branches: Json[] = step.branches.map((branch, index) => {
    const end = `${id}.Branch${index + 1}`;
    const escalate = catching ? { parallel: step, end } : undefined;
    const body = ctx.lowerSteps(branch.steps, end, { succeed: end, ...(escalate ? { escalate } : {}) });
    for (const nested of allSteps(branch.steps))
      values[`${nested.id}.$`] = memberPath(`$[${index}].steps`, nested.id);
    failures[`b${index + 1}.$`] = memberPath(`$[${index}].steps`, id);
    return { StartAt: body.entry, States: toStates([...body.states, [end, { Type: 'Succeed' }]]) };
  });
  const mergeInto = (from: string, to: string): AslState => ({
    Type: 'Pass',
    Comment: 'The branches’ step values over the state’s.',
    Parameters: {
      'params.$': '$.params',
      'trigger.$': '$.trigger',
      'steps.$': `States.JsonMerge($.steps, ${from}, false)`,
    },
    Next: to,
  });
  if (!catching) {
    const parallel = finish(
      withComment(step, {
        Type: 'Parallel',
        Branches: branches,
        // Each branch returns the whole state; keep only the values of its own steps.
        ResultSelector: values,
        ResultPath: path,
      }),
      { next: merge },
    );
    return {
      entry: id,
      states: [
        [id, parallel],
        [merge, mergeInto(path, next)],
      ],
    };
  }
  const names = { check: `${id}.Check`, failedMerge: `${id}.MergeFailed` };
  const parallel = finish(
    withComment(step, {
      Type: 'Parallel',
      Branches: branches,
      // Each branch returns the whole state; keep the values of its own steps and, per branch,
      // this step's value there: failed when the branch recorded an unhandled failure.
      ResultSelector: { steps: values, failures },
      ResultPath: path,
    }),
    // The branches catch their own failures; this catches the engine's (a States.Runtime).
    { catches: failure.catches(), next: names.check },
  );
  const valuesPath = memberPath(path, 'steps');
  const check: AslState = {
    Type: 'Choice',
    Comment: 'Did a branch record an unhandled failure? The first such branch is the error.',
    Choices: step.branches.map((_, index) => ({
      Variable: memberPath(memberPath(memberPath(path, 'failures'), `b${index + 1}`), 'status'),
      StringEquals: 'failed',
      Next: `${id}.Failure${index + 1}`,
    })),
    Default: merge,
  };
  const picks: Named[] = step.branches.map((_, index) => [
    `${id}.Failure${index + 1}`,
    {
      Type: 'Pass',
      InputPath: memberPath(memberPath(path, 'failures'), `b${index + 1}`),
      ResultPath: memberPath(valuesPath, id),
      Next: names.failedMerge,
    },
  ]);
  return {
    entry: id,
    states: [
      [id, parallel],
      [names.check, check],
      [merge, mergeInto(valuesPath, next)],
      ...picks,
      [names.failedMerge, mergeInto(valuesPath, failure.after ?? next)],
      ...failure.states(),
    ],
  };
}
