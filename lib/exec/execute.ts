/**
 * Running a command in one target: `ecs:ExecuteCommand` (with TargetNotConnectedException
 * polling and bounded Throttling/Server retries), then the data-channel session, read to its
 * exit code.
 *
 * Every per-target failure becomes a result record (result.ts), never a throw: an AWS error
 * keeps AWS's name and message with a hint, a non-zero exit is CommandFailed, a session cut
 * before the exit code is SessionInterrupted, the command's timeout is ExecTimeout, and an abort
 * is status `cancelled`.
 */

import { type ECSClient, ExecuteCommandCommand, type ExecuteCommandCommandOutput } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import { SessionError } from '../session/errors.ts';
import { type DataKeyProvider, kmsDataKeyProvider } from '../session/kms.ts';
import { runSession, type TerminalSize } from '../session/session.ts';
import { type Clock, MAX_TIMER_MS, sleep, systemClock } from '../shared/clock.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../shared/defaults.ts';
import { formatDuration } from '../shared/duration.ts';
import { isInvocationDeadline } from '../shared/errors.ts';
import { createKmsClient } from './clients.ts';
import { type BuildCommandInput, buildCommand } from './command.ts';
import {
  awsErrorHint,
  classifyAwsError,
  type ErrorContext,
  EXIT_CODE_HINTS,
  ExecUsageError,
  hintFor,
  renderHint,
  SESSION_ERROR_HINTS,
} from './errors.ts';
import { makeRecord } from './internal/records.ts';
import { regionOf } from './internal/region.ts';
import { type CollectedOutput, type LineListener, OutputCollector } from './output.ts';
import type { ExecErrorInfo, ExecOutput, ExecResult } from './result.ts';
import { type BackoffOptions, fullJitterDelay, type RandomSource, type TokenBucket } from './retry.ts';
import { createFileSink, type FileSink, sinkFileName } from './sink.ts';
import type { ResolvedTarget } from './targets.ts';

/** Options of {@link executeOnTarget}. */
export interface ExecuteOptions {
  /**
   * Bound on the command, from the session's start: when it runs out the command is sent
   * Ctrl-C, the session closes, and the record says `timed_out` (ExecTimeout).
   *
   * @default 600_000 (10 min)
   */
  readonly timeoutMs?: number;
  /**
   * How long ExecuteCommand is polled while it answers TargetNotConnectedException (the exec
   * agent of a new task connects a few seconds after the task starts).
   *
   * @default 60_000
   */
  readonly targetNotConnectedDeadlineMs?: number;
  /** Backoff between TargetNotConnectedException polls. @default { baseMs: 250, capMs: 4_000 } */
  readonly pollBackoff?: BackoffOptions;
  /** Retries of ThrottlingException and ServerException per target. @default 5 */
  readonly maxRetries?: number;
  /** Backoff between those retries. @default { baseMs: 200, capMs: 5_000 } */
  readonly retryBackoff?: BackoffOptions;
  /** Bytes of text kept in the record's tail. @default 32_768 */
  readonly tailBytes?: number;
  /**
   * A directory for the whole output: one file per target, its `file://` URI in `output.uri`.
   *
   * @default - no file: only the tail is kept
   */
  readonly sinkDir?: string;
  /** Receives each line of output (escapes kept) as it arrives. */
  readonly onLine?: LineListener;
  /** Bound on opening the data channel. @default 15_000 */
  readonly connectTimeoutMs?: number;
  /**
   * Bound on silence between agent messages once output started, and before the first one.
   *
   * @default - just above `timeoutMs`, at most 20 min (ECS Exec's own idle timeout)
   */
  readonly idleTimeoutMs?: number;
  /** @default { cols: 300, rows: 100 } */
  readonly terminalSize?: TerminalSize;
  /**
   * Cancels the target: status `cancelled`; `timed_out` (ExecTimeout) when the abort reason is
   * an {@link InvocationDeadline}.
   */
  readonly signal?: AbortSignal;
  /**
   * After a timeout or an abort sent the command Ctrl-C, how long the session keeps reading its
   * last output until the agent closes the channel, so the output (and the sink file) holds
   * every byte the agent sent. 0 closes at the Ctrl-C's acknowledgement.
   *
   * @default 0
   */
  readonly interruptDrainMs?: number;
}

