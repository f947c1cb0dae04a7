/**
 * The scope: what a step may reference at its point of the run, and the resolution of a
 * reference path (params.*, steps.*, trigger.*) to its target and type.
 */
import type { DiagnosticCode } from '../diagnostics.ts';
import { type PathSegment, type Resolution, TYPES } from '../expressions.ts';
import {
  type SourceRange,
  STEP_STATUSES,
  type Step,
  type StepKind,
  TRIGGER_FIELDS,
  TRIGGER_TYPES,
  type TriggerField,
  type ValueType,
} from '../model.ts';
import { list, suggestion } from './describe.ts';
import type { Validation } from './shapes.ts';

/** An output of a step: its type, and whether it has a value even when the step did not run. */
export interface OutputInfo {
  type: ValueType;
  hasDefault: boolean;
}

/** What the scope knows about a step that may be referenced. */
export interface StepInfo {
  readonly id: string;
  readonly kind?: StepKind;
  readonly singleExec: boolean;
  readonly fanOut: boolean;
  readonly outputs: ReadonlyMap<string, OutputInfo>;
  /** Outputs are not known (a called runbook without a resolver, or a step with errors). */
  readonly openOutputs: boolean;
  /** Whether, wherever this scope is used, the step has certainly run and succeeded. */
  readonly guaranteed: boolean;
}

export type Scope = ReadonlyMap<string, StepInfo>;

export interface StepResult {
  readonly step?: Step;
  /** The step and the steps nested in it, with their guarantees as seen after the step. */
  readonly added: readonly StepInfo[];
  /** An unconditional fail/succeed: later steps of the same list never run. */
  readonly terminal: boolean;
  /** The step (when it runs) always ends in a fail: an onFailure list ending so. */
  readonly alwaysFails: boolean;
}

