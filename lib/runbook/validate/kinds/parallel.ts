/**
 * The parallel step kind: branches of steps, each seeing only the steps before the parallel step.
 */
import type { Branch, Defaults, Duration, ParallelStep, StepCommon } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { describeNode } from '../describe.ts';
import type { Scope, StepInfo } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator, StepListReader } from '../step-kind.ts';

function readParallel(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  defaults: Defaults,
  where: string,
  timeout: Duration | undefined,
  stepList: StepListReader,
): { step?: Omit<ParallelStep, keyof StepCommon>; inner: StepInfo[] } {
  const what = `${where}: parallel`;
  const map = ctx.expectMap(node, what, ' with branches');
  if (!map) return { inner: [] };
  ctx.checkKeys(map, 'parallel', what);
  const branchesNode = ctx.entry(map, 'branches');
  if (!branchesNode) return { inner: [] };
  if (branchesNode.kind !== 'seq' || branchesNode.items.length === 0) {
    ctx.report(
      branchesNode.kind === 'seq' ? 'EMPTY_STEPS' : 'WRONG_TYPE',
      branchesNode.range,
      `${what}.branches must be a non-empty list of { steps: [...] }; received ${describeNode(branchesNode)}`,
    );
    return { inner: [] };
  }
  const branches: Branch[] = [];
  const inner: StepInfo[] = [];
  let ok = true;
  branchesNode.items.forEach((item, index) => {
    const branchWhat = `${where}: branch ${index + 1}`;
    const branchMap = ctx.expectMap(item, branchWhat, ' such as { steps: [...] }');
    if (!branchMap) {
      ok = false;
      return;
    }
    ctx.checkKeys(branchMap, 'branch', branchWhat);
    const stepsNode = ctx.entry(branchMap, 'steps');
    if (!stepsNode) {
      ok = false;
      return;
    }
    // Each branch sees only the steps before the parallel step, not its sibling branches.
    const walked = stepList(stepsNode, scope, defaults, `the steps of ${branchWhat}`);
    inner.push(...walked.added);
    if (walked.steps.length === 0) ok = false;
    branches.push({ steps: walked.steps, range: branchMap.range });
  });
  if (!ok) return { inner };
  return { step: { kind: 'parallel', branches, ...(timeout ? { timeout } : {}) }, inner };
}

/** A parallel step: branches of steps that run at once. */
export const validateParallel: StepKindValidator = {
  keys: ['onFailure'],
  validate: (input: StepKindInput): StepKindResult => {
    const parallel = readParallel(
      input.ctx,
      input.node,
      input.scope,
      input.defaults,
      input.where,
      input.timeout,
      input.stepList,
    );
    return { body: parallel.step, inner: parallel.inner };
  },
};