/** Dependencies of {@link executeOnTarget}. */
export interface ExecuteDeps {
  readonly ecs: ECSClient;
  /**
   * Data keys for clusters that encrypt exec sessions with KMS: a provider, or a KMS client.
   *
   * @default - a KMS client created on first use, in the ECS client's region, with the default credentials
   */
  readonly kms?: DataKeyProvider | KMSClient;
  /** Rate limit on ExecuteCommand calls (each poll and retry spends a token). @default - none */
  readonly bucket?: TokenBucket;
  /** Times the record, the polls and retries, and the session's timeouts and resends. @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: RandomSource;
}

/** A target's record, and the ExecuteCommand response as AWS sent it (when a call succeeded). */
export interface ExecuteOutcome {
  readonly result: ExecResult;
  readonly response?: ExecuteCommandCommandOutput;
}

/** Options resolved once, for every target of a run. */
export const EXECUTE_DEFAULTS = {
  timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
  targetNotConnectedDeadlineMs: 60_000,
  pollBackoff: { baseMs: 250, capMs: 4_000 },
  maxRetries: 5,
  retryBackoff: { baseMs: 200, capMs: 5_000 },
  tailBytes: 32_768,
  connectTimeoutMs: 15_000,
} as const satisfies ExecuteOptions;

/** ECS Exec closes sessions idle this long. */
const ECS_EXEC_IDLE_MS = 20 * 60_000;

/** Slack that lets the command's own timeout fire before the session's silence bounds. */
const TIMEOUT_SLACK_MS = 1_000;

/**
 * Runs `command` in `target` and returns its record; resolves for every per-target failure.
 *
 * Throws only {@link ExecUsageError}, for an option outside its range or a command
 * `buildCommand` refuses, before any remote call (`runExec` checks both before it starts).
 *
 * @example
 * const { result } = await executeOnTarget(target, { script: 'uptime' }, { timeoutMs: 30_000 }, { ecs, kms });
 */
export async function executeOnTarget(
  target: ResolvedTarget,
  command: BuildCommandInput,
  options: ExecuteOptions = {},
  deps: ExecuteDeps,
): Promise<ExecuteOutcome> {
  const o = { ...EXECUTE_DEFAULTS, ...options };
  validateExecuteOptions(o);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const startedAt = clock.now();
  const built = buildCommand(command);
  const context: ErrorContext = {
    cluster: target.cluster,
    taskId: target.taskId,
    task: target.taskArn,
    container: target.container,
    region: await regionOf(deps.ecs),
  };
  let polls = 0;
  let retries = 0;
  const finish = (fields: Parameters<typeof makeRecord>[3]): ExecuteOutcome => ({
    result: makeRecord(target, startedAt, clock.now(), { polls, retries, ...fields }),
  });
  const cancelled = (when: string): ExecuteOutcome =>
    finish({
      status: 'cancelled',
      error: {
        name: 'SessionInterrupted',
        message: `Cancelled ${when}: ${describeAbort(o.signal)}`,
        hint: 'The run was cancelled before the command started; nothing ran in this container.',
      },
    });

  if (target.preflightError) return finish({ status: 'error', error: target.preflightError });

  // ExecuteCommand, polled and retried within bounds.
  let response: ExecuteCommandCommandOutput | undefined;
  let firstNotConnectedAt: number | undefined;
  for (;;) {
    if (o.signal?.aborted) return cancelled('before ExecuteCommand');
    try {
      await deps.bucket?.take(o.signal);
      response = await deps.ecs.send(
        new ExecuteCommandCommand({
          cluster: target.clusterArn || target.cluster,
          task: target.taskArn,
          container: target.container,
          command: built.command,
          interactive: true,
        }),
        { abortSignal: o.signal },
      );
      break;
    } catch (error) {
      if (o.signal?.aborted) return cancelled('before ExecuteCommand');
      const classified = classifyAwsError(error);
      let delayMs: number | undefined;
      if (classified.retry === 'poll') {
        polls++;
        firstNotConnectedAt ??= clock.now();
        const remaining = firstNotConnectedAt + o.targetNotConnectedDeadlineMs - clock.now();
        if (remaining > 0) delayMs = Math.min(remaining, fullJitterDelay(polls - 1, o.pollBackoff, random));
      } else if (classified.retry === 'backoff' && retries < o.maxRetries) {
        delayMs = fullJitterDelay(retries, o.retryBackoff, random);
        retries++;
      }
      if (delayMs === undefined) {
        const hintContext: ErrorContext = {
          ...context,
          deadline: formatDuration(o.targetNotConnectedDeadlineMs),
          polls: String(polls),
          retries: String(retries),
        };
        return finish({
          status: 'error',
          error: {
            name: classified.name,
            message: classified.message,
            hint: awsErrorHint(classified, hintContext, classified.retry === 'poll'),
          },
        });
      }
      try {
        await sleep(clock, delayMs, o.signal);
      } catch {
        return cancelled('while waiting to retry ExecuteCommand');
      }
    }
  }

  const session = response.session;
  const containerArn = response.containerArn ?? target.containerArn;
  if (!session?.sessionId || !session.streamUrl || !session.tokenValue) {
    return {
      ...finish({
        status: 'error',
        containerArn,
        error: {
          name: 'ServerException',
          message: `ExecuteCommand returned no usable session (sessionId ${session?.sessionId ?? 'missing'}, streamUrl ${session?.streamUrl ? 'present' : 'missing'}, tokenValue ${session?.tokenValue ? 'present' : 'missing'})`,
          hint: hintFor('ServerException', { ...context, retries: String(retries) }),
        },
      }),
      response,
    };
  }

  // The session, read into the collector (and the file sink).
  let sink: FileSink | undefined;
  let collector: OutputCollector;
  try {
    sink =
      o.sinkDir === undefined
        ? undefined
        : createFileSink({
            dir: o.sinkDir,
            fileName: sinkFileName(target.taskId, target.container, `-${session.sessionId}`),
          });
    collector = new OutputCollector({
      marker: built.marker,
      tailBytes: o.tailBytes,
      ...(sink ? { sink } : {}),
      ...(o.onLine ? { onLine: o.onLine } : {}),
    });
  } catch (error) {
    sink?.close();
    return {
      ...finish({
        status: 'error',
        sessionId: session.sessionId,
        containerArn,
        interrupted: true,
        error: {
          name: 'SessionInterrupted',
          message: `The output file could not be created in ${o.sinkDir}: ${errorMessage(error)}`,
          hint: 'The session was opened but not read; the command may run without a reader. Check that the output directory is writable.',
        },
      }),
      response,
    };
  }

  const silenceMs = o.idleTimeoutMs ?? Math.min(o.timeoutMs + TIMEOUT_SLACK_MS, ECS_EXEC_IDLE_MS);
  let sessionError: unknown;
  try {
    await runSession({
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      sessionId: session.sessionId,
      targetId: target.targetId,
      kms: dataKeyProvider(deps),
      onOutput: (chunk) => collector.push(chunk),
      clock,
      connectTimeoutMs: o.connectTimeoutMs,
      // The agent sends nothing until the command prints, so silence before the first byte is
      // bounded like silence after it, and both let the command's own timeout win.
      firstOutputTimeoutMs: silenceMs,
      idleTimeoutMs: silenceMs,
      totalTimeoutMs: o.timeoutMs,
      ...(o.terminalSize ? { terminalSize: o.terminalSize } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.interruptDrainMs ? { interruptDrainMs: o.interruptDrainMs } : {}),
    });
  } catch (error) {
    sessionError = error;
  }
  const collected = collector.end();
  let sinkError: unknown;
  try {
    sink?.close();
  } catch (error) {
    sinkError = error;
  }
  const output: ExecOutput = {
    tail: collected.tail,
    totalBytes: collected.totalBytes,
    truncated: collected.truncated,
    ...(sink && sinkError === undefined ? { uri: sink.uri } : {}),
  };
  const base = { sessionId: session.sessionId, containerArn, output };
  return {
    ...finish({ ...base, ...sessionOutcome(collected, sessionError ?? sinkError, o, context, sink) }),
    response,
  };
}

type OutcomeFields = Pick<Parameters<typeof makeRecord>[3], 'status' | 'exitCode' | 'interrupted' | 'error'>;

/** The record's status, exit code and error from how the session and the output ended. */
function sessionOutcome(
  collected: CollectedOutput,
  error: unknown,
  o: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  context: ErrorContext,
  sink: FileSink | undefined,
): OutcomeFields {
  const exitCode = collected.exitCode;
  const interrupted = error !== undefined || exitCode === null;
  if (exitCode !== null) {
    // The marker arrived: the command finished, whatever happened to the session afterwards.
    if (exitCode === 0) return { status: 'succeeded', exitCode, interrupted };
    return {
      status: 'failed',
      exitCode,
      interrupted,
      error: {
        name: 'CommandFailed',
        message: `The command exited with code ${exitCode}`,
        hint: hintFor('CommandFailed', { exitCode: String(exitCode), detail: EXIT_CODE_HINTS[exitCode] }),
      },
    };
  }
  const code = error instanceof SessionError ? error.code : undefined;
  if (code === 'TOTAL_TIMEOUT') {
    return {
      status: 'timed_out',
      exitCode: null,
      interrupted,
      error: {
        name: 'ExecTimeout',
        message: `The command did not finish within ${formatDuration(o.timeoutMs)}`,
        hint: hintFor('ExecTimeout', { timeout: formatDuration(o.timeoutMs) }),
      },
    };
  }
  const reason: unknown = o.signal?.reason;
  if (o.signal?.aborted && isInvocationDeadline(reason)) {
    return {
      status: 'timed_out',
      exitCode: null,
      interrupted,
      error: {
        name: 'ExecTimeout',
        message: `The command was interrupted before it finished: ${reason.message}`,
        hint: hintFor('ExecTimeout.deadline', { timeout: formatDuration(o.timeoutMs) }),
      },
    };
  }
  if (code === 'ABORTED' || o.signal?.aborted) {
    return {
      status: 'cancelled',
      exitCode: null,
      interrupted,
      error: {
        name: 'SessionInterrupted',
        message: `Cancelled while the command ran: ${describeAbort(o.signal)}`,
        hint: SESSION_ERROR_HINTS.ABORTED,
      },
    };
  }
  const info: ExecErrorInfo =
    error === undefined
      ? {
          name: 'SessionInterrupted',
          message: `No exit code: ${collected.exitCodeReason ?? 'the exit-code marker was not read'}`,
          hint: hintFor('SessionInterrupted', { ...context, detail: 'the session closed normally' }),
        }
      : code !== undefined
        ? {
            name: 'SessionInterrupted',
            message: `${(error as Error).message}; no exit code: ${collected.exitCodeReason ?? 'the marker was not read'}`,
            hint: renderHint(SESSION_ERROR_HINTS[code], context),
          }
        : {
            name: 'SessionInterrupted',
            message: `${sink ? `Writing the output to ${sink.path} failed, or the session failed` : 'The session failed'}: ${errorMessage(error)}`,
            hint: hintFor('SessionInterrupted', { ...context, detail: errorMessage(error) }),
          };
  return { status: 'error', exitCode: null, interrupted, error: info };
}

/** Throws {@link ExecUsageError} for an option outside its range, naming the value received. */
export function validateExecuteOptions(
  o: Pick<
    ExecuteOptions,
    | 'timeoutMs'
    | 'connectTimeoutMs'
    | 'idleTimeoutMs'
    | 'targetNotConnectedDeadlineMs'
    | 'maxRetries'
    | 'tailBytes'
    | 'interruptDrainMs'
  >,
): void {
  // The session arms a Node timer with each: past 2^31−1 ms it would refuse them only after
  // ExecuteCommand had opened a session.
  const positive = ['timeoutMs', 'connectTimeoutMs', 'idleTimeoutMs'] as const;
  for (const key of positive) {
    const value = o[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1 && value <= MAX_TIMER_MS)) {
      throw new ExecUsageError(
        `${key} must be an integer number of milliseconds from 1 to ${MAX_TIMER_MS}; received ${String(value)}`,
      );
    }
  }
  const nonNegative = [
    'targetNotConnectedDeadlineMs',
    'maxRetries',
    'tailBytes',
    'interruptDrainMs',
  ] as const;
  for (const key of nonNegative) {
    const value = o[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new ExecUsageError(`${key} must be an integer ≥ 0; received ${String(value)}`);
    }
  }
}

/**
 * The data-key source of `deps`: the provider given, an adapter of the KMS client given, or a
 * KMS client created on first use (most clusters never ask for KMS, so none is made for them).
 */
export function dataKeyProvider(deps: Pick<ExecuteDeps, 'ecs' | 'kms'>): DataKeyProvider {
  const kms = deps.kms;
  if (kms !== undefined) return 'generateDataKey' in kms ? kms : kmsDataKeyProvider(kms);
  let lazy: DataKeyProvider | undefined;
  return {
    async generateDataKey(input, options) {
      lazy ??= kmsDataKeyProvider(createKmsClient({ region: await deps.ecs.config.region() }));
      return lazy.generateDataKey(input, options);
    },
  };
}

function describeAbort(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
