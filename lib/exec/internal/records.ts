/**
 * Builders of result records shared by execute and fan-out.
 */
import type { ExecErrorInfo, ExecOutput, ExecResult, ExecStatus } from '../result.ts';
import type { ResolvedTarget } from '../targets.ts';

/** An output with nothing in it. */
export const EMPTY_OUTPUT: ExecOutput = { tail: '', totalBytes: 0, truncated: false };

/** The parts of a record that vary; the target's identity and timings are filled in. */
export interface RecordFields {
  readonly status: ExecStatus;
  readonly sessionId?: string | null;
  readonly exitCode?: number | null;
  readonly containerArn?: string;
  readonly polls?: number;
  readonly retries?: number;
  readonly output?: ExecOutput;
  readonly interrupted?: boolean;
  readonly error?: ExecErrorInfo;
}

/** A result record for `target` spanning `startedAtMs`..`endedAtMs` (epoch ms). */
export function makeRecord(
  target: ResolvedTarget,
  startedAtMs: number,
  endedAtMs: number,
  fields: RecordFields,
): ExecResult {
  return {
    cluster: target.cluster,
    taskArn: target.taskArn,
    taskId: target.taskId,
    container: target.container,
    containerArn: fields.containerArn || target.containerArn,
    sessionId: fields.sessionId ?? null,
    exitCode: fields.exitCode ?? null,
    status: fields.status,
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    durationMs: Math.max(0, Math.round(endedAtMs - startedAtMs)),
    polls: fields.polls ?? 0,
    retries: fields.retries ?? 0,
    output: fields.output ?? EMPTY_OUTPUT,
    interrupted: fields.interrupted ?? false,
    ...(fields.error ? { error: fields.error } : {}),
  };
}

/** A record for a target that was never started (a cancelled run or an exceeded error budget). */
export function notStartedRecord(target: ResolvedTarget, atMs: number, error: ExecErrorInfo): ExecResult {
  return makeRecord(target, atMs, atMs, { status: 'cancelled', error });
}
