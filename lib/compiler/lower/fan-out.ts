/**
 * A fan-out exec step: the targets Task, an inline Map or a Distributed Map of batches, and the
 * summary Task that applies the error budget; and how `concurrency` splits into both.
 */
import type { ExecStep } from '../../runbook/model.ts';
import { RETRYABLE_TASK_ERROR_NAMES, TASK_ERROR_NAMES } from '../../shared/errors.ts';
import type { AslState, JsonObject } from '../asl.ts';
import { memberPath, stepPath } from '../layout.ts';
import { placeholderToken } from '../placeholders.ts';
import { setField, templateValue } from '../values.ts';
import { type Context, type Exits, eventBase, type Fragment } from './context.ts';
import { pickValue, scriptAndEnv, TIMEOUT_BACKSTOP_MARGIN_SECONDS, targetSelector } from './exec-parts.ts';
import { failureRouting } from './failure.ts';
import { retriers, retryWaitSeconds, seconds } from './retry.ts';
import { finish, withComment } from './states.ts';

/** Inline Map iterations at once: Step Functions' limit. */
export const MAX_INLINE_MAP_CONCURRENCY = 40;

/** Distributed Map child executions at once we allow: the account's default Lambda concurrency. */
export const MAX_DISTRIBUTED_MAP_CONCURRENCY = 1000;

const S3_GET_OBJECT = 'arn:aws:states:::s3:getObject';
const S3_PUT_OBJECT = 'arn:aws:states:::s3:putObject';

/** How a fan-out's targets run: see {@link splitConcurrency}. */
export interface ConcurrencySplit {
  /** Targets per batch (one exec invocation); every target of a batch runs at once. */
  readonly batchSize: number;
  /** Inline Map iterations at once. */
  readonly mapConcurrency: number;
  /** Distributed Map child executions at once. */
  readonly distributedConcurrency: number;
}

/**
 * How a fan-out's `concurrency` (targets at once) splits into Map iterations × targets per
 * batch. A batch runs all its targets at once, so an invocation lasts about one command (Lambda
 * stops at 900 s), and never more than `concurrency` targets run in all:
 *
 * - inline Map iterations = min(40, ⌈concurrency / batchSize⌉);
 * - targets per batch = min(batchSize, ⌊concurrency / iterations⌋);
 * - Distributed Map children = min(1000, ⌊concurrency / targets per batch⌋).
 *
 * So an inline Map runs at most 40 × batchSize targets at once (1,000 by default).
 */
export function splitConcurrency(concurrency: number, batchSize: number): ConcurrencySplit {
  const mapConcurrency = Math.max(
    1,
    Math.min(MAX_INLINE_MAP_CONCURRENCY, Math.ceil(concurrency / batchSize)),
  );
  const perBatch = Math.max(1, Math.min(batchSize, Math.floor(concurrency / mapConcurrency)));
  const distributedConcurrency = Math.max(
    1,
    Math.min(MAX_DISTRIBUTED_MAP_CONCURRENCY, Math.floor(concurrency / perBatch)),
  );
  return { batchSize: perBatch, mapConcurrency, distributedConcurrency };
}

