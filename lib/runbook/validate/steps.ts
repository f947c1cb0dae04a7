/**
 * The step walk: document order and duplicate ids, step lists, and one step's common fields
 * (id, name, when, timeout, retry, onFailure). The kind's own fields are read by its file in
 * kinds/, found through {@link STEP_KIND_VALIDATORS}.
 */
import {
  type Defaults,
  type OnFailure,
  type SourceRange,
  STEP_KINDS,
  type Step,
  type StepCommon,
  type StepKind,
} from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { readRetry } from './defaults.ts';
import { describeNode, list } from './describe.ts';
import { validateApproval } from './kinds/approval.ts';
import { validateExec } from './kinds/exec.ts';
import { validateFail } from './kinds/fail.ts';
import { validateNotify } from './kinds/notify.ts';
import { validateParallel } from './kinds/parallel.ts';
import { validateRunbookCall } from './kinds/runbook.ts';
import { validateSucceed } from './kinds/succeed.ts';
import { validateWait } from './kinds/wait.ts';
import { readCondition } from './references.ts';
import type { OutputInfo, Scope, StepInfo, StepResult } from './scope.ts';
import { MAX_TIMEOUT_MS, type Validation } from './shapes.ts';
import { KIND_SPECIFIC_KEYS, type StepBody, type StepKindValidator } from './step-kind.ts';

/**
 * Every step kind's validator, one file each in kinds/. A new kind in the model's STEP_KINDS
 * needs an entry here (the type says so) and a file beside the others.
 */
export const STEP_KIND_VALIDATORS: { readonly [K in StepKind]: StepKindValidator } = {
  exec: validateExec,
  approval: validateApproval,
  notify: validateNotify,
  wait: validateWait,
  parallel: validateParallel,
  runbook: validateRunbookCall,
  fail: validateFail,
  succeed: validateSucceed,
};

/** For each key that only some kinds take, those kinds, in the model's order. */
const KINDS_TAKING: Readonly<Record<string, readonly StepKind[]>> = Object.fromEntries(
  KIND_SPECIFIC_KEYS.map((key) => [
    key,
    STEP_KINDS.filter((k) => STEP_KIND_VALIDATORS[k].keys.includes(key)),
  ]),
);

/** Numbers every step in document order and reports duplicate ids. */
export function numberSteps(ctx: Validation, node: YamlNode | undefined): void {
  let counter = 0;
  const seen = new Map<string, SourceRange>();
  const visitList = (list: YamlNode | undefined): void => {
    if (list?.kind !== 'seq') return;
    for (const item of list.items) visitStep(item);
  };
  const visitStep = (step: YamlNode): void => {
    if (step.kind !== 'map') return;
    ctx.orderOf.set(step, counter++);
    const idNode = ctx.entry(step, 'id');
    if (idNode?.kind === 'scalar' && typeof idNode.value === 'string') {
      const first = seen.get(idNode.value);
      if (first) {
        ctx.report(
          'DUPLICATE_STEP_ID',
          idNode.range,
          `the step id "${idNode.value}" is already used at line ${first.start.line}; ids are unique across the whole runbook, nested steps included`,
        );
      } else {
        seen.set(idNode.value, idNode.range);
        ctx.stepOrder.set(idNode.value, ctx.orderOf.get(step) as number);
      }
    }
    const parallel = ctx.entry(step, 'parallel');
    if (parallel?.kind === 'map') {
      const branches = ctx.entry(parallel, 'branches');
      if (branches?.kind === 'seq') {
        for (const branch of branches.items) if (branch.kind === 'map') visitList(ctx.entry(branch, 'steps'));
      }
    }
    visitList(ctx.entry(step, 'onFailure'));
  };
  visitList(node);
}

