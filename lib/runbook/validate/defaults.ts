/**
 * The runbook's `defaults` (cluster, container, timeout, retry) and the `retry` policy shape.
 */
import type { Defaults, Duration, Retry, Template } from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { describeNode } from './describe.ts';
import { readTemplate } from './references.ts';
import type { Scope } from './scope.ts';
import { MAX_TIMEOUT_MS, type Validation } from './shapes.ts';

export function readDefaults(ctx: Validation, node: YamlNode | undefined): Defaults {
  if (!node) return {};
  const map = ctx.expectMap(node, 'defaults', ' with cluster, container, timeout or retry');
  if (!map) return {};
  ctx.checkKeys(map, 'defaults', 'defaults');
  const out: { cluster?: Template; container?: Template; timeout?: Duration; retry?: Retry } = {};
  const scope: Scope = new Map();
  const cluster = ctx.entry(map, 'cluster');
  if (cluster) {
    const t = readTemplate(ctx, cluster, 'defaults.cluster', scope, { nonEmpty: true });
    if (t) out.cluster = t;
  }
  const container = ctx.entry(map, 'container');
  if (container) {
    const t = readTemplate(ctx, container, 'defaults.container', scope, { nonEmpty: true });
    if (t) out.container = t;
  }
  const timeout = ctx.entry(map, 'timeout');
  if (timeout) {
    const d = ctx.duration(timeout, 'defaults.timeout', { positive: true, maxMs: MAX_TIMEOUT_MS });
    if (d) out.timeout = d;
  }
  const retry = ctx.entry(map, 'retry');
  if (retry) {
    const r = readRetry(ctx, retry, 'defaults.retry');
    if (r) out.retry = r;
  }
  return out;
}

export function readRetry(ctx: Validation, node: YamlNode, what: string): Retry | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'number') {
    const attempts = ctx.integer(node, `${what} (attempts)`, 1, 100);
    return attempts === undefined ? undefined : { attempts, intervalMs: 1000, backoff: 2, range: node.range };
  }
  const map = ctx.expectMap(node, what, ' such as { attempts: 3, interval: 2s } or a number of attempts');
  if (!map) return undefined;
  ctx.checkKeys(map, 'retry', what);
  const attemptsNode = ctx.entry(map, 'attempts');
  const attempts = attemptsNode ? ctx.integer(attemptsNode, `${what}.attempts`, 1, 100) : undefined;
  const intervalNode = ctx.entry(map, 'interval');
  const interval = intervalNode
    ? ctx.duration(intervalNode, `${what}.interval`, { wholeSeconds: true, positive: true })
    : { ms: 1000, range: map.range };
  let backoff: number | undefined = 2;
  const backoffNode = ctx.entry(map, 'backoff');
  if (backoffNode) {
    if (
      backoffNode.kind !== 'scalar' ||
      typeof backoffNode.value !== 'number' ||
      !Number.isFinite(backoffNode.value)
    ) {
      ctx.report(
        'WRONG_TYPE',
        backoffNode.range,
        `${what}.backoff must be a number; received ${describeNode(backoffNode)}`,
      );
      backoff = undefined;
    } else if (backoffNode.value < 1 || backoffNode.value > 100) {
      ctx.report(
        'VALUE_OUT_OF_RANGE',
        backoffNode.range,
        `${what}.backoff is ${backoffNode.value}; accepted: 1 to 100`,
      );
      backoff = undefined;
    } else backoff = backoffNode.value;
  }
  const maxNode = ctx.entry(map, 'maxInterval');
  const maxInterval = maxNode
    ? ctx.duration(maxNode, `${what}.maxInterval`, { wholeSeconds: true, positive: true })
    : undefined;
  if (maxInterval && interval && maxInterval.ms < interval.ms) {
    ctx.report(
      'VALUE_OUT_OF_RANGE',
      maxInterval.range,
      `${what}.maxInterval (${maxInterval.ms / 1000}s) is shorter than the interval (${interval.ms / 1000}s)`,
    );
    return undefined;
  }
  if (attempts === undefined || !interval || backoff === undefined || (maxNode && !maxInterval))
    return undefined;
  return {
    attempts,
    intervalMs: interval.ms,
    backoff,
    ...(maxInterval ? { maxIntervalMs: maxInterval.ms } : {}),
    range: map.range,
  };
}

// -------------------------------------------------------------------------------------------
// Steps
// -------------------------------------------------------------------------------------------