/** Resolves a path against the parameters, the scope and the trigger fields. */
export function resolveReference(
  ctx: Validation,
  segments: readonly PathSegment[],
  scope: Scope,
  toRange: (start: number, end: number) => SourceRange,
): Resolution<DiagnosticCode> {
  const [root, second, third, fourth, ...rest] = segments;
  const path = segments.map((s) => s.name).join('.');
  const whole = { start: root?.start ?? 0, end: segments[segments.length - 1]?.end ?? 0 };
  const fail = (
    code: DiagnosticCode,
    message: string,
    at: { start: number; end: number } = whole,
  ): Resolution<DiagnosticCode> => ({
    ok: false,
    problem: { code, message, start: at.start, end: at.end },
  });
  if (!root) return fail('UNKNOWN_REFERENCE', 'empty reference');
  switch (root.name) {
    case 'params': {
      if (!second || third)
        return fail('UNKNOWN_REFERENCE', `"${path}" is not a parameter reference; write params.<name>`);
      const parameter = ctx.params.get(second.name);
      if (!parameter) {
        if (ctx.paramNames.has(second.name))
          return { ok: true, target: { kind: 'param', name: second.name }, path, type: TYPES.unknown };
        return fail(
          'UNKNOWN_PARAMETER',
          `"${second.name}" is not a declared parameter${suggestion(second.name, ctx.paramNames)}; declared: ${list([...ctx.paramNames])}`,
          second,
        );
      }
      const type: ValueType =
        parameter.type === 'enum'
          ? { base: 'string', nullable: false, values: parameter.values ?? [] }
          : { base: parameter.type, nullable: false };
      return { ok: true, target: { kind: 'param', name: second.name }, path, type };
    }
    case 'steps': {
      if (!second || !third) {
        return fail(
          'UNKNOWN_REFERENCE',
          `"${path}" is incomplete; write steps.<id>.status, steps.<id>.exitCode or steps.<id>.outputs.<name>`,
        );
      }
      const info = scope.get(second.name);
      if (!info) {
        const order = ctx.stepOrder.get(second.name);
        if (order === undefined) {
          return fail(
            'UNKNOWN_STEP',
            `no step has the id "${second.name}"${suggestion(second.name, ctx.stepOrder.keys())}`,
            second,
          );
        }
        if (order >= ctx.currentOrder) {
          return fail(
            'FORWARD_REFERENCE',
            `step "${second.name}" ${order === ctx.currentOrder ? 'is this step itself' : 'runs later'}; a step can only reference steps that ran before it`,
            second,
          );
        }
        return fail(
          'STEP_NOT_IN_SCOPE',
          `step "${second.name}" is not on the way to this point (it is in another parallel branch, inside a step that contains this one, or in an onFailure list this point does not follow)`,
          second,
        );
      }
      if (third.name === 'status' && !fourth) {
        return {
          ok: true,
          target: { kind: 'step', stepId: second.name, field: 'status' },
          path,
          type: { base: 'string', nullable: false, values: STEP_STATUSES },
        };
      }
      if (third.name === 'exitCode' && !fourth) {
        if (info.kind !== undefined && !info.singleExec && !(info.kind === 'exec' && info.openOutputs)) {
          return fail(
            'UNKNOWN_OUTPUT',
            `step "${second.name}" has no exitCode: only single-target exec steps have one${info.fanOut ? ' (a fan-out step has outputs.failed, outputs.succeeded, outputs.total)' : ''}`,
            third,
          );
        }
        return {
          ok: true,
          target: { kind: 'step', stepId: second.name, field: 'exitCode' },
          path,
          type: { base: 'integer', nullable: true },
        };
      }
      if (third.name === 'outputs' && fourth && rest.length === 0) {
        const output = info.outputs.get(fourth.name);
        const target = { kind: 'stepOutput' as const, stepId: second.name, output: fourth.name };
        if (!output) {
          if (info.openOutputs) return { ok: true, target, path, type: TYPES.unknown };
          return fail(
            'UNKNOWN_OUTPUT',
            `step "${second.name}" has no output "${fourth.name}"${suggestion(fourth.name, info.outputs.keys())}; its outputs: ${list([...info.outputs.keys()])}`,
            fourth,
          );
        }
        if (!info.guaranteed && !output.hasDefault) {
          return fail(
            'OUTPUT_MAY_BE_UNSET',
            `step "${second.name}" may not have run or succeeded here (it has a "when", an onFailure other than fail, or sits in an onFailure list), so "${fourth.name}" may be unset; give the capture a "default"`,
            whole,
          );
        }
        return { ok: true, target, path, type: output.type };
      }
      return fail(
        'UNKNOWN_REFERENCE',
        `"${path}" is not a step reference; write steps.${second.name}.status, steps.${second.name}.exitCode or steps.${second.name}.outputs.<name>`,
        third,
      );
    }
    case 'trigger': {
      const field = segments
        .slice(1)
        .map((s) => s.name)
        .join('.');
      if (!(TRIGGER_FIELDS as readonly string[]).includes(field)) {
        return fail(
          'UNKNOWN_REFERENCE',
          `"${path}" is not a trigger field${suggestion(field, TRIGGER_FIELDS)}; accepted: ${TRIGGER_FIELDS.map((f) => `trigger.${f}`).join(', ')}`,
        );
      }
      const kind = field.split('.')[0] as string;
      if (kind !== 'type' && !ctx.triggerKinds.has(kind)) {
        ctx.report(
          'TRIGGER_NOT_DECLARED',
          toRange(whole.start, whole.end),
          `"${path}" is always empty: the runbook declares no ${kind} trigger`,
        );
      }
      const type: ValueType =
        field === 'type' ? { base: 'string', nullable: false, values: TRIGGER_TYPES } : TYPES.string;
      return { ok: true, target: { kind: 'trigger', field: field as TriggerField }, path, type };
    }
    default: {
      const hint = ['inputs', 'parameters', 'param', 'input'].includes(root.name)
        ? '; did you mean "params"?'
        : suggestion(root.name, ['params', 'steps', 'trigger']);
      return fail(
        'UNKNOWN_REFERENCE',
        `"${path}" starts with "${root.name}"${hint}; references start with params., steps. or trigger.`,
        root,
      );
    }
  }
}

// -------------------------------------------------------------------------------------------
// Commands
// -------------------------------------------------------------------------------------------
