/**
 * The wait step kind: a duration, or until a timestamp or a reference to one.
 */
import type { StepCommon, WaitStep } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { describeNode, truncate } from '../describe.ts';
import { readTemplate } from '../references.ts';
import type { Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function readWait(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Omit<WaitStep, keyof StepCommon> | undefined {
  const what = `${where}: wait`;
  if (node.kind === 'scalar') {
    const duration = ctx.duration(node, what);
    return duration ? { kind: 'wait', wait: { kind: 'duration', duration } } : undefined;
  }
  const map = ctx.expectMap(node, what, ' with duration or until');
  if (!map) return undefined;
  ctx.checkKeys(map, 'wait', what);
  const durationNode = ctx.entry(map, 'duration');
  const untilNode = ctx.entry(map, 'until');
  if (durationNode && untilNode) {
    ctx.report('INVALID_VALUE', ctx.keyRange(map, 'until'), `${what} has both duration and until; give one`);
    return undefined;
  }
  if (durationNode) {
    const duration = ctx.duration(durationNode, `${what}.duration`);
    return duration ? { kind: 'wait', wait: { kind: 'duration', duration } } : undefined;
  }
  if (untilNode) {
    const until = readTemplate(ctx, untilNode, `${what}.until`, scope, { nonEmpty: true });
    if (!until) return undefined;
    const [only] = until.parts;
    if (until.parts.length === 1 && only?.kind === 'text') {
      if (!TIMESTAMP.test(only.text) || Number.isNaN(Date.parse(only.text))) {
        ctx.report(
          'INVALID_VALUE',
          untilNode.range,
          `${what}.until is ${JSON.stringify(truncate(only.text))}; accepted: an RFC 3339 timestamp such as 2030-01-31T03:00:00Z, or one reference to one`,
        );
        return undefined;
      }
    } else if (
      !(
        until.parts.length === 1 &&
        only?.kind === 'reference' &&
        ['string', 'unknown'].includes(only.reference.type.base)
      )
    ) {
      ctx.report(
        'EXPRESSION_TYPE',
        untilNode.range,
        `${what}.until must be a timestamp or exactly one reference to a string; received ${describeNode(untilNode)}`,
      );
      return undefined;
    }
    return { kind: 'wait', wait: { kind: 'until', until } };
  }
  ctx.report('MISSING_KEY', ctx.headRange(map), `${what} needs "duration" or "until"`);
  return undefined;
}

/** A wait step: a duration, or until a timestamp. */
export const validateWait: StepKindValidator = {
  keys: [],
  validate: (input: StepKindInput): StepKindResult => ({
    body: readWait(input.ctx, input.node, input.scope, input.where),
  }),
};
