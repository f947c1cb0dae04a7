/**
 * The succeed step kind: an optional message.
 */
import type { StepCommon, SucceedStep } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { readTemplate } from '../references.ts';
import type { Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

function readSucceed(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Omit<SucceedStep, keyof StepCommon> | undefined {
  const what = `${where}: succeed`;
  if (node.kind === 'scalar' && node.value === null) return { kind: 'succeed' };
  if (node.kind === 'scalar') {
    const message = readTemplate(ctx, node, `${what} message`, scope, { nonEmpty: true });
    return message ? { kind: 'succeed', message } : undefined;
  }
  const map = ctx.expectMap(node, what, ' such as {} or { message: "…" }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'succeed', what);
  const messageNode = ctx.entry(map, 'message');
  const message = messageNode
    ? readTemplate(ctx, messageNode, `${what}.message`, scope, { nonEmpty: true })
    : undefined;
  if (messageNode && !message) return undefined;
  return { kind: 'succeed', ...(message ? { message } : {}) };
}

/** A succeed step: ends the run (or its branch) as succeeded. */
export const validateSucceed: StepKindValidator = {
  keys: [],
  validate: (input: StepKindInput): StepKindResult => ({
    body: readSucceed(input.ctx, input.node, input.scope, input.where),
  }),
};
