/**
 * s3store.*: the S3 output store's memory while it uploads a 200 MB output, in a child process
 * (bench/s3-store-child.ts) against s3rver on loopback in this one.
 *
 * - s3store.peakRssMB: the child's peak RSS (getrusage's maxrss) while it staged and uploaded
 *   the output; `growthMB` is that peak minus its RSS after a warm-up upload, `uploadMs` and
 *   `MBps` the upload alone. The aim: growth far below the output's size (8 MiB parts, 2 in
 *   flight: about 24 MB of parts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import type { BenchResults } from './results.ts';

const ROOT = path.join(import.meta.dirname, '..');
const MB = 1024 * 1024;

/** What the child prints. */
export interface S3StoreMeasurement {
  readonly uri: string;
  readonly bytes: number;
  readonly baselineRss: number;
  readonly peakRss: number;
  readonly growth: number;
  readonly uploadMs: number;
}

/**
 * Starts s3rver on 127.0.0.1, runs the child with an output of `bytes`, and returns what it
 * measured; everything it made is removed.
 */
export async function measureS3Store(bytes: number, timeoutMs = 300_000): Promise<S3StoreMeasurement> {
  const directory = mkdtempSync(path.join(tmpdir(), 's3store-bench-'));
  const server = new (
    S3rver as new (
      options: unknown,
    ) => { run(): Promise<AddressInfo>; close(): Promise<void> }
  )({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(directory, 's3'),
    configureBuckets: [{ name: 'outputs' }],
  });
  const { port } = await server.run();
  try {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'bench', 's3-store-child.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          S3_STORE_BYTES: String(bytes),
          S3_STORE_ENDPOINT: `http://127.0.0.1:${port}`,
          S3_STORE_STAGING: path.join(directory, 'staging'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`the S3 store bench child exited ${code}: ${stderr.slice(-2000)}`);
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as S3StoreMeasurement;
  } finally {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export async function benchS3Store(results: BenchResults): Promise<void> {
  const bytes = 200 * MB;
  const m = await measureS3Store(bytes);
  results.record('s3store.peakRssMB', m.peakRss / MB, 'MB', {
    outputMB: bytes / MB,
    baselineRssMB: Number((m.baselineRss / MB).toFixed(1)),
    growthMB: Number((m.growth / MB).toFixed(1)),
    uploadMs: Math.round(m.uploadMs),
    MBps: Number((bytes / MB / (m.uploadMs / 1000)).toFixed(1)),
    partMB: 8,
    queueSize: 2,
  });
}
