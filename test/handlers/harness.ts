/**
 * The local emulator with the real ECS and KMS clients, and a directory output store, for the
 * handler and runner tests. Every harness is closed by `closeHarnesses` (call it in afterEach).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import { createEcsClient, createKmsClient } from '../../lib/exec/clients.ts';
import type { HandlerDeps } from '../../lib/handlers/deps.ts';
import { createDirectoryOutputStore } from '../../lib/handlers/output-store.ts';
import type { ClusterFileInput } from '../../lib/local/cluster-file.ts';
import { type LocalEcs, startLocalEcs } from '../../lib/local/emulator.ts';

export const CLUSTER_FILE = path.join(import.meta.dirname, '..', '..', 'runbooks', 'local', 'cluster.yaml');

export interface Harness {
  readonly local: LocalEcs;
  readonly ecs: ECSClient;
  readonly kms: KMSClient;
  readonly outputDir: string;
  readonly deps: HandlerDeps;
}

const open: Harness[] = [];

/** Starts the emulator (the example cluster file unless `config` is given) without pacing. */
export async function startHarness(config?: ClusterFileInput): Promise<Harness> {
  const local = await startLocalEcs({
    ...(config ? { config } : { configFile: CLUSTER_FILE }),
    port: 0,
    initialWaitMs: 0,
    paceMs: 0,
  });
  const common = { region: local.region, credentials: local.credentials };
  const ecs = createEcsClient({ ...common, endpoint: local.endpoint });
  const kms = createKmsClient({ ...common, endpoint: local.kmsEndpoint });
  const outputDir = await mkdtemp(path.join(os.tmpdir(), 'handlers-test-'));
  const harness: Harness = {
    local,
    ecs,
    kms,
    outputDir,
    deps: { ecs, kms, outputStore: createDirectoryOutputStore(outputDir) },
  };
  open.push(harness);
  return harness;
}

/** Closes every harness started since the last call. */
export async function closeHarnesses(): Promise<void> {
  const closing = open.splice(0);
  for (const harness of closing) {
    harness.ecs.destroy();
    harness.kms.destroy();
    await harness.local.close();
    await rm(harness.outputDir, { recursive: true, force: true });
  }
}
