/**
 * The approval step kind: message, timeout and approvers.
 */
import { TYPES } from '../../expressions.ts';
import { APPROVAL_OUTPUTS, type ApprovalStep, type StepCommon } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { describeNode, truncate } from '../describe.ts';
import { readTemplate } from '../references.ts';
import type { OutputInfo, Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

const DEFAULT_APPROVAL_TIMEOUT_MS = 60 * 60_000;

function readApproval(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Omit<ApprovalStep, keyof StepCommon> | undefined {
  const what = `${where}: approval`;
  const map = ctx.expectMap(node, what, ' with message');
  if (!map) return undefined;
  ctx.checkKeys(map, 'approval', what);
  const messageNode = ctx.entry(map, 'message');
  const message = messageNode
    ? readTemplate(ctx, messageNode, `${what}.message`, scope, { nonEmpty: true })
    : undefined;
  const timeoutNode = ctx.entry(map, 'timeout');
  const timeout = timeoutNode
    ? ctx.duration(timeoutNode, `${what}.timeout`, { wholeSeconds: true, positive: true })
    : { ms: DEFAULT_APPROVAL_TIMEOUT_MS, range: map.range };
  let approvers: string[] | undefined = [];
  const approversNode = ctx.entry(map, 'approvers');
  if (approversNode) {
    if (approversNode.kind !== 'seq') {
      ctx.report(
        'WRONG_TYPE',
        approversNode.range,
        `${what}.approvers must be a list of IAM principal ARNs; received ${describeNode(approversNode)}`,
      );
      approvers = undefined;
    } else {
      for (const item of approversNode.items) {
        const arn = ctx.string(item, 'an approver');
        if (arn !== undefined && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/.test(arn)) {
          ctx.report(
            'INVALID_ARN',
            item.range,
            `the approver ${JSON.stringify(truncate(arn))} is not an IAM principal ARN; accepted: arn:aws:iam::123456789012:role/ops or …:user/alice`,
          );
          approvers = undefined;
        } else if (arn === undefined) approvers = undefined;
        else approvers?.push(arn);
      }
    }
  }
  if (!message || !timeout || !approvers) return undefined;
  return { kind: 'approval', message, timeout, approvers };
}

/** An approval step: a person approves or rejects; its outputs always have a value. */
export const validateApproval: StepKindValidator = {
  keys: ['onFailure'],
  validate: (input: StepKindInput): StepKindResult => {
    const outputs = new Map<string, OutputInfo>();
    const body = readApproval(input.ctx, input.node, input.scope, input.where);
    for (const o of APPROVAL_OUTPUTS) outputs.set(o, { type: TYPES.string, hasDefault: true });
    return { body, outputs };
  },
};
