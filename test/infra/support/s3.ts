/**
 * A real S3 API on loopback: s3rver, in a temporary directory, started and stopped by the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';

export interface LoopbackS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with `buckets` created. */
export async function startLoopbackS3(buckets: readonly string[]): Promise<LoopbackS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'synthrun-s3-'));
  const server = new (S3rver as new (options: unknown) => S3rverInstance)({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
