/**
 * Failure routing: the Catch paths of a step whose onFailure is not `fail`, and the escalation
 * of an unhandled failure inside a catching parallel branch.
 */
import type { Step } from '../../runbook/model.ts';
import type { AslState, Json } from '../asl.ts';
import { memberPath, notRunOutputs, stepPath } from '../layout.ts';
import type { Context, Escalation, Exits, Failure, Named } from './context.ts';

/**
 * The catch path of a step whose onFailure is not `fail`.
 *
 * Errors raised by our handlers carry the step's value as JSON in the `errorMessage` of the
 * envelope in `Cause`: `<id>.Caught` parses the envelope, `<id>.Parsed` the value, and
 * `<id>.Failed` moves it into `$.steps.<id>` (InputPath picks it, ResultPath writes it over the
 * raw input). Any other error (`States.Timeout`, a Lambda crash) goes to `<id>.Errored`, which
 * records `status: 'failed'` and the error's name and cause. Both continue with `next` or with
 * the onFailure steps, which then continue with `next`. A step whose onFailure is `fail` gets the
 * same path inside a catching parallel branch (`exits.escalate`), ending in `<id>.Unhandled`.
 */
export function failureRouting(ctx: Context, step: Step, next: string, exits: Exits): Failure {
  const escalate = step.onFailure.kind === 'fail' ? exits.escalate : undefined;
  if (step.onFailure.kind === 'fail' && !escalate)
    return { after: undefined, catches: () => undefined, states: () => [] };
  const id = step.id;
  const path = stepPath(id);
  const errorPath = memberPath(path, 'error');
  const handler =
    step.onFailure.kind === 'steps' ? ctx.lowerSteps(step.onFailure.steps, next, exits) : undefined;
  const names = {
    caught: `${id}.Caught`,
    parsed: `${id}.Parsed`,
    failed: `${id}.Failed`,
    errored: `${id}.Errored`,
    unhandled: `${id}.Unhandled`,
  };
  const after = handler ? handler.entry : escalate ? names.unhandled : next;
  let parses = false;
  return {
    after,
    catches(parse) {
      const catches: Json[] = [];
      if (parse) {
        parses = true;
        catches.push({ ErrorEquals: [...parse], ResultPath: errorPath, Next: names.caught });
      }
      catches.push({ ErrorEquals: ['States.ALL'], ResultPath: errorPath, Next: names.errored });
      return catches;
    },
    states() {
      const states: Named[] = [];
      if (parses) {
        states.push(
          [
            names.caught,
            {
              Type: 'Pass',
              Parameters: { 'envelope.$': `States.StringToJson(${memberPath(errorPath, 'Cause')})` },
              ResultPath: path,
              Next: names.parsed,
            },
          ],
          [
            names.parsed,
            {
              Type: 'Pass',
              Parameters: { 'value.$': `States.StringToJson(${memberPath(path, 'envelope')}.errorMessage)` },
              ResultPath: path,
              Next: names.failed,
            },
          ],
          [
            names.failed,
            { Type: 'Pass', InputPath: memberPath(path, 'value'), ResultPath: path, Next: after },
          ],
        );
      }
      states.push([
        names.errored,
        {
          Type: 'Pass',
          Parameters: {
            status: 'failed',
            exitCode: null,
            outputs: notRunOutputs(step, ctx.referenced.get(id)),
            error: { 'name.$': memberPath(errorPath, 'Error'), 'message.$': memberPath(errorPath, 'Cause') },
          },
          ResultPath: path,
          Next: after,
        },
      ]);
      if (handler) states.push(...handler.states);
      if (escalate) states.push([names.unhandled, escalation(ctx, escalate, path)]);
      return states;
    },
  };
}

/**
 * Records an unhandled failure in a catching parallel branch: the enclosing parallel step's value
 * in the branch becomes failed with the error of the step value at `from`, and the branch ends.
 */
export function escalation(ctx: Context, escalate: Escalation, from: string): AslState {
  const { parallel, end } = escalate;
  return {
    Type: 'Pass',
    Comment: `Unhandled: fails ${parallel.id} once its branches have ended.`,
    Parameters: {
      status: 'failed',
      exitCode: null,
      outputs: notRunOutputs(parallel, ctx.referenced.get(parallel.id)),
      'error.$': memberPath(from, 'error'),
    },
    ResultPath: stepPath(parallel.id),
    Next: end,
  };
}
