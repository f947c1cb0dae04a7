/**
 * Where the local cluster file is, and starting the emulator for `--local`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createEcsClient, createKmsClient } from '../exec/clients.ts';
import { DEFAULT_CLUSTER_FILE } from '../local/cluster-file.ts';
import { type LocalEcs, startLocalEcs } from '../local/emulator.ts';

/**
 * Resolves the cluster file: the one given, else `runbooks/local/cluster.yaml` in the working
 * directory, else the one shipped with this package (so `npx runbook … --local` works anywhere).
 */
export function resolveClusterFile(cwd: string, given: string | undefined): string {
  if (given !== undefined) return path.resolve(cwd, given);
  const inCwd = path.resolve(cwd, DEFAULT_CLUSTER_FILE);
  if (existsSync(inCwd)) return inCwd;
  // lib/cli/ in a checkout, dist/ when built: the package root is one or two levels up.
  for (const up of ['..', path.join('..', '..')]) {
    const shipped = path.resolve(import.meta.dirname, up, DEFAULT_CLUSTER_FILE);
    if (existsSync(shipped)) return shipped;
  }
  return inCwd;
}

/** Options of {@link startCliEmulator}. */
export interface CliEmulatorOptions {
  readonly clusterFile: string;
  /** @default 0 */
  readonly port?: number;
  /**
   * The realistic agent (1 s initial wait, about 1 ms per KiB) unless told otherwise.
   *
   * @default true
   */
  readonly realistic?: boolean;
}

/** Starts the emulator and returns it with SDK clients pointed at it. */
export async function startCliEmulator(options: CliEmulatorOptions) {
  const realistic = options.realistic ?? true;
  const emulator: LocalEcs = await startLocalEcs({
    configFile: options.clusterFile,
    port: options.port ?? 0,
    ...(realistic ? {} : { initialWaitMs: 0, paceMs: 0 }),
  });
  const common = { region: emulator.region, credentials: emulator.credentials };
  return {
    emulator,
    ecs: createEcsClient({ ...common, endpoint: emulator.endpoint }),
    kms: createKmsClient({ ...common, endpoint: emulator.kmsEndpoint }),
  };
}
