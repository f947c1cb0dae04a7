/**
 * Assembling states: the States object of a definition or branch, Retry/Catch/Next, comments.
 */
import type { Step } from '../../runbook/model.ts';
import type { AslState, AslStates, Json } from '../asl.ts';
import { CompileError } from '../errors.ts';
import type { Named } from './context.ts';

export function toStates(states: readonly Named[]): AslStates['States'] {
  const out: AslStates['States'] = {};
  for (const [name, state] of states) {
    if (name in out)
      throw new CompileError('INVALID_MODEL', `two states are named "${name}"; step ids must be unique`);
    if (name.length > 80) {
      throw new CompileError(
        'INVALID_MODEL',
        `state name "${name}" is longer than Step Functions' 80 characters`,
      );
    }
    out[name] = state;
  }
  return out;
}

/** Adds `Retry` and `Catch` when present, then `Next`, keeping the field order stable. */
export function finish(
  state: AslState,
  fields: { retry?: Json[]; catches?: Json[]; next: string },
): AslState {
  if (fields.retry) state.Retry = fields.retry;
  if (fields.catches) state.Catch = fields.catches;
  state.Next = fields.next;
  return state;
}

export function withComment(step: Step, state: AslState): AslState {
  if (step.name === undefined) return state;
  const { Type, ...rest } = state;
  return { Type, Comment: step.name, ...rest };
}
