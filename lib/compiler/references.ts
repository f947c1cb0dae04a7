/**
 * Every reference a runbook makes, wherever it sits: conditions, templates, commands,
 * arguments and outputs.
 */
import type { ArgumentValue, Expr, Reference, Runbook, Step, Template } from '../runbook/model.ts';
import { allSteps } from '../runbook/walk.ts';

function* inExpr(expr: Expr): Generator<Reference> {
  switch (expr.kind) {
    case 'reference':
      yield expr.reference;
      return;
    case 'not':
      yield* inExpr(expr.operand);
      return;
    case 'binary':
      yield* inExpr(expr.left);
      yield* inExpr(expr.right);
      return;
    case 'literal':
      return;
  }
}

function* inTemplate(template: Template | undefined): Generator<Reference> {
  if (!template) return;
  for (const part of template.parts) if (part.kind === 'reference') yield part.reference;
}

function* inArgument(value: ArgumentValue): Generator<Reference> {
  if (value.kind === 'template') yield* inTemplate(value.template);
}

/** The references of one step's own fields (not of the steps nested in it). */
export function* stepReferences(step: Step): Generator<Reference> {
  if (step.when) yield* inExpr(step.when.expr);
  switch (step.kind) {
    case 'exec':
      yield* inTemplate(step.target.cluster);
      yield* inTemplate(step.target.value);
      yield* inTemplate(step.target.container);
      for (const expression of step.command.expressions) yield expression.reference;
      return;
    case 'approval':
      yield* inTemplate(step.message);
      return;
    case 'notify':
      yield* inTemplate(step.topic);
      yield* inTemplate(step.message);
      yield* inTemplate(step.subject);
      return;
    case 'wait':
      if (step.wait.kind === 'until') yield* inTemplate(step.wait.until);
      return;
    case 'runbook':
      for (const argument of step.parameters) yield* inArgument(argument.value);
      return;
    case 'fail':
      yield* inTemplate(step.cause);
      return;
    case 'succeed':
      yield* inTemplate(step.message);
      return;
    case 'parallel':
      return;
  }
}

/** Every reference in the runbook. */
export function* runbookReferences(runbook: Runbook): Generator<Reference> {
  for (const step of allSteps(runbook.steps)) yield* stepReferences(step);
  for (const output of runbook.outputs) yield* inArgument(output.value);
}

/** For each step id, the names of its outputs some expression reads. */
export function referencedOutputs(runbook: Runbook): Map<string, Set<string>> {
  const byStep = new Map<string, Set<string>>();
  for (const reference of runbookReferences(runbook)) {
    if (reference.kind !== 'stepOutput') continue;
    let names = byStep.get(reference.stepId);
    if (!names) {
      names = new Set();
      byStep.set(reference.stepId, names);
    }
    names.add(reference.output);
  }
  return byStep;
}
