/**
 * A wait step: a Wait state for a duration or until a timestamp.
 */
import type { WaitStep } from '../../../runbook/model.ts';
import type { AslState } from '../../asl.ts';
import { memberPath, stepPath, succeededValue } from '../../layout.ts';
import { templateValue } from '../../values.ts';
import type { Context, Exits, Fragment, Named } from '../context.ts';
import { withComment } from '../states.ts';

export function lowerWait(_ctx: Context, step: WaitStep, next: string, _exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const done = `${id}.Done`;
  const states: Named[] = [];
  const wait: AslState = withComment(step, { Type: 'Wait' });
  if (step.wait.kind === 'duration') {
    wait.Seconds = Math.ceil(step.wait.duration.ms / 1000);
  } else {
    const value = templateValue(step.wait.until, { asString: true });
    if ('literal' in value) wait.Timestamp = String(value.literal);
    else if (value.dynamic.startsWith('$')) wait.TimestampPath = value.dynamic;
    else {
      // Wait takes a path, not an intrinsic: compute the timestamp into the step's slot first.
      const until = `${id}.Until`;
      states.push([
        until,
        { Type: 'Pass', Parameters: { 'until.$': value.dynamic }, ResultPath: path, Next: id },
      ]);
      wait.TimestampPath = memberPath(path, 'until');
    }
  }
  wait.Next = done;
  states.push([id, wait], [done, { Type: 'Pass', Result: succeededValue(), ResultPath: path, Next: next }]);
  // A Wait has no Catch: an onFailure on a wait step has nothing to route.
  return { entry: (states[0] as Named)[0], states };
}
