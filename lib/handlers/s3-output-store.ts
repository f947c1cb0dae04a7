/**
 * The output store on AWS: each target's whole output in the output bucket.
 *
 * lib/exec writes a target's output to a file as it arrives (lib/exec/sink.ts: synchronous,
 * one fixed buffer, so memory never grows with the output however fast it comes). This store
 * stages those files under the Lambda's /tmp and, when a record is final, streams its file to
 * S3 with lib-storage's `Upload`: a file read stream cut into parts of `partSizeBytes`, at most
 * `queueSize` parts in flight, so memory stays at about `partSizeBytes × (queueSize + 1)`
 * whatever the output's size. Outputs under one part go up in one PutObject. The staged file is
 * deleted once the upload ends, whether it succeeded or not, so a warm function's /tmp holds
 * only the outputs of the invocation running.
 *
 * Staging instead of streaming the session straight into an upload: the sink is written
 * synchronously by the data channel's reader, and an upload drains at the network's pace, so
 * a stream between them either queues without bound or must stall the session; the file
 * takes the output at the disk's pace and the upload reads it at its own.
 *
 * Keys: `<runbook>/<execution name>/<stepId>/<attempt>/<taskId>.log`, so a retried step (or a
 * retried target of a fan-out batch) keeps each try's output. Object metadata:
 * `exit-code` (`none` when no exit code was read), `status`, `command-sha256` (of the step's
 * script as the event carried it; values are exported beside it, so equal digests mean the same
 * command text), `error` (the record's error name, when it failed), `total-bytes`.
 *
 * A fan-out over the Distributed Map threshold writes its batches to
 * `<runbook>/<execution name>/<stepId>/fan-out/items.json` (the ItemReader's JSON array) and
 * has the ResultWriter write under `…/fan-out/results`; `readResults` reads the manifest it
 * leaves and each `SUCCEEDED_*.json` (and `FAILED_*.json`) file it names.
 *
 * The SDK (`@aws-sdk/client-s3`, `@aws-sdk/lib-storage`) is imported on first use, so a cold
 * start that never stores an output does not load it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, rmdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ExecResult } from '../exec/index.ts';
import type { BatchResult, BatchTargetResult } from './events.ts';
import {
  executionNameOf,
  type OutputLocation,
  OutputNotStoredError,
  type OutputStore,
  type StagedOutputs,
  segment,
} from './output-store.ts';

/** Options of {@link createS3OutputStore}. */
export interface S3OutputStoreOptions {
  /**
   * The client. @default - a client made on first use with the SDK's resolution of region,
   * credentials and endpoint (`AWS_ENDPOINT_URL_S3`), its standard retries (3 attempts), and
   * 5 s to connect and 120 s per request
   */
  readonly client?: S3Client;
  /** Where outputs are staged before their upload. @default `<os.tmpdir()>/runbook-staging` */
  readonly stagingDir?: string;
  /** Bytes per multipart part (S3's minimum is 5 MiB). @default 8 MiB */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once per output. @default 2 */
  readonly queueSize?: number;
}

const MIB = 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * MIB;
const DEFAULT_QUEUE_SIZE = 2;

/** The key of one target's output. */
export function outputKey(location: OutputLocation, attempt: number, taskId: string): string {
  return [
    segment(location.runbook),
    segment(executionNameOf(location.execution)),
    segment(location.stepId),
    String(attempt),
    `${segment(taskId)}.log`,
  ].join('/');
}

/** Where a fan-out's Distributed Map items and results go: `<runbook>/<execution>/<stepId>/fan-out`. */
export function fanOutPrefix(location: OutputLocation): string {
  return [
    segment(location.runbook),
    segment(executionNameOf(location.execution)),
    segment(location.stepId),
    'fan-out',
  ].join('/');
}

/** The object metadata of a record (S3 keeps user metadata as lower-case ASCII text). */
export function outputMetadata(result: ExecResult, command: string | undefined): Record<string, string> {
  return {
    'exit-code': result.exitCode === null ? 'none' : String(result.exitCode),
    status: result.status,
    ...(command === undefined
      ? {}
      : { 'command-sha256': createHash('sha256').update(command, 'utf8').digest('hex') }),
    ...(result.error ? { error: result.error.name } : {}),
    'total-bytes': String(result.output.totalBytes),
  };
}

interface Sdk {
  readonly client: S3Client;
  readonly s3: typeof import('@aws-sdk/client-s3');
  readonly Upload: typeof import('@aws-sdk/lib-storage').Upload;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { Code?: unknown }).Code;
    return `${error.name}${typeof code === 'string' && code !== error.name ? ` (${code})` : ''}: ${error.message}`;
  }
  return String(error);
}

/**
 * An output store that uploads each target's output to S3.
 *
 * @example
 * const deps = createHandlerDeps({ outputStore: createS3OutputStore() });
 */
