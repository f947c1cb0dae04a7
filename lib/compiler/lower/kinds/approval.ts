/**
 * An approval step: a Task that waits for the task token its decision sends.
 */
import type { ApprovalStep } from '../../../runbook/model.ts';
import { formatDuration } from '../../../shared/duration.ts';
import type { TaskErrorName } from '../../../shared/errors.ts';
import type { Json, JsonObject } from '../../asl.ts';
import { memberPath, notRunOutputs, stepPath, succeededValue } from '../../layout.ts';
import { placeholderToken } from '../../placeholders.ts';
import { setField, templateValue } from '../../values.ts';
import { type Context, type Exits, eventBase, type Fragment, type Named } from '../context.ts';
import { failureRouting } from '../failure.ts';
import { seconds } from '../retry.ts';
import { finish, withComment } from '../states.ts';

const LAMBDA_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

const APPROVAL_REJECTED: TaskErrorName = 'ApprovalRejected';

/**
 * An approval: the approval function gets the task token; the decision (SendTaskSuccess or
 * SendTaskFailure `ApprovalRejected`) ends the state. When nobody decides in time, AWS raises
 * `States.Timeout`; `<id>.TimedOut` turns that into the rejection the language promises, then
 * fails the run (`<id>.Rejected`) or goes on as onFailure says.
 */
export function lowerApproval(ctx: Context, step: ApprovalStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const failure = failureRouting(ctx, step, next, exits);
  const names = { timedOut: `${id}.TimedOut`, rejected: `${id}.Rejected` };
  const timedOut = `no decision within ${formatDuration(step.timeout.ms)}`;
  const payload: JsonObject = { ...eventBase(ctx, 'approval', step), 'taskToken.$': '$$.Task.Token' };
  setField(payload, 'message', templateValue(step.message, { asString: true }));
  payload.approvers = [...step.approvers];
  payload.timeoutMs = step.timeout.ms;
  const catches: Json[] = [
    { ErrorEquals: ['States.Timeout'], ResultPath: memberPath(path, 'error'), Next: names.timedOut },
    ...(failure.catches([APPROVAL_REJECTED]) ?? []),
  ];
  const task = finish(
    withComment(step, {
      Type: 'Task',
      Resource: LAMBDA_WAIT_FOR_TOKEN,
      Parameters: { FunctionName: placeholderToken('ApprovalFnArn'), Payload: payload },
      TimeoutSeconds: seconds(step.timeout.ms),
      ResultSelector: succeededValue({ 'approvedBy.$': '$.approvedBy', 'comment.$': '$.comment' }),
      ResultPath: path,
    }),
    { catches, next },
  );
  const states: Named[] = [
    [id, task],
    [
      names.timedOut,
      {
        Type: 'Pass',
        Parameters: {
          status: 'failed',
          exitCode: null,
          outputs: notRunOutputs(step, ctx.referenced.get(id)),
          error: {
            name: APPROVAL_REJECTED,
            message: timedOut,
            hint: 'approve or reject sooner, or give the approval a longer timeout',
          },
        },
        ResultPath: path,
        Next: failure.after ?? names.rejected,
      },
    ],
  ];
  if (failure.after === undefined)
    states.push([names.rejected, { Type: 'Fail', Error: APPROVAL_REJECTED, Cause: timedOut }]);
  return { entry: id, states: [...states, ...failure.states()] };
}
