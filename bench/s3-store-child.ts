/**
 * The process bench/s3-store.ts and the handler test measure: it stages an output of
 * `S3_STORE_BYTES` bytes as lib/exec's sink writes one (a file, 64 KB at a time), publishes it
 * through the S3 output store to the endpoint in `S3_STORE_ENDPOINT`, and prints one JSON line:
 * RSS before the output existed (after a warm-up upload, so the SDK is loaded), the peak RSS of
 * the process (getrusage's maxrss, which no sampling can miss), and the upload's duration.
 *
 * Run: node --import tsx bench/s3-store-child.ts (the S3 API runs in another process, so its
 * memory is not counted here).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import type { ExecResult } from '../lib/exec/index.ts';
import { createS3OutputStore } from '../lib/handlers/s3-output-store.ts';

const MB = 1024 * 1024;
const bytes = Number(process.env.S3_STORE_BYTES ?? 200 * MB);
const endpoint = process.env.S3_STORE_ENDPOINT as string;
const bucket = process.env.S3_STORE_BUCKET ?? 'outputs';
const stagingDir = process.env.S3_STORE_STAGING as string;

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const store = createS3OutputStore({ client, stagingDir });
const location = {
  bucket,
  runbook: 'bench',
  execution: 'arn:aws:states:us-east-1:123456789012:execution:bench:run',
  stepId: 'big',
  command: 'cat big',
};

/** Writes `size` bytes of numbered lines to a sink file in `dir`, as lib/exec's sink does. */
function stage(dir: string, taskId: string, size: number): ExecResult {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${taskId}-app-s.log`);
  const fd = openSync(file, 'w', 0o600);
  const chunk = Buffer.alloc(65_536);
  for (let i = 0; i < chunk.length; i += 16) chunk.write(`${(i / 16).toString(16).padStart(15, '0')}\n`, i);
  for (let written = 0; written < size; ) {
    const n = Math.min(chunk.length, size - written);
    written += writeSync(fd, chunk, 0, n);
  }
  closeSync(fd);
  const at = new Date().toISOString();
  return {
    cluster: 'bench',
    taskArn: '',
    taskId,
    container: 'app',
    containerArn: '',
    sessionId: 's',
    exitCode: 0,
    status: 'succeeded',
    startedAt: at,
    endedAt: at,
    durationMs: 0,
    polls: 0,
    retries: 0,
    output: { tail: '', totalBytes: size, truncated: true, uri: pathToFileURL(file).href },
    interrupted: false,
  };
}

// Warm-up: the SDK loaded, one small upload done.
const warm = await store.stage({ ...location, stepId: 'warm' });
await warm.publish(stage(warm.dir, 'warm', 1024));
globalThis.gc?.();
const baselineRss = process.memoryUsage().rss;

const staged = await store.stage(location);
const record = stage(staged.dir, 'big', bytes);
const started = performance.now();
const uri = await staged.publish(record);
const uploadMs = performance.now() - started;
// ru_maxrss is in kilobytes on Linux.
const peakRss = process.resourceUsage().maxRSS * 1024;
client.destroy();
process.stdout.write(
  `${JSON.stringify({ uri, bytes, baselineRss, peakRss, growth: peakRss - baselineRss, uploadMs })}\n`,
);
