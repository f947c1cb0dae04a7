/**
 * The exec step kind: target (selection, pick, fan-out options), command and captures.
 */
import { DEFAULT_COMMAND_TIMEOUT_MS, isFanOut } from '../../../shared/defaults.ts';
import { TYPES } from '../../expressions.ts';
import {
  type Capture,
  type Defaults,
  type Duration,
  type ExecStep,
  type ExecTarget,
  FAN_OUT_DEFAULTS,
  FAN_OUT_OUTPUTS,
  type Pick,
  type Retry,
  type SourceRange,
  type StepCommon,
  TARGET_SELECTORS,
  type TargetSelectorKey,
  type ToleratedFailures,
} from '../../model.ts';
import type { YamlMap, YamlNode } from '../../parse.ts';
import { readCaptures } from '../captures.ts';
import { readCommand } from '../commands.ts';
import { describeNode, list } from '../describe.ts';
import { readTemplate } from '../references.ts';
import type { OutputInfo, Scope } from '../scope.ts';
import type { Validation } from '../shapes.ts';
import type { StepKindInput, StepKindResult, StepKindValidator } from '../step-kind.ts';

function readExec(
  ctx: Validation,
  node: YamlNode,
  stepMap: YamlMap,
  scope: Scope,
  defaults: Defaults,
  where: string,
  timeout: Duration | undefined,
  retry: Retry | undefined,
  kindRange: SourceRange,
): {
  step?: Omit<ExecStep, keyof StepCommon>;
  singleExec: boolean;
  fanOut: boolean;
  outputs: Map<string, OutputInfo>;
} {
  const outputs = new Map<string, OutputInfo>();
  const map = ctx.expectMap(node, `${where}: exec`, ' with target and command');
  if (!map) return { singleExec: false, fanOut: false, outputs };
  ctx.checkKeys(map, 'exec', `${where}: exec`);
  const targetNode = ctx.entry(map, 'target');
  const target = targetNode ? readTarget(ctx, targetNode, scope, defaults, where) : undefined;
  const commandNode = ctx.entry(map, 'command');
  const command = commandNode ? readCommand(ctx, commandNode, scope, where) : undefined;
  const fanOut = target?.fanOut ?? false;
  const singleExec = target !== undefined && !fanOut;
  if (fanOut) for (const o of FAN_OUT_OUTPUTS) outputs.set(o, { type: TYPES.integer, hasDefault: true });

  let captures: Capture[] | undefined = [];
  const captureNode = ctx.entry(stepMap, 'capture');
  if (captureNode) {
    if (fanOut) {
      ctx.report(
        'CAPTURE_ON_FANOUT',
        ctx.keyRange(stepMap, 'capture'),
        `${where} fans out over several tasks, and capture reads one target's output; select one task (pick: one) or drop capture`,
      );
      captures = undefined;
    } else {
      captures = readCaptures(ctx, captureNode, where);
      for (const c of captures ?? []) {
        outputs.set(c.name, {
          type: { base: c.type, nullable: false },
          hasDefault: c.default !== undefined,
        });
      }
    }
  }
  if (!target || !command || !captures) return { singleExec, fanOut, outputs };
  const effectiveTimeout = timeout ??
    defaults.timeout ?? {
      ms: DEFAULT_COMMAND_TIMEOUT_MS,
      range: kindRange,
    };
  const effectiveRetry = retry ?? defaults.retry;
  return {
    step: {
      kind: 'exec',
      target,
      command,
      timeout: effectiveTimeout,
      ...(effectiveRetry ? { retry: effectiveRetry } : {}),
      captures,
    },
    singleExec,
    fanOut,
    outputs,
  };
}

