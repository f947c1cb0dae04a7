/**
 * The Task states of a compiled definition and what runs each: what the local runner binds to
 * `overrides.taskResourceLocalHandlers` (keyed by state name, nested states included).
 */
import type { AslState, AslStates, Json } from './asl.ts';
import { placeholderOf } from './placeholders.ts';

/** What a Task state calls; lib/handlers/events.ts has each one's event and result. */
export type TaskStateKind =
  | 'checkInput'
  | 'exec'
  | 'batch'
  | 'targets'
  | 'summary'
  | 'approval'
  | 'notify'
  | 'runbook';

/** One Task state. */
export interface TaskStateInfo {
  /** The state's name: the key of `taskResourceLocalHandlers`. */
  readonly name: string;
  readonly kind: TaskStateKind;
  /** The step the state belongs to. */
  readonly stepId: string;
  /** `runbook` states: the called runbook's state machine placeholder (`Runbook_<name>_Arn`). */
  readonly placeholder?: string;
}

const SERVICE_KINDS: Readonly<Record<string, TaskStateKind>> = {
  'arn:aws:states:::lambda:invoke.waitForTaskToken': 'approval',
  'arn:aws:states:::sns:publish': 'notify',
  'arn:aws:states:::states:startExecution.sync:2': 'runbook',
};

const LAMBDA_KINDS: Readonly<Record<string, TaskStateKind>> = {
  CheckInputFnArn: 'checkInput',
  TargetsFnArn: 'targets',
  FanOutSummaryFnArn: 'summary',
};

/** Every Task state in `definition`, Parallel branches and Map processors included, in order. */
export function taskStatesOf(definition: AslStates): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  visit(definition, found);
  return found;
}

function visit(machine: AslStates, found: TaskStateInfo[]): void {
  for (const [name, state] of Object.entries(machine.States)) {
    if (state.Type === 'Task') {
      const info = describe(name, state);
      if (info) found.push(info);
    } else if (state.Type === 'Parallel') {
      for (const branch of state.Branches as Json[]) visit(branch as AslStates, found);
    } else if (state.Type === 'Map') {
      visit((state.ItemProcessor ?? state.Iterator) as AslStates, found);
    }
  }
}

function describe(name: string, state: AslState): TaskStateInfo | undefined {
  const resource = String(state.Resource);
  const stepId = name.split('.')[0] as string;
  const service = SERVICE_KINDS[resource];
  if (service === 'runbook') {
    const parameters = state.Parameters as { StateMachineArn?: string } | undefined;
    const placeholder = placeholderOf(parameters?.StateMachineArn ?? '');
    return { name, kind: service, stepId, ...(placeholder ? { placeholder } : {}) };
  }
  if (service) return { name, kind: service, stepId };
  const placeholder = placeholderOf(resource);
  if (placeholder === 'ExecFnArn') {
    const parameters = state.Parameters as { kind?: string } | undefined;
    return { name, kind: parameters?.kind === 'exec' ? 'exec' : 'batch', stepId };
  }
  const kind = placeholder ? LAMBDA_KINDS[placeholder] : undefined;
  return kind ? { name, kind, stepId } : undefined;
}
