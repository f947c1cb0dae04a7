/**
 * The runbook step kind: the called runbook and its arguments, checked against its signature
 * when a resolver knows it.
 */
import type { Duration, Retry, RunbookArgument, RunbookStep, StepCommon } from '../../model.ts';
import type { YamlNode } from '../../parse.ts';
import { list, suggestion } from '../describe.ts';
import { parameterValue } from '../parameters.ts';
import { readArgument } from '../references.ts';
import type { OutputInfo, Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';
import type { RunbookSignature, ValidateOptions } from '../validate-runbook.ts';

/** What a `runbook` step needs to know about the runbook it calls. */

function readRunbookCall(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
  timeout: Duration | undefined,
  retry: Retry | undefined,
): { step?: Omit<RunbookStep, keyof StepCommon>; outputs?: RunbookSignature['outputs'] } {
  const what = `${where}: runbook`;
  let nameNode: YamlNode | undefined;
  let parametersNode: YamlNode | undefined;
  if (node.kind === 'scalar') nameNode = node;
  else {
    const map = ctx.expectMap(node, what, ' such as { name: other-runbook, parameters: {…} }');
    if (!map) return {};
    ctx.checkKeys(map, 'runbookCall', what);
    nameNode = ctx.entry(map, 'name');
    parametersNode = ctx.entry(map, 'parameters');
  }
  const name = nameNode ? ctx.kebabName(nameNode, `${what} name`) : undefined;
  if (name !== undefined && name === ctx.runbookName && nameNode) {
    ctx.report(
      'RECURSIVE_RUNBOOK',
      nameNode.range,
      `${where} runs "${name}", the runbook it belongs to; a runbook cannot call itself`,
    );
    return {};
  }
  const signature =
    name !== undefined && ctx.resolveRunbook ? safeResolve(ctx.resolveRunbook, name) : undefined;
  if (name !== undefined && ctx.resolveRunbook && !signature && nameNode) {
    ctx.report('UNKNOWN_RUNBOOK', nameNode.range, `${where} runs "${name}", which is not a known runbook`);
    return {};
  }
  const parameters: RunbookArgument[] = [];
  let ok = name !== undefined;
  const parametersMap = parametersNode ? ctx.expectMap(parametersNode, `${what}.parameters`) : undefined;
  if (parametersNode && !parametersMap) ok = false;
  for (const entry of parametersMap?.entries ?? []) {
    const declared = signature?.parameters.find((p) => p.name === entry.key);
    if (signature && !declared) {
      ctx.report(
        'UNKNOWN_PARAMETER',
        entry.keyRange,
        `runbook "${name}" has no parameter "${entry.key}"${suggestion(
          entry.key,
          signature.parameters.map((p) => p.name),
        )}; declared: ${list(signature.parameters.map((p) => p.name))}`,
      );
      ok = false;
      continue;
    }
    const value = readArgument(ctx, entry.value, `${what}.parameters.${entry.key}`, scope);
    if (!value) {
      ok = false;
      continue;
    }
    if (declared && value.kind === 'literal') {
      if (
        parameterValue(
          ctx,
          declared,
          entry.value,
          `${what}.parameters.${entry.key}`,
          'VALUE_OUT_OF_RANGE',
        ) === undefined
      )
        ok = false;
    }
    parameters.push({ name: entry.key, value, range: entry.value.range });
  }
  for (const p of signature?.parameters ?? []) {
    if (p.required && !parametersMap?.entries.some((e) => e.key === p.name) && nameNode) {
      ctx.report(
        'MISSING_PARAMETER',
        nameNode.range,
        `${where} does not set "${p.name}", a required parameter of runbook "${name}"`,
      );
      ok = false;
    }
  }
  if (!ok || name === undefined || !nameNode) return { ...(signature ? { outputs: signature.outputs } : {}) };
  return {
    step: {
      kind: 'runbook',
      runbook: name,
      runbookRange: nameNode.range,
      parameters,
      ...(timeout ? { timeout } : {}),
      ...(retry ? { retry } : {}),
    },
    ...(signature ? { outputs: signature.outputs } : {}),
  };
}

function safeResolve(
  resolve: NonNullable<ValidateOptions['resolveRunbook']>,
  name: string,
): RunbookSignature | undefined {
  try {
    return resolve(name);
  } catch {
    return undefined;
  }
}

/** A runbook step: runs another runbook and waits for it. */
export const validateRunbookCall: StepKindValidator = {
  keys: ['timeout', 'retry', 'onFailure'],
  validate: (input: StepKindInput): StepKindResult => {
    const outputs = new Map<string, OutputInfo>();
    const call = readRunbookCall(input.ctx, input.node, input.scope, input.where, input.timeout, input.retry);
    if (call.outputs) for (const o of call.outputs) outputs.set(o.name, { type: o.type, hasDefault: false });
    return { body: call.step, outputs, openOutputs: !call.outputs };
  },
};