export function lowerFanOut(ctx: Context, step: ExecStep, next: string, exits: Exits): Fragment {
  const id = step.id;
  const path = stepPath(id);
  const failure = failureRouting(ctx, step, next, exits);
  const names = {
    route: `${id}.Route`,
    batches: `${id}.Batches`,
    batch: `${id}.Batch`,
    distributed: `${id}.Distributed`,
    distBatch: `${id}.DistBatch`,
    summary: `${id}.Summary`,
  };
  const { target } = step;
  const { script, env } = scriptAndEnv(step);
  const split = splitConcurrency(target.concurrency, target.batchSize);

  const targets = finish(
    withComment(step, {
      Type: 'Task',
      Resource: placeholderToken('TargetsFnArn'),
      Parameters: {
        ...eventBase(ctx, 'targets', step),
        target: targetSelector(target, pickValue(target.pick)),
        batchSize: split.batchSize,
        distributedThreshold: ctx.options.distributedMapThreshold,
        outputBucket: placeholderToken('OutputBucket'),
      },
      ResultPath: path,
    }),
    {
      retry: retriers(step.retry, RETRYABLE_TASK_ERROR_NAMES),
      catches: failure.catches(TASK_ERROR_NAMES),
      next: names.route,
    },
  );

  const route: AslState = {
    Type: 'Choice',
    Comment: 'Inline Map when the targets handler kept the batches in the state, else a Distributed Map.',
    Choices: [{ Variable: memberPath(path, 'batches'), IsPresent: true, Next: names.batches }],
    Default: names.distributed,
  };

  const itemSelector = (mapConcurrency: number): JsonObject => {
    const selector: JsonObject = {
      ...eventBase(ctx, 'batch', step),
      'cluster.$': memberPath(path, 'cluster'),
    };
    if (target.container)
      setField(selector, 'container', templateValue(target.container, { asString: true }));
    selector['taskIds.$'] = '$$.Map.Item.Value';
    selector.script = script;
    selector.env = env;
    selector.timeoutMs = step.timeout.ms;
    selector.concurrency = split.batchSize;
    selector.ratePerSecond =
      Math.floor((ctx.options.execRatePerSecond / mapConcurrency) * 1000) / 1000 || 0.001;
    if (step.retry && step.retry.attempts > 1) {
      const retry: JsonObject = {
        attempts: step.retry.attempts,
        intervalMs: step.retry.intervalMs,
        backoff: step.retry.backoff,
      };
      if (step.retry.maxIntervalMs !== undefined) retry.maxIntervalMs = step.retry.maxIntervalMs;
      selector.retry = retry;
    }
    selector.outputBucket = placeholderToken('OutputBucket');
    return selector;
  };
  const batchTask: AslState = {
    Type: 'Task',
    Resource: placeholderToken('ExecFnArn'),
    // Every try of a target may run to its timeout, with the retry waits between tries.
    TimeoutSeconds:
      (seconds(step.timeout.ms) + TIMEOUT_BACKSTOP_MARGIN_SECONDS) * Math.max(1, step.retry?.attempts ?? 1) +
      retryWaitSeconds(step.retry),
    End: true,
  };

  const batches = finish(
    {
      Type: 'Map',
      ItemsPath: memberPath(path, 'batches'),
      ItemSelector: itemSelector(split.mapConcurrency),
      MaxConcurrency: split.mapConcurrency,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: names.batch,
        States: { [names.batch]: batchTask },
      },
      ResultSelector: { 'results.$': '$' },
      ResultPath: path,
    },
    { catches: failure.catches(), next: names.summary },
  );

  const items = memberPath(path, 'items');
  const distributed = finish(
    {
      Type: 'Map',
      ItemReader: {
        Resource: S3_GET_OBJECT,
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': `${items}.bucket`, 'Key.$': `${items}.key` },
      },
      ItemSelector: itemSelector(split.distributedConcurrency),
      MaxConcurrency: split.distributedConcurrency,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: names.distBatch,
        States: { [names.distBatch]: { ...batchTask } },
      },
      ResultWriter: {
        Resource: S3_PUT_OBJECT,
        Parameters: { 'Bucket.$': `${items}.bucket`, 'Prefix.$': `${items}.resultPrefix` },
      },
      ResultSelector: { 'resultWriterDetails.$': '$.ResultWriterDetails' },
      ResultPath: path,
    },
    { catches: failure.catches(), next: names.summary },
  );

  const tolerated = target.toleratedFailures;
  const summary = finish(
    {
      Type: 'Task',
      Resource: placeholderToken('FanOutSummaryFnArn'),
      Parameters: {
        ...eventBase(ctx, 'summary', step),
        'fanOut.$': path,
        toleratedFailures:
          tolerated.kind === 'count' ? { count: tolerated.count } : { percent: tolerated.percent },
        maxListedFailures: ctx.options.maxListedFailures,
      },
      ResultPath: path,
    },
    { catches: failure.catches(TASK_ERROR_NAMES), next },
  );

  return {
    entry: id,
    states: [
      [id, targets],
      [names.route, route],
      [names.batches, batches],
      [names.distributed, distributed],
      [names.summary, summary],
      ...failure.states(),
    ],
  };
}
