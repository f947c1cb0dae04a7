/**
 * A succeed step: records success and goes to the end of the run or branch.
 */
import type { SucceedStep } from '../../../runbook/model.ts';
import type { JsonObject } from '../../asl.ts';
import { stepPath, succeededValue } from '../../layout.ts';
import { setField, templateValue } from '../../values.ts';
import type { Context, Exits, Fragment } from '../context.ts';
import { withComment } from '../states.ts';

export function lowerSucceed(_ctx: Context, step: SucceedStep, _next: string, exits: Exits): Fragment {
  const value: JsonObject = succeededValue();
  if (step.message) setField(value, 'message', templateValue(step.message, { asString: true }));
  const pass = withComment(step, {
    Type: 'Pass',
    Parameters: value,
    ResultPath: stepPath(step.id),
    Next: exits.succeed,
  });
  return { entry: step.id, states: [[step.id, pass]] };
}