export function readTarget(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  defaults: Defaults,
  where: string,
): ExecTarget | undefined {
  const what = `${where}: target`;
  const map = ctx.expectMap(node, what, ' such as { service: api, pick: all }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'target', what);
  const selectors = map.entries.filter((e) => (TARGET_SELECTORS as readonly string[]).includes(e.key));
  let ok = true;
  if (selectors.length === 0) {
    ctx.report(
      'TARGET_INCOMPLETE',
      ctx.headRange(map),
      `${what} selects no tasks; give exactly one of: ${list(TARGET_SELECTORS)}`,
    );
    ok = false;
  } else if (selectors.length > 1) {
    ctx.report(
      'TARGET_AMBIGUOUS',
      (selectors[1] as { keyRange: SourceRange }).keyRange,
      `${what} has several selections (${selectors.map((s) => s.key).join(', ')}); give exactly one`,
    );
    ok = false;
  }
  const selectorEntry = selectors[0];
  const selector = selectorEntry?.key as TargetSelectorKey | undefined;
  const value = selectorEntry
    ? readTemplate(ctx, selectorEntry.value, `${what}.${selectorEntry.key}`, scope, { nonEmpty: true })
    : undefined;

  let pick: Pick | undefined = { kind: 'one' };
  const pickNode = ctx.entry(map, 'pick');
  if (pickNode) {
    const v = pickNode.kind === 'scalar' ? pickNode.value : undefined;
    if (v === 'one' || v === 'all' || v === 'random') pick = { kind: v };
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) pick = { kind: 'count', count: v };
    else {
      ctx.report(
        'INVALID_VALUE',
        pickNode.range,
        `${what}.pick is ${describeNode(pickNode)}; accepted: one, all, random, or a whole number of tasks from 1`,
      );
      pick = undefined;
    }
    if (pick && selector === 'task' && pick.kind !== 'one') {
      ctx.report(
        'INVALID_VALUE',
        pickNode.range,
        `${what} names one task, so pick can only be "one"; received ${describeNode(pickNode)}`,
      );
      pick = undefined;
    }
  }
  const fanOut = isFanOut(
    selector === 'task',
    pick === undefined ? undefined : pick.kind === 'count' ? pick.count : pick.kind,
  );

  const clusterNode = ctx.entry(map, 'cluster');
  const cluster = clusterNode
    ? readTemplate(ctx, clusterNode, `${what}.cluster`, scope, { nonEmpty: true })
    : defaults.cluster;
  const containerNode = ctx.entry(map, 'container');
  const container = containerNode
    ? readTemplate(ctx, containerNode, `${what}.container`, scope, { nonEmpty: true })
    : defaults.container;
  if ((clusterNode && !cluster) || (containerNode && !container)) ok = false;

  const fanOutOption = (key: string): YamlNode | undefined => {
    const n = ctx.entry(map, key);
    if (n && !fanOut && pick) {
      ctx.report(
        'FAN_OUT_OPTION_IGNORED',
        ctx.keyRange(map, key),
        `${what} selects a single task, so "${key}" has no effect; it applies to fan-out steps (pick: all or a number above 1)`,
      );
    }
    return n;
  };
  const concurrencyNode = fanOutOption('concurrency');
  const concurrency = concurrencyNode
    ? ctx.integer(concurrencyNode, `${what}.concurrency`, 1, 1000)
    : FAN_OUT_DEFAULTS.concurrency;
  const batchNode = fanOutOption('batchSize');
  const batchSize = batchNode
    ? ctx.integer(batchNode, `${what}.batchSize`, 1, 100)
    : FAN_OUT_DEFAULTS.batchSize;
  const toleranceNode = fanOutOption('toleratedFailures');
  const toleratedFailures = toleranceNode
    ? readTolerance(ctx, toleranceNode, `${what}.toleratedFailures`)
    : { kind: 'count' as const, count: 0 };

  if (
    !ok ||
    !selector ||
    !value ||
    !pick ||
    concurrency === undefined ||
    batchSize === undefined ||
    !toleratedFailures
  ) {
    return undefined;
  }
  return {
    selector,
    value,
    pick,
    ...(cluster ? { cluster } : {}),
    ...(container ? { container } : {}),
    fanOut,
    concurrency,
    toleratedFailures,
    batchSize,
    range: map.range,
  };
}

export function readTolerance(ctx: Validation, node: YamlNode, what: string): ToleratedFailures | undefined {
  const v = node.kind === 'scalar' ? node.value : undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { kind: 'count', count: v };
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    const percent = m ? Number(m[1]) : Number.NaN;
    if (percent >= 0 && percent <= 100) return { kind: 'percent', percent };
  }
  ctx.report(
    'INVALID_TOLERANCE',
    node.range,
    `${what} is ${describeNode(node)}; accepted: a whole number of failed targets from 0, or a percentage from 0% to 100% such as 10%`,
  );
  return undefined;
}

/** An exec step: a command in one task, or a fan-out over several. */
export const validateExec: StepKindValidator = {
  keys: ['timeout', 'retry', 'onFailure', 'capture'],
  validate: (input: StepKindInput): StepKindResult => {
    const exec = readExec(
      input.ctx,
      input.node,
      input.stepMap,
      input.scope,
      input.defaults,
      input.where,
      input.timeout,
      input.retry,
      input.kindRange,
    );
    return {
      body: exec.step,
      singleExec: exec.singleExec,
      fanOut: exec.fanOut,
      outputs: exec.outputs,
      openOutputs: !exec.step,
    };
  },
};