export function stepList(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  defaults: Defaults,
  what: string,
): { steps: Step[]; added: StepInfo[]; alwaysFails: boolean } {
  if (node.kind !== 'seq') {
    ctx.report('WRONG_TYPE', node.range, `${what} must be a list of steps; received ${describeNode(node)}`);
    return { steps: [], added: [], alwaysFails: false };
  }
  if (node.items.length === 0) {
    ctx.report('EMPTY_STEPS', node.range, `${what} is empty; it needs at least one step`);
    return { steps: [], added: [], alwaysFails: false };
  }
  const steps: Step[] = [];
  const added: StepInfo[] = [];
  const current = new Map(scope);
  let terminatedBy: string | undefined;
  let reportedUnreachable = false;
  let alwaysFails = false;
  for (const item of node.items) {
    if (terminatedBy !== undefined && !reportedUnreachable) {
      reportedUnreachable = true;
      const idNode = item.kind === 'map' ? ctx.entry(item, 'id') : undefined;
      ctx.report(
        'UNREACHABLE_STEP',
        idNode?.range ?? ctx.headRange(item),
        `this step never runs: it follows ${terminatedBy}, which always ends the ${what === 'steps' ? 'run' : 'list'}; remove it or give that step a "when"`,
      );
    }
    const result = step(ctx, item, current, defaults);
    if (result.step) steps.push(result.step);
    for (const info of result.added) {
      current.set(info.id, info);
      added.push(info);
    }
    if (result.terminal && terminatedBy === undefined) {
      terminatedBy = result.step
        ? `the unconditional ${result.step.kind} step "${result.step.id}"`
        : 'an unconditional step';
      if (result.step?.kind === 'fail') alwaysFails = true;
    }
    if (result.alwaysFails) alwaysFails = true;
  }
  return { steps, added, alwaysFails };
}

