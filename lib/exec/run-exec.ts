/**
 * `runExec`: the one call the CLI, the handlers and the runner make to run a command in ECS
 * containers — resolve the targets, then run them through the fan-out.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyProvider } from '../session/kms.ts';
import type { TerminalSize } from '../session/session.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import type { InvocationDeadline } from '../shared/errors.ts';
import { type BuildCommandInput, buildCommand } from './command.ts';
import { ExecUsageError } from './errors.ts';
import { dataKeyProvider, type ExecuteOptions, executeOnTarget, validateExecuteOptions } from './execute.ts';
import {
  ContainerLocks,
  type FanOutSummary,
  fanOut,
  parseTolerate,
  type Tolerate,
  validateTolerate,
} from './fan-out.ts';
import type { ExecResult } from './result.ts';
import { type BackoffOptions, type RandomSource, TokenBucket } from './retry.ts';
import { type ResolvedTarget, resolveTargets, type TargetSelector, validateSelector } from './targets.ts';

/** What to run, where, and how. */
export interface ExecRequest {
  /** Where: a selector to resolve, or targets resolved before (a fan-out batch). */
  readonly target: TargetSelector | { readonly targets: readonly ResolvedTarget[] };
  /** What: one script (`{ script }`) or an argv (`{ argv }`), plus `env` values exported first. */
  readonly command: BuildCommandInput;
  /** Per target. @default 600_000 (10 min) */
  readonly timeoutMs?: number;
  /** @default 60_000 */
  readonly targetNotConnectedDeadlineMs?: number;
  /** ThrottlingException/ServerException retries per call. @default 5 */
  readonly maxRetries?: number;
  /** @default { baseMs: 200, capMs: 5_000 } */
  readonly retryBackoff?: BackoffOptions;
  /** @default { baseMs: 250, capMs: 4_000 } */
  readonly pollBackoff?: BackoffOptions;
  /** Bytes of text kept in each record's tail. @default 32_768 */
  readonly tailBytes?: number;
  /** A directory for each target's whole output (`file://` URIs in the records). @default - none */
  readonly sinkDir?: string;
  /** Targets running at once. @default 10 */
  readonly concurrency?: number;
  /**
   * Failures tolerated before the run counts as failed: `{ count }`, `{ percent }`, or as a user
   * writes it (`2`, `'10%'`).
   *
   * @default { count: 0 }
   */
  readonly tolerate?: Tolerate | string | number;
  /** ExecuteCommand calls per second for the whole run, and the burst. @default { perSecond: 20, burst: 20 } */
  readonly rate?: { readonly perSecond?: number; readonly burst?: number };
  /** @default 15_000 */
  readonly connectTimeoutMs?: number;
  /** @default - just above `timeoutMs`, at most 20 min */
  readonly idleTimeoutMs?: number;
  readonly terminalSize?: TerminalSize;
  /** Receives each line of each target's output as it arrives, with its target for prefixing. */
  readonly onLine?: (target: ResolvedTarget, line: string, newline: boolean) => void;
  /** Receives each target's record as soon as it is final, for progress output. */
  readonly onResult?: (result: ExecResult, target: ResolvedTarget) => void;
  /**
   * Cancels the run: running targets are interrupted, the others never start (`cancelled`). An
   * {@link InvocationDeadline} reason makes the interrupted ones `timed_out` (ExecTimeout).
   */
  readonly signal?: AbortSignal;
  /** See {@link ExecuteOptions.interruptDrainMs}. @default 0 */
  readonly interruptDrainMs?: number;
}

/** Clients and shared state of a run. */
export interface ExecDeps {
  readonly ecs: ECSClient;
  /** @default - a KMS client made on first use (only KMS-encrypted clusters need one) */
  readonly kms?: DataKeyProvider | KMSClient;
  /** Share one between concurrent runs to keep them off each other's containers. @default - a new one */
  readonly locks?: ContainerLocks;
  /** Share one between concurrent runs to share the ExecuteCommand rate. @default - from `rate` */
  readonly bucket?: TokenBucket;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: RandomSource;
}

/** Every target's record, in target order, and the run's summary. */
export interface ExecRunResult {
  readonly targets: readonly ResolvedTarget[];
  readonly results: ExecResult[];
  readonly summary: FanOutSummary;
}

const DEFAULT_RATE = { perSecond: 20, burst: 20 } as const;

const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'target',
  'command',
  'timeoutMs',
  'targetNotConnectedDeadlineMs',
  'maxRetries',
  'retryBackoff',
  'pollBackoff',
  'tailBytes',
  'sinkDir',
  'concurrency',
  'tolerate',
  'rate',
  'connectTimeoutMs',
  'idleTimeoutMs',
  'terminalSize',
  'onLine',
  'onResult',
  'signal',
  'interruptDrainMs',
]);