export function createS3OutputStore(options: S3OutputStoreOptions = {}): OutputStore {
  const stagingRoot = path.resolve(options.stagingDir ?? path.join(os.tmpdir(), 'runbook-staging'));
  const partSize = options.partSizeBytes ?? DEFAULT_PART_BYTES;
  const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  if (!(Number.isSafeInteger(partSize) && partSize >= 5 * MIB)) {
    throw new RangeError(
      `partSizeBytes must be an integer ≥ 5 MiB (S3's minimum part); received ${partSize}`,
    );
  }
  if (!(Number.isSafeInteger(queueSize) && queueSize >= 1)) {
    throw new RangeError(`queueSize must be an integer ≥ 1; received ${queueSize}`);
  }
  let sdk: Promise<Sdk> | undefined;
  const loadSdk = (): Promise<Sdk> => {
    sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(
      ([s3, storage]) => ({
        s3,
        Upload: storage.Upload,
        // Bounded requests: a stalled connection fails (and the SDK retries it) instead of holding
        // the invocation until Lambda ends it.
        client:
          options.client ??
          new s3.S3Client({ requestHandler: { requestTimeout: 120_000, connectionTimeout: 5_000 } }),
      }),
    );
    return sdk;
  };

  async function upload(
    location: OutputLocation,
    result: ExecResult,
    attempt: number,
  ): Promise<string | undefined> {
    const staged = result.output.uri;
    if (staged === undefined) return undefined;
    const key = outputKey(location, attempt, result.taskId);
    const uri = `s3://${location.bucket}/${key}`;
    if (!staged.startsWith('file:')) {
      throw new OutputNotStoredError(
        `The output of task ${result.taskId} is at ${staged}, not in a staged file`,
        {
          uri,
          result,
        },
      );
    }
    const file = fileURLToPath(staged);
    try {
      statSync(file);
      const { client, Upload } = await loadSdk();
      const body = createReadStream(file, { highWaterMark: 256 * 1024 });
      try {
        await new Upload({
          client,
          params: {
            Bucket: location.bucket,
            Key: key,
            Body: body,
            ContentType: 'text/plain; charset=utf-8',
            Metadata: outputMetadata(result, location.command),
          },
          partSize,
          queueSize,
          leavePartsOnError: false,
        }).done();
      } finally {
        body.destroy();
      }
      return uri;
    } catch (error) {
      throw new OutputNotStoredError(
        `The output of task ${result.taskId} (${result.status}, exit code ${result.exitCode ?? 'none'}) ` +
          `could not be stored at ${uri}: ${describe(error)}`,
        { uri, result },
        { cause: error },
      );
    } finally {
      rmSync(file, { force: true });
      try {
        // The staging directory goes once its last file is published.
        rmdirSync(path.dirname(file));
      } catch {
        // Not empty yet (other targets of the batch), or gone.
      }
    }
  }

  return {
    async stage(location): Promise<StagedOutputs> {
      // Not created here: lib/exec's sink makes it with the first output, so a step that opens
      // no session leaves nothing behind.
      const dir = path.join(stagingRoot, `${segment(location.stepId).slice(0, 40)}-${randomUUID()}`);
      const attempt = location.attempt ?? 1;
      return {
        dir,
        publish: (result, publishOptions) => upload(location, result, publishOptions?.attempt ?? attempt),
      };
    },

    async writeItems(location, batches) {
      const { client, s3 } = await loadSdk();
      const prefix = fanOutPrefix(location);
      const key = `${prefix}/items.json`;
      try {
        await client.send(
          new s3.PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: JSON.stringify(batches),
            ContentType: 'application/json',
          }),
        );
      } catch (error) {
        throw new Error(
          `step ${location.stepId}: the fan-out's batches could not be written to s3://${location.bucket}/${key}: ${describe(error)}`,
          { cause: error },
        );
      }
      return { bucket: location.bucket, key, resultPrefix: `${prefix}/results` };
    },

    async readResults(details) {
      const { client, s3 } = await loadSdk();
      const readJson = async (key: string): Promise<unknown> => {
        try {
          const out = await client.send(new s3.GetObjectCommand({ Bucket: details.Bucket, Key: key }));
          const text = await (out.Body as { transformToString(): Promise<string> }).transformToString();
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new Error(
            `The Distributed Map's results could not be read from s3://${details.Bucket}/${key}: ${describe(error)}`,
            { cause: error },
          );
        }
      };
      const manifest = (await readJson(details.Key)) as DistributedMapManifest;
      const files = manifest.ResultFiles ?? {};
      const bucket = manifest.DestinationBucket ?? details.Bucket;
      if (bucket !== details.Bucket) {
        throw new Error(`The Distributed Map's manifest names bucket ${bucket}, not ${details.Bucket}`);
      }
      const batches: BatchResult[] = [];
      for (const file of [...(files.SUCCEEDED ?? []), ...(files.FAILED ?? [])]) {
        const children = (await readJson(file.Key)) as readonly ChildExecution[];
        for (const child of children) batches.push(batchOfChild(child, file.Key));
      }
      return batches;
    },
  };
}

/** The manifest a Distributed Map's ResultWriter writes (`manifest.json`). */
interface DistributedMapManifest {
  readonly DestinationBucket?: string;
  readonly ResultFiles?: Partial<
    Record<'SUCCEEDED' | 'FAILED' | 'PENDING', readonly { readonly Key: string }[]>
  >;
}

/** One child execution in a ResultWriter file: `Input` and `Output` are JSON text. */
interface ChildExecution {
  readonly Status?: string;
  readonly Input?: string;
  readonly Output?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

/**
 * A child's batch result: its `Output` when it succeeded; when it failed (the Map tolerated it,
 * or the summary reads a partial run), every task of its `Input` as an `error` target.
 */
function batchOfChild(child: ChildExecution, file: string): BatchResult {
  if (child.Status === 'SUCCEEDED' && typeof child.Output === 'string') {
    const output = JSON.parse(child.Output) as unknown;
    if (!Array.isArray(output))
      throw new Error(
        `A child execution in ${file} returned ${child.Output.slice(0, 200)}, not a batch result`,
      );
    return output as BatchTargetResult[];
  }
  const input = (typeof child.Input === 'string' ? JSON.parse(child.Input) : {}) as { taskIds?: unknown };
  const taskIds = Array.isArray(input.taskIds)
    ? input.taskIds.filter((t): t is string => typeof t === 'string')
    : [];
  return taskIds.map((taskId) => ({
    taskId,
    exitCode: null,
    status: 'error',
    error: child.Error ?? child.Status ?? 'States.TaskFailed',
  }));
}
