/**
 * A runbook step: StartExecution.sync of the called runbook's state machine.
 */
import type { RunbookStep } from '../../../runbook/model.ts';
import type { AslState, JsonObject } from '../../asl.ts';
import { stepPath } from '../../layout.ts';
import { placeholderToken, runbookArnPlaceholder } from '../../placeholders.ts';
import { argumentValue, setField } from '../../values.ts';
import { type Context, EXECUTION_ID, type Exits, type Fragment } from '../context.ts';
import { failureRouting } from '../failure.ts';
import { retriers, seconds } from '../retry.ts';
import { finish, withComment } from '../states.ts';

const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

export function lowerChild(ctx: Context, step: RunbookStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const params: JsonObject = {};
  for (const argument of step.parameters) setField(params, argument.name, argumentValue(argument.value));
  const task: AslState = withComment(step, {
    Type: 'Task',
    Resource: START_EXECUTION_SYNC,
    Parameters: {
      StateMachineArn: placeholderToken(runbookArnPlaceholder(step.runbook)),
      Input: {
        params,
        'trigger.$': '$.trigger',
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': EXECUTION_ID,
      },
    },
  });
  if (step.timeout) task.TimeoutSeconds = seconds(step.timeout.ms);
  task.ResultSelector = { status: 'succeeded', exitCode: null, 'outputs.$': '$.Output.outputs' };
  task.ResultPath = stepPath(step.id);
  const state = finish(task, {
    retry: retriers(step.retry, ['States.TaskFailed']),
    catches: failure.catches(),
    next,
  });
  return { entry: step.id, states: [[step.id, state], ...failure.states()] };
}
