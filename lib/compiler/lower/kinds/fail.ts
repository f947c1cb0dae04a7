/**
 * A fail step: a Fail state, or, in a catching parallel branch, a recorded escalation.
 */
import type { FailStep } from '../../../runbook/model.ts';
import type { AslState, JsonObject } from '../../asl.ts';
import { memberPath, notRunOutputs, stepPath } from '../../layout.ts';
import { setField, templateValue } from '../../values.ts';
import type { Context, Escalation, Exits, Fragment, Named } from '../context.ts';
import { escalation } from '../failure.ts';
import { withComment } from '../states.ts';

function lowerFail(step: FailStep): Fragment {
  const id = step.id;
  const fail: AslState = withComment(step, { Type: 'Fail', Error: step.error });
  const states: Named[] = [];
  if (step.cause) {
    const value = templateValue(step.cause, { asString: true });
    if ('literal' in value) fail.Cause = String(value.literal);
    else if (value.dynamic.startsWith('$')) fail.CausePath = value.dynamic;
    else {
      // aws-local-stepfunctions takes no intrinsic in CausePath: compute the cause first.
      const cause = `${id}.Cause`;
      states.push([
        cause,
        { Type: 'Pass', Parameters: { 'cause.$': value.dynamic }, ResultPath: stepPath(id), Next: id },
      ]);
      fail.CausePath = memberPath(stepPath(id), 'cause');
    }
  }
  states.push([id, fail]);
  return { entry: (states[0] as Named)[0], states };
}

/**
 * A fail step in a catching parallel branch: a Fail state would end the branch and lose its step
 * values, so it records its failed value and escalates it as any unhandled failure there.
 */
function lowerCaughtFail(ctx: Context, step: FailStep, escalate: Escalation): Fragment {
  const id = step.id;
  const error: JsonObject = { name: step.error };
  if (step.cause) setField(error, 'message', templateValue(step.cause, { asString: true }));
  else error.message = `fail step ${id}`;
  const unhandled = `${id}.Unhandled`;
  const record = withComment(step, {
    Type: 'Pass',
    Parameters: {
      status: 'failed',
      exitCode: null,
      outputs: notRunOutputs(step, ctx.referenced.get(id)),
      error,
    },
    ResultPath: stepPath(id),
    Next: unhandled,
  });
  return {
    entry: id,
    states: [
      [id, record],
      [unhandled, escalation(ctx, escalate, stepPath(id))],
    ],
  };
}

/** A fail step: a Fail state, unless a catching parallel branch must keep its step values. */
export function lowerFailStep(ctx: Context, step: FailStep, _next: string, exits: Exits): Fragment {
  return exits.escalate ? lowerCaughtFail(ctx, step, exits.escalate) : lowerFail(step);
}
