import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ClusterFile, ClusterSpec, ContainerSpec } from '../cluster-file.ts';
import { taskIdFor } from '../cluster-file.ts';

/**
 * The emulator's view of a cluster file: every task, container and ARN, resolved once against
 * a sandbox directory. Pure apart from path arithmetic: nothing here touches the disk.
 */

/** A container of a local task. */
export interface LocalContainer {
  readonly name: string;
  readonly index: number;
  readonly arn: string;
  /** `<taskId>-<container index>`; KMS sessions put it in the TargetId. */
  readonly runtimeId: string;
  /** Absolute working directory of the container's commands. */
  readonly workdir: string;
  /** Environment with `${workdir}` and `${sandbox}` expanded. */
  readonly env: Readonly<Record<string, string>>;
  readonly docker?: string;
}

/** A RUNNING local task. */
export interface LocalTask {
  readonly id: string;
  readonly arn: string;
  readonly clusterName: string;
  readonly family: string;
  readonly taskDefinitionArn: string;
  readonly group: string;
  readonly startedBy?: string;
  /** Set for a service's task. */
  readonly serviceName?: string;
  readonly index: number;
  /** Absolute directory holding the task's container working directories. */
  readonly dir: string;
  readonly containers: readonly LocalContainer[];
}

/** A local service. */
export interface LocalService {
  readonly name: string;
  readonly arn: string;
  readonly family: string;
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly taskIds: readonly string[];
}

/** A local cluster. */
export interface LocalCluster {
  readonly name: string;
  readonly arn: string;
  readonly kmsKeyId?: string;
  /** The cluster's sandbox directory (`${sandbox}`). */
  readonly sandbox: string;
  readonly services: readonly LocalService[];
  /** Every task, the services' first, in file order. */
  readonly tasks: readonly LocalTask[];
  readonly spec: ClusterSpec;
}

/** All local clusters of one emulator. */
export interface LocalWorld {
  readonly region: string;
  readonly accountId: string;
  readonly clusters: readonly LocalCluster[];
  /** When the tasks started (the emulator's start), epoch ms. */
  readonly startedAtMs: number;
}

/** ARN builders for one region and account. */
export function arns(region: string, accountId: string) {
  const prefix = `arn:aws:ecs:${region}:${accountId}`;
  return {
    cluster: (cluster: string) => `${prefix}:cluster/${cluster}`,
    service: (cluster: string, service: string) => `${prefix}:service/${cluster}/${service}`,
    task: (cluster: string, taskId: string) => `${prefix}:task/${cluster}/${taskId}`,
    taskDefinition: (family: string) => `${prefix}:task-definition/${family}:1`,
    container: (cluster: string, taskId: string, name: string) =>
      `${prefix}:container/${cluster}/${taskId}/${uuidFrom(`${taskId}/${name}`)}`,
  } as const;
}

/**
 * Resolves a validated cluster file against `sandboxDir`: cluster `C`'s sandbox is
 * `<sandboxDir>/C`, a task's directory `<sandbox>/<taskId>`, a container's working directory
 * `<task dir>/<workdir>`.
 */
export function buildWorld(file: ClusterFile, sandboxDir: string, startedAtMs: number): LocalWorld {
  const arn = arns(file.region, file.accountId);
  const clusters = file.clusters.map((spec): LocalCluster => {
    const sandbox = path.join(sandboxDir, spec.name);
    const tasks: LocalTask[] = [];
    const services: LocalService[] = [];
    const makeTask = (
      key: string,
      index: number,
      family: string,
      group: string,
      startedBy: string | undefined,
      serviceName: string | undefined,
      containers: readonly ContainerSpec[],
    ): LocalTask => {
      const id = taskIdFor(spec.name, key, index);
      const dir = path.join(sandbox, id);
      return {
        id,
        arn: arn.task(spec.name, id),
        clusterName: spec.name,
        family,
        taskDefinitionArn: arn.taskDefinition(family),
        group,
        ...(startedBy === undefined ? {} : { startedBy }),
        ...(serviceName === undefined ? {} : { serviceName }),
        index,
        dir,
        containers: containers.map((c, ci) => {
          const workdir = path.join(dir, c.workdir);
          return {
            name: c.name,
            index: ci,
            arn: arn.container(spec.name, id, c.name),
            runtimeId: `${id}-${ci}`,
            workdir,
            env: expandEnv(c.env, { workdir, sandbox }),
            ...(c.docker === undefined ? {} : { docker: c.docker }),
          };
        }),
      };
    };
    for (const s of spec.services) {
      // ECS marks a service's tasks with `ecs-svc/` and a 19-digit number.
      const startedBy = `ecs-svc/${digitsFrom(`${spec.name}/${s.name}`, 19)}`;
      const ids: string[] = [];
      for (let i = 0; i < s.count; i++) {
        const task = makeTask(s.name, i, s.family, `service:${s.name}`, startedBy, s.name, s.containers);
        tasks.push(task);
        ids.push(task.id);
      }
      services.push({
        name: s.name,
        arn: arn.service(spec.name, s.name),
        family: s.family,
        taskDefinitionArn: arn.taskDefinition(s.family),
        desiredCount: s.count,
        taskIds: ids,
      });
    }
    for (const t of spec.tasks) {
      for (let i = 0; i < t.count; i++) {
        tasks.push(makeTask(t.family, i, t.family, t.group, t.startedBy, undefined, t.containers));
      }
    }
    return {
      name: spec.name,
      arn: arn.cluster(spec.name),
      ...(spec.kmsKeyId === undefined ? {} : { kmsKeyId: spec.kmsKeyId }),
      sandbox,
      services,
      tasks,
      spec,
    };
  });
  return { region: file.region, accountId: file.accountId, clusters, startedAtMs };
}

/** Expands `${workdir}` and `${sandbox}` (the only variables the cluster file accepts). */
export function expandEnv(
  env: Readonly<Record<string, string>>,
  values: { readonly workdir: string; readonly sandbox: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = value.replace(/\$\{(workdir|sandbox)\}/g, (_, v: 'workdir' | 'sandbox') => values[v]);
  }
  return out;
}

/**
 * The argv prefix and environment a container's sessions run with: none for a PTY container;
 * `docker exec -i [-e NAME…] CONTAINER` for a Docker one, forwarding the configured variables by
 * name so their values never appear in an argv.
 */
export function launchOf(container: LocalContainer): { readonly argvPrefix?: readonly string[] } {
  if (container.docker === undefined) return {};
  const forwarded = Object.keys(container.env).flatMap((name) => ['-e', name]);
  return { argvPrefix: ['docker', 'exec', '-i', ...forwarded, container.docker] };
}

function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function digitsFrom(text: string, count: number): string {
  const n = BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  return (n % 10n ** BigInt(count)).toString().padStart(count, '0');
}
