/**
 * Traversal of a runbook's steps, nested ones included.
 */
import type { Step } from './model.ts';

/**
 * Every step in document order: a step, then the steps of its parallel branches, then its
 * onFailure steps (the order in which ids are numbered and forward references are judged).
 */
export function* allSteps(steps: readonly Step[]): Generator<Step> {
  for (const step of steps) {
    yield step;
    if (step.kind === 'parallel') for (const branch of step.branches) yield* allSteps(branch.steps);
    if (step.onFailure.kind === 'steps') yield* allSteps(step.onFailure.steps);
  }
}
