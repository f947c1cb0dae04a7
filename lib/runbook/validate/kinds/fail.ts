/**
 * The fail step kind: error name and cause.
 */
import type { FailStep, StepCommon } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { truncate } from '../describe.ts';
import { readTemplate } from '../references.ts';
import type { Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

function readFail(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Omit<FailStep, keyof StepCommon> | undefined {
  const what = `${where}: fail`;
  if (node.kind === 'scalar' && node.value === null) return { kind: 'fail', error: 'RunbookFailed' };
  if (node.kind === 'scalar') {
    const cause = readTemplate(ctx, node, `${what} cause`, scope, { nonEmpty: true });
    return cause ? { kind: 'fail', error: 'RunbookFailed', cause } : undefined;
  }
  const map = ctx.expectMap(node, what, ' such as { error: DiskFull, cause: "…" }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'fail', what);
  let error: string | undefined = 'RunbookFailed';
  const errorNode = ctx.entry(map, 'error');
  if (errorNode) {
    error = ctx.string(errorNode, `${what}.error`, { nonEmpty: true });
    if (
      error !== undefined &&
      (!/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/.test(error) || error.startsWith('States.'))
    ) {
      ctx.report(
        'INVALID_NAME',
        errorNode.range,
        `${what}.error is ${JSON.stringify(truncate(error))}; accepted: a name of letters, digits, "_", "-" and ".", such as DiskFull, not starting with "States."`,
      );
      error = undefined;
    }
  }
  const causeNode = ctx.entry(map, 'cause');
  const cause = causeNode
    ? readTemplate(ctx, causeNode, `${what}.cause`, scope, { nonEmpty: true })
    : undefined;
  if (error === undefined || (causeNode && !cause)) return undefined;
  return { kind: 'fail', error, ...(cause ? { cause } : {}) };
}

/** A fail step: ends the run (or its branch) as failed. */
export const validateFail: StepKindValidator = {
  keys: [],
  validate: (input: StepKindInput): StepKindResult => ({
    body: readFail(input.ctx, input.node, input.scope, input.where),
  }),
};
