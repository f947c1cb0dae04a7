/**
 * The state data layout every compiled runbook shares (docs/compiler.md#state-data):
 *
 * ```text
 * $.params           parameters: the declared defaults, then the execution input's params over them
 * $.trigger          what started the run; empty strings for the fields of other triggers
 * $.steps.<id>       each step's small result: { status, exitCode, outputs, … }
 * ```
 *
 * Between steps the state holds exactly these three keys. Each step writes only its own
 * `$.steps.<id>` (scratch values during a step live there too), so state stays far below
 * Step Functions' 256 KB.
 */
import type { ReferenceTarget, Runbook, Step } from '../runbook/model.ts';
import { allSteps } from '../runbook/walk.ts';
import type { JsonObject } from './asl.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `base.key`, or `base['key']` when `key` is not an identifier. */
export function memberPath(base: string, key: string): string {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}['${key.replaceAll("'", "\\'")}']`;
}

/** `$.steps.<id>`. */
export function stepPath(id: string): string {
  return memberPath('$.steps', id);
}

/** The JSONPath of what a reference names. */
export function referencePath(target: ReferenceTarget): string {
  switch (target.kind) {
    case 'param':
      return memberPath('$.params', target.name);
    case 'step':
      return memberPath(stepPath(target.stepId), target.field);
    case 'stepOutput':
      return memberPath(memberPath(stepPath(target.stepId), 'outputs'), target.output);
    case 'trigger':
      return target.field.split('.').reduce(memberPath, '$.trigger');
  }
}

/** `trigger` when the run was not started by a trigger: every field present, empty. */
export function triggerDefaults(): JsonObject {
  return {
    type: 'manual',
    alarm: { name: '', state: '', reason: '' },
    schedule: { time: '' },
    api: { caller: '' },
  };
}

/** The declared parameter defaults. */
export function parameterDefaults(runbook: Runbook): JsonObject {
  const defaults: JsonObject = {};
  for (const parameter of runbook.parameters) {
    if (parameter.default !== undefined) defaults[parameter.name] = parameter.default;
  }
  return defaults;
}

/**
 * The outputs a step has before it runs (and keeps when it fails without a result): capture
 * defaults (else `null`), fan-out counts of 0, empty approval fields, and `null` for any other
 * output some expression references (a called runbook's).
 */
export function notRunOutputs(step: Step, referenced: ReadonlySet<string> | undefined): JsonObject {
  const outputs: JsonObject = {};
  if (step.kind === 'exec' && step.target.fanOut) {
    Object.assign(outputs, { total: 0, succeeded: 0, failed: 0 });
  } else if (step.kind === 'exec') {
    for (const capture of step.captures) outputs[capture.name] = capture.default ?? null;
  } else if (step.kind === 'approval') {
    Object.assign(outputs, { approvedBy: '', comment: '' });
  }
  for (const name of [...(referenced ?? [])].sort()) {
    if (!(name in outputs)) outputs[name] = null;
  }
  return outputs;
}

/** `$.steps.<id>` before the step runs. */
export function notRunValue(step: Step, referenced: ReadonlySet<string> | undefined): JsonObject {
  return { status: 'skipped', exitCode: null, outputs: notRunOutputs(step, referenced) };
}

/** Every step's not-run value, in document order. */
export function initialSteps(
  runbook: Runbook,
  referenced: ReadonlyMap<string, ReadonlySet<string>>,
): JsonObject {
  const steps: JsonObject = {};
  for (const step of allSteps(runbook.steps)) steps[step.id] = notRunValue(step, referenced.get(step.id));
  return steps;
}

/** The value of a step that ended without a result of its own (wait, parallel, notify …). */
export function succeededValue(outputs: JsonObject = {}): JsonObject {
  return { status: 'succeeded', exitCode: null, outputs };
}
