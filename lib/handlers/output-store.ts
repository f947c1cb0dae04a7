/**
 * Where the whole output of each target goes.
 *
 * lib/exec writes each target's output to a file as it arrives (a sink directory); the store
 * decides which directory and what URI the step's value records. Locally the directory is the
 * final place (`file://` URIs); on AWS a store (the deploy issue) stages the files in the
 * Lambda's /tmp and uploads each to the output bucket (`s3://` URIs, ./s3-output-store.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ExecResult } from '../exec/index.ts';
import type { BatchResult, BucketTargets } from './events.ts';

/** Whose outputs: one step of one execution of one runbook. */
export interface OutputLocation {
  /** The event's `outputBucket` (a placeholder's value; the directory store ignores it). */
  readonly bucket: string;
  readonly runbook: string;
  /** The execution ARN; its last `:` segment is the execution name. */
  readonly execution: string;
  readonly stepId: string;
  /**
   * Which try of the step's state this is, from 1 (`$$.State.RetryCount` + 1): a store that
   * keeps every try puts it in the key. @default 1
   */
  readonly attempt?: number;
  /** The step's script as the event carried it; a store may record its digest. */
  readonly command?: string;
}

/** Options of {@link StagedOutputs.publish}. */
export interface PublishOptions {
  /**
   * The try this record is of, when the handler retries targets itself (a fan-out batch's
   * per-target `retry`). @default - the location's `attempt`
   */
  readonly attempt?: number;
}

/** A step's outputs being written: the directory lib/exec writes to, and how records get their URI. */
export interface StagedOutputs {
  /** The sink directory for lib/exec (`<taskId>-<container>.log` per target). */
  readonly dir: string;
  /**
   * Makes a record's output durable and returns the URI the step's value keeps, or `undefined`
   * when nothing was written (no session opened). Throws {@link OutputNotStoredError} when the
   * output could not be made durable.
   */
  publish(result: ExecResult, options?: PublishOptions): Promise<string | undefined>;
}

/** Where full outputs go. */
export interface OutputStore {
  /** Prepares the place for one step's outputs. */
  stage(location: OutputLocation): Promise<StagedOutputs>;
  /**
   * Writes a large fan-out's batches for a Distributed Map's ItemReader. A store without it
   * keeps every fan-out inline (the local runner runs a Distributed Map's iterations inline).
   */
  writeItems?(
    location: OutputLocation,
    batches: readonly (readonly string[])[],
  ): Promise<BucketTargets['items']>;
  /** Reads a Distributed Map's ResultWriter output: each child's batch result. */
  readResults?(details: { readonly Bucket: string; readonly Key: string }): Promise<BatchResult[]>;
}

/**
 * A record's output could not be made durable (an upload failed, the staged file is gone). It
 * keeps what the record says, so a handler can fail the step without losing the exit code.
 */
export class OutputNotStoredError extends Error {
  override readonly name = 'OutputNotStored' as const;
  /** Where the output should have gone (`s3://bucket/key`). */
  readonly uri: string;
  readonly exitCode: number | null;
  readonly status: ExecResult['status'];

  constructor(message: string, details: { uri: string; result: ExecResult }, options?: ErrorOptions) {
    super(message, options);
    this.uri = details.uri;
    this.exitCode = details.result.exitCode;
    this.status = details.result.status;
  }
}

/** The execution name: the last `:` segment of an execution ARN (the whole text when it has none). */
export function executionNameOf(execution: string): string {
  const colon = execution.lastIndexOf(':');
  return colon === -1 ? execution : execution.slice(colon + 1);
}

/** A path segment safe on any file system, never `.` or `..`. */
export function segment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? `_${safe}` : safe;
}

/**
 * A store that keeps outputs in a local directory: `<root>/<runbook>/<execution name>/<stepId>/
 * <taskId>-<container>.log`, recorded as `file://` URIs. A retried step writes its files again,
 * so each file holds the last attempt's output.
 */
export function createDirectoryOutputStore(root: string): OutputStore {
  const base = path.resolve(root);
  return {
    async stage(location) {
      const dir = path.join(
        base,
        segment(location.runbook),
        segment(executionNameOf(location.execution)),
        segment(location.stepId),
      );
      mkdirSync(dir, { recursive: true });
      return {
        dir,
        publish: async (result) => result.output.uri,
      };
    },
  };
}
