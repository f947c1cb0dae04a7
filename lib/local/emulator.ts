import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentFaults } from './agent/faults.ts';
import { type LocalAgent, startLocalAgent } from './agent.ts';
import type { ClusterFile, ClusterFileInput } from './cluster-file.ts';
import { loadClusterFile, validateClusterConfig } from './cluster-file.ts';
import type { LocalWorld } from './ecs/model.ts';
import { buildWorld } from './ecs/model.ts';
import type { EcsApiStats, EcsFaultControls, LocalEcsApi } from './ecs-api.ts';
import { startEcsApi } from './ecs-api.ts';
import { assertInteger, assertOptionsObject, assertString, LocalOptionError } from './internal/options.ts';
import { type LocalKms, startLocalKms } from './kms.ts';

/**
 * The whole local emulator: the local data-channel agent, the local KMS and the local ECS API
 * over one cluster file, with every container's working directory created in a new sandbox
 * directory under the OS temp directory.
 *
 * @see docs/local.md
 */

/** Options of {@link startLocalEcs}. */
export interface StartLocalEcsOptions {
  /** The clusters, as an object shaped like the cluster file. Exactly one of `config`, `configFile`. */
  readonly config?: ClusterFileInput | ClusterFile;
  /** A cluster file to load (such as `runbooks/local/cluster.yaml`). */
  readonly configFile?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Port of the ECS API.
   *
   * @default 0 - an ephemeral port
   */
  readonly port?: number;
  /** @default 0 - an ephemeral port */
  readonly agentPort?: number;
  /** @default 0 - an ephemeral port */
  readonly kmsPort?: number;
  /**
   * The agent's wait before a session's first output (the real agent's is 1 s); tests pass 0.
   *
   * @default - the agent's default
   */
  readonly initialWaitMs?: number;
  /**
   * The agent's output pacing per KiB; tests pass 0.
   *
   * @default - the agent's default
   */
  readonly paceMs?: number;
  /** Data-channel faults of every session. @default - none */
  readonly agentFaults?: AgentFaults;
}

/** A running local emulator. */
export interface LocalEcs {
  /** The ECS API endpoint, for `ECSClient`'s `endpoint` or `AWS_ENDPOINT_URL_ECS`. */
  readonly endpoint: string;
  /** The KMS endpoint, for `KMSClient`'s `endpoint` or `AWS_ENDPOINT_URL_KMS`. */
  readonly kmsEndpoint: string;
  readonly region: string;
  /** Static dummy credentials: the SDK refuses to sign without some. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The validated cluster file. */
  readonly config: ClusterFile;
  /** Every cluster, task and container, with ARNs and absolute working directories. */
  readonly world: LocalWorld;
  /** The sandbox root (each cluster's sandbox is `<sandboxDir>/<cluster>`); removed by `close`. */
  readonly sandboxDir: string;
  readonly agent: LocalAgent;
  readonly kms: LocalKms;
  /** Fault switches of the ECS API. */
  readonly faults: EcsFaultControls;
  readonly stats: EcsApiStats;
  /** Stops the ECS API, the agent and the KMS, and removes the sandbox directory. */
  close(): Promise<void>;
}

const OPTION_KEYS = [
  'config',
  'configFile',
  'host',
  'port',
  'agentPort',
  'kmsPort',
  'initialWaitMs',
  'paceMs',
  'agentFaults',
] as const;

/** The credentials the emulator's clients use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Starts the local emulator.
 *
 * @example
 * const ecs = await startLocalEcs({ configFile: 'runbooks/local/cluster.yaml', port: 0, initialWaitMs: 0, paceMs: 0 });
 * const client = new ECSClient({ endpoint: ecs.endpoint, region: ecs.region, credentials: ecs.credentials, maxAttempts: 1 });
 * // …
 * await ecs.close();
 */
export async function startLocalEcs(options: StartLocalEcsOptions): Promise<LocalEcs> {
  // Checked through an `unknown` alias: the assertion would narrow `options` itself to a record.
  const raw: unknown = options;
  assertOptionsObject(raw, 'startLocalEcs options', OPTION_KEYS);
  if ((options.config === undefined) === (options.configFile === undefined)) {
    throw new LocalOptionError(
      'config',
      'startLocalEcs needs exactly one of config (an object) and configFile (a path); received ' +
        (options.config === undefined ? 'neither' : 'both'),
    );
  }
  assertString(options.configFile, 'configFile');
  assertString(options.host, 'host');
  assertInteger(options.port, 'port', 0, 65_535);
  assertInteger(options.agentPort, 'agentPort', 0, 65_535);
  assertInteger(options.kmsPort, 'kmsPort', 0, 65_535);
  const config =
    options.configFile === undefined
      ? validateClusterConfig(options.config)
      : await loadClusterFile(options.configFile);
  const host = options.host ?? '127.0.0.1';

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    const errors: unknown[] = [];
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the local emulator did not close cleanly');
  };
  try {
    const sandboxDir = await createSandbox();
    cleanups.push(() => rm(sandboxDir, { recursive: true, force: true }));
    const world = buildWorld(config, sandboxDir, Date.now());
    await createDirectories(world);

    const kms = await startLocalKms({
      host,
      port: options.kmsPort ?? 0,
      region: config.region,
      accountId: config.accountId,
    });
    cleanups.push(() => kms.close());

    const agent = await startLocalAgent({
      host,
      port: options.agentPort ?? 0,
      kms,
      ...(options.initialWaitMs === undefined ? {} : { initialWaitMs: options.initialWaitMs }),
      ...(options.paceMs === undefined ? {} : { paceMs: options.paceMs }),
      ...(options.agentFaults === undefined ? {} : { faults: options.agentFaults }),
    });
    cleanups.push(() => agent.close());

    const api: LocalEcsApi = await startEcsApi({ world, agent, host, port: options.port ?? 0 });
    cleanups.push(() => api.close());

    let closing: Promise<void> | undefined;
    return {
      endpoint: api.endpoint,
      kmsEndpoint: kms.endpoint,
      region: config.region,
      credentials: LOCAL_CREDENTIALS,
      config,
      world,
      sandboxDir,
      agent,
      kms,
      faults: api.faults,
      stats: api.stats,
      close() {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

/** A new directory under the OS temp directory, never the home directory or `/`. */
async function createSandbox(): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ecs-runbooks-local-')));
  const forbidden = new Set([path.parse(dir).root, os.homedir()]);
  if (forbidden.has(dir)) throw new Error(`refusing to use ${dir} as the sandbox directory`);
  return dir;
}

/** Each cluster's sandbox and each container's working directory (`${workdir}`). */
async function createDirectories(world: LocalWorld): Promise<void> {
  for (const cluster of world.clusters) {
    await mkdir(cluster.sandbox, { recursive: true });
    for (const task of cluster.tasks) {
      for (const container of task.containers) await mkdir(container.workdir, { recursive: true });
    }
  }
}
