/**
 * A notify step: SNS Publish through the service integration.
 */
import type { NotifyStep } from '../../../runbook/model.ts';
import type { JsonObject } from '../../asl.ts';
import { stepPath, succeededValue } from '../../layout.ts';
import { setField, templateValue } from '../../values.ts';
import type { Context, Exits, Fragment } from '../context.ts';
import { failureRouting } from '../failure.ts';
import { retriers } from '../retry.ts';
import { finish, withComment } from '../states.ts';

const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

export function lowerNotify(ctx: Context, step: NotifyStep, next: string, exits: Exits): Fragment {
  const failure = failureRouting(ctx, step, next, exits);
  const parameters: JsonObject = {};
  setField(parameters, 'TopicArn', templateValue(step.topic, { asString: true }));
  setField(parameters, 'Message', templateValue(step.message, { asString: true }));
  if (step.subject) setField(parameters, 'Subject', templateValue(step.subject, { asString: true }));
  const task = finish(
    withComment(step, {
      Type: 'Task',
      Resource: SNS_PUBLISH,
      Parameters: parameters,
      ResultSelector: succeededValue(),
      ResultPath: stepPath(step.id),
    }),
    // SNS errors are not our task errors; States.TaskFailed matches every failure but a timeout.
    { retry: retriers(step.retry, ['States.TaskFailed']), catches: failure.catches(), next },
  );
  return { entry: step.id, states: [[step.id, task], ...failure.states()] };
}