export function step(ctx: Validation, node: YamlNode, scope: Scope, defaults: Defaults): StepResult {
  const none: StepResult = { added: [], terminal: false, alwaysFails: false };
  const map = ctx.expectMap(node, 'a step', ' such as { id: check, exec: { … } }');
  if (!map) return none;
  const order = ctx.orderOf.get(map) ?? Number.POSITIVE_INFINITY;
  ctx.currentOrder = order;
  ctx.checkKeys(map, 'step', 'a step');

  const idNode = ctx.entry(map, 'id');
  const id = idNode ? ctx.identifier(idNode, 'the step id') : undefined;
  const where = id !== undefined ? `step "${id}"` : 'this step';

  const kinds = map.entries.filter((e) => (STEP_KINDS as readonly string[]).includes(e.key));
  let kind: StepKind | undefined;
  if (kinds.length === 0) {
    ctx.report(
      'NO_STEP_KIND',
      idNode?.range ?? ctx.headRange(map),
      `${where} has no kind; give it exactly one of: ${list(STEP_KINDS)}`,
    );
  } else if (kinds.length > 1) {
    const second = kinds[1];
    ctx.report(
      'MULTIPLE_STEP_KINDS',
      second?.keyRange ?? map.range,
      `${where} has several kinds (${kinds.map((k) => k.key).join(', ')}); a step has exactly one, so split it into several steps`,
    );
  } else kind = kinds[0]?.key as StepKind;
  const kindEntry = kinds[0];
  const kindRange = kindEntry?.keyRange ?? map.range;

  const nameNode = ctx.entry(map, 'name');
  const name = nameNode ? ctx.string(nameNode, `${where}: name`) : undefined;

  const whenNode = ctx.entry(map, 'when');
  const when = whenNode ? readCondition(ctx, whenNode, scope, where) : undefined;
  const whenOk = !whenNode || when !== undefined;

  const applicable = KINDS_TAKING;
  let applicableOk = true;
  if (kind) {
    for (const [key, kindsTaking] of Object.entries(applicable)) {
      if (ctx.entry(map, key) && !kindsTaking.includes(kind)) {
        const hint = kind === 'approval' && key === 'timeout' ? '; use approval.timeout' : '';
        ctx.report(
          'KEY_NOT_APPLICABLE',
          ctx.keyRange(map, key),
          `"${key}" does not apply to ${kind} steps; it applies to ${list(kindsTaking)}${hint}`,
        );
        applicableOk = false;
      }
    }
  }

  const timeoutNode = ctx.entry(map, 'timeout');
  const timeout = timeoutNode
    ? ctx.duration(timeoutNode, `${where}: timeout`, { positive: true, maxMs: MAX_TIMEOUT_MS })
    : undefined;
  const retryNode = ctx.entry(map, 'retry');
  const retry = retryNode ? readRetry(ctx, retryNode, `${where}: retry`) : undefined;
  let fieldsOk =
    whenOk && applicableOk && (!timeoutNode || timeout !== undefined) && (!retryNode || retry !== undefined);

  // The step's body, typed against the scope before the step.
  let body: StepBody | undefined;
  let inner: StepInfo[] = [];
  let outputs = new Map<string, OutputInfo>();
  let openOutputs = kind === undefined;
  let singleExec = false;
  let fanOut = false;
  const kindNode = kindEntry?.value;
  if (kind && kindNode) {
    const result = STEP_KIND_VALIDATORS[kind].validate({
      ctx,
      node: kindNode,
      stepMap: map,
      scope,
      defaults,
      where,
      timeout,
      retry,
      kindRange,
      stepList: (node, scope, defaults, what) => stepList(ctx, node, scope, defaults, what),
    });
    body = result.body;
    inner = [...(result.inner ?? [])];
    outputs = result.outputs ?? outputs;
    if (result.openOutputs) openOutputs = true;
    singleExec = result.singleExec ?? false;
    fanOut = result.fanOut ?? false;
  }
  if (kind && !body) fieldsOk = false;

  // onFailure sees the step itself (failed: no outputs) and anything nested in it.
  const onFailureNode = ctx.entry(map, 'onFailure');
  let onFailure: OnFailure | undefined = { kind: 'fail' };
  let handlerAlwaysFails = false;
  const selfForHandler: StepInfo | undefined =
    id !== undefined ? { id, kind, singleExec, fanOut, outputs, openOutputs, guaranteed: false } : undefined;
  let handlerAdded: StepInfo[] = [];
  if (onFailureNode && (!kind || applicable.onFailure?.includes(kind))) {
    if (
      onFailureNode.kind === 'scalar' &&
      (onFailureNode.value === 'fail' || onFailureNode.value === 'continue')
    ) {
      onFailure = { kind: onFailureNode.value, range: onFailureNode.range };
    } else if (onFailureNode.kind === 'seq') {
      const handlerScope = new Map(scope);
      for (const info of inner) handlerScope.set(info.id, { ...info, guaranteed: false });
      if (selfForHandler) handlerScope.set(selfForHandler.id, selfForHandler);
      const handler = stepList(ctx, onFailureNode, handlerScope, defaults, `${where}: onFailure`);
      ctx.currentOrder = order;
      handlerAlwaysFails = handler.alwaysFails;
      handlerAdded = handler.added.map((info) => ({ ...info, guaranteed: false }));
      onFailure =
        handler.steps.length > 0
          ? { kind: 'steps', steps: handler.steps, range: onFailureNode.range }
          : undefined;
    } else {
      ctx.report(
        'INVALID_VALUE',
        onFailureNode.range,
        `${where}: onFailure is ${describeNode(onFailureNode)}; accepted: fail, continue, or a list of steps`,
      );
      onFailure = undefined;
    }
  }
  if (!onFailure) fieldsOk = false;

  const failSafe = onFailure?.kind === 'fail' || (onFailure?.kind === 'steps' && handlerAlwaysFails);
  const guaranteed = !whenNode && failSafe;
  const added: StepInfo[] = [];
  // A duplicate id stays bound to its first step, so references keep meaning that one.
  if (id !== undefined && ctx.stepOrder.get(id) === order) {
    added.push({ id, kind, singleExec, fanOut, outputs, openOutputs, guaranteed });
  }
  for (const info of inner) added.push({ ...info, guaranteed: info.guaranteed && guaranteed });
  added.push(...handlerAdded);

  const terminal = (kind === 'fail' || kind === 'succeed') && !whenNode;
  const alwaysFails = kind === 'fail' && !whenNode;
  if (!fieldsOk || id === undefined || !kind || !body || !onFailure || !idNode) {
    return { added, terminal, alwaysFails };
  }
  const common: StepCommon = {
    id,
    idRange: idNode.range,
    ...(name !== undefined ? { name } : {}),
    ...(when ? { when } : {}),
    onFailure,
    range: map.range,
    kindRange,
  };
  return { step: { ...common, ...body } as Step, added, terminal, alwaysFails };
}
