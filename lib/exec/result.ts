/**
 * The result record: one per target, for the CLI, the handlers and the runner.
 */
import type { TaskErrorName } from '../shared/errors.ts';

/** How a target's exec ended. */
export type ExecStatus = 'succeeded' | 'failed' | 'error' | 'timed_out' | 'cancelled';

/** What went wrong, in words the user can act on. */
export interface ExecErrorInfo {
  readonly name: TaskErrorName;
  readonly message: string;
  readonly hint: string;
}

/** The output of one target: a bounded tail plus where the whole output went. */
export interface ExecOutput {
  /** The last bytes of the normalised output (CRLF→LF, escapes stripped), at most the tail size. */
  readonly tail: string;
  /** Bytes of normalised output the command produced (marker excluded). */
  readonly totalBytes: number;
  /** The tail is shorter than the whole output. */
  readonly truncated: boolean;
  /** Where the full output was written (`file://` locally, `s3://` on AWS), when a sink was asked for. */
  readonly uri?: string;
}

/** One target's exec, from selection to exit code. */
export interface ExecResult {
  readonly cluster: string;
  readonly taskArn: string;
  readonly taskId: string;
  readonly container: string;
  readonly containerArn: string;
  /** `null` when no session was opened. */
  readonly sessionId: string | null;
  /** `null` when no session was opened or no exit-code marker was read. */
  readonly exitCode: number | null;
  readonly status: ExecStatus;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** TargetNotConnectedException polls spent. */
  readonly polls: number;
  /** Throttling/Server retries spent. */
  readonly retries: number;
  readonly output: ExecOutput;
  /** The session was cut before it ended normally. */
  readonly interrupted: boolean;
  /** Set for every status but `succeeded`. */
  readonly error?: ExecErrorInfo;
}