/**
 * Checks a request before any remote call; throws {@link ExecUsageError} naming what was wrong,
 * the value received and what is accepted. Returns the tolerance, parsed.
 */
export function validateExecRequest(request: ExecRequest): Tolerate {
  for (const key of Object.keys(request)) {
    if (!REQUEST_KEYS.has(key)) {
      throw new ExecUsageError(`runExec: unknown option "${key}"; accepted: ${[...REQUEST_KEYS].join(', ')}`);
    }
  }
  if (request.target === undefined || request.target === null) {
    throw new ExecUsageError(
      'runExec: `target` is required: a selector ({ service: … }) or { targets: [...] }',
    );
  }
  if ('targets' in request.target) {
    if (!Array.isArray(request.target.targets)) {
      throw new ExecUsageError('runExec: `target.targets` must be an array of resolved targets');
    }
  } else {
    validateSelector(request.target);
  }
  buildCommand(request.command);
  validateExecuteOptions(request);
  const concurrency = request.concurrency;
  if (concurrency !== undefined && !(Number.isSafeInteger(concurrency) && concurrency >= 1)) {
    throw new ExecUsageError(`Concurrency must be an integer ≥ 1; received ${JSON.stringify(concurrency)}`);
  }
  const rate = { ...DEFAULT_RATE, ...request.rate };
  if (
    !(Number.isFinite(rate.perSecond) && rate.perSecond > 0) ||
    !(Number.isSafeInteger(rate.burst) && rate.burst >= 1)
  ) {
    throw new ExecUsageError(
      `rate must be { perSecond > 0, burst: integer ≥ 1 }; received ${JSON.stringify(request.rate)}`,
    );
  }
  if (request.sinkDir !== undefined) {
    try {
      mkdirSync(request.sinkDir, { recursive: true });
      accessSync(request.sinkDir, constants.W_OK);
    } catch (error) {
      throw new ExecUsageError(
        `sinkDir ${request.sinkDir} is not a writable directory: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  const tolerate = request.tolerate ?? { count: 0 };
  return typeof tolerate === 'object' ? validateTolerate(tolerate) : parseTolerate(tolerate);
}

/**
 * Runs a command in the targets a request selects and returns every target's record plus the
 * summary with the error budget applied.
 *
 * Throws {@link ExecUsageError} for a malformed request (before any remote call) and
 * {@link ExecError} when the selection as a whole fails: `NoTargets`, a container that is
 * missing or ambiguous (InvalidParameterException), or an AWS error of ListTasks/DescribeTasks.
 * Everything that happens to one target is in its record instead.
 *
 * @example
 * const { results, summary } = await runExec(
 *   { target: { cluster: 'demo', service: 'api', pick: 'all' }, command: { script: 'df -h /' }, concurrency: 5 },
 *   { ecs: createEcsClient(), kms: createKmsClient() },
 * );
 */
export async function runExec(request: ExecRequest, deps: ExecDeps): Promise<ExecRunResult> {
  const tolerate = validateExecRequest(request);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const rate = { ...DEFAULT_RATE, ...request.rate };
  const bucket = deps.bucket ?? new TokenBucket({ ratePerSecond: rate.perSecond, burst: rate.burst, clock });
  const kms = dataKeyProvider(deps);

  const targets =
    'targets' in request.target
      ? [...request.target.targets]
      : await resolveTargets(
          request.target,
          { ecs: deps.ecs, clock, random },
          {
            ...(request.maxRetries !== undefined ? { maxRetries: request.maxRetries } : {}),
            ...(request.retryBackoff ? { backoff: request.retryBackoff } : {}),
            ...(request.signal ? { signal: request.signal } : {}),
          },
        );

  const onLine = request.onLine;
  const { results, summary } = await fanOut(
    targets,
    async (target, signal) => {
      const options: ExecuteOptions = {
        ...pick(request, [
          'timeoutMs',
          'targetNotConnectedDeadlineMs',
          'maxRetries',
          'retryBackoff',
          'pollBackoff',
          'tailBytes',
          'sinkDir',
          'connectTimeoutMs',
          'idleTimeoutMs',
          'terminalSize',
          'interruptDrainMs',
        ]),
        signal,
        ...(onLine ? { onLine: (line: string, newline: boolean) => onLine(target, line, newline) } : {}),
      };
      const { result } = await executeOnTarget(target, request.command, options, {
        ecs: deps.ecs,
        kms,
        bucket,
        clock,
        random,
      });
      return result;
    },
    {
      ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
      tolerate,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onResult
        ? {
            onResult: (result: ExecResult, index: number) =>
              request.onResult?.(result, targets[index] as ResolvedTarget),
          }
        : {}),
    },
    { locks: deps.locks ?? new ContainerLocks(), clock },
  );
  return { targets, results, summary };
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
