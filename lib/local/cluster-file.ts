import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * The local cluster file: which clusters, services, tasks and containers the emulator serves.
 *
 * `parseClusterFile` reads YAML with source positions and validates it; `validateClusterConfig`
 * validates the same shape given as an object. Both report every problem at once in one
 * {@link ClusterFileError}, each problem with its `file:line:col`, the value received and what
 * is accepted. The result is a {@link ClusterFile} with defaults applied and fault references
 * resolved to task ids.
 *
 * Size: one schema's reader, where each key's check sits beside its message and its default;
 * split by key it would scatter a single table.
 *
 * @see runbooks/local/cluster.yaml, the examples' cluster file, with its format in comments
 * @see docs/local.md
 */

/** Where the examples' cluster file lives, relative to the repository root. */
export const DEFAULT_CLUSTER_FILE = 'runbooks/local/cluster.yaml';

/** Stable codes of cluster-file problems. */
export const CLUSTER_FILE_PROBLEM_CODES = [
  'YAML_SYNTAX',
  'UNKNOWN_KEY',
  'MISSING_KEY',
  'INVALID_TYPE',
  'INVALID_VALUE',
  'DUPLICATE_NAME',
  'WORKDIR_OUTSIDE_SANDBOX',
  'UNKNOWN_VARIABLE',
  'UNKNOWN_TASK',
  'UNKNOWN_CONTAINER',
] as const;

/** One of {@link CLUSTER_FILE_PROBLEM_CODES}. */
export type ClusterFileProblemCode = (typeof CLUSTER_FILE_PROBLEM_CODES)[number];

/** One thing wrong in a cluster file. */
export interface ClusterFileProblem {
  readonly code: ClusterFileProblemCode;
  /** What was wrong, the value received and what is accepted. */
  readonly message: string;
  /** Where in the document, e.g. `clusters[0].services[1].count`; empty for the whole document. */
  readonly path: string;
  /** 1-based line, when the input was YAML text. */
  readonly line?: number;
  /** 1-based column, when the input was YAML text. */
  readonly col?: number;
}

/** A cluster file (or config object) that could not be used; `problems` lists every reason. */
export class ClusterFileError extends Error {
  override readonly name = 'ClusterFileError';
  /** The file name the problems refer to (`<config>` for an in-memory object). */
  readonly file: string;
  readonly problems: readonly ClusterFileProblem[];

  constructor(file: string, problems: readonly ClusterFileProblem[], options?: ErrorOptions) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      `invalid cluster file ${file} (${count}):\n${problems.map((p) => formatClusterFileProblem(file, p)).join('\n')}`,
      options,
    );
    this.file = file;
    this.problems = problems;
  }
}

/** Prints a problem as `file:line:col: path: message`. */
export function formatClusterFileProblem(file: string, problem: ClusterFileProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.col ?? 1}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** A container of a local task. */
export interface ContainerSpec {
  readonly name: string;
  /**
   * The container's working directory, relative to its task's directory in the sandbox.
   *
   * @default - the container's name
   */
  readonly workdir: string;
  /** Environment variables, `${workdir}` and `${sandbox}` not yet expanded. */
  readonly env: Readonly<Record<string, string>>;
  /** A Docker container to run commands in with `docker exec` instead of a local PTY. */
  readonly docker?: string;
}

/** A service: `count` tasks of one task definition family. */
export interface ServiceSpec {
  readonly name: string;
  /** @default - the service name */
  readonly family: string;
  readonly count: number;
  readonly containers: readonly ContainerSpec[];
}

/** Standalone tasks (started by RunTask, not by a service). */
export interface StandaloneTaskSpec {
  readonly family: string;
  /** @default 1 */
  readonly count: number;
  readonly startedBy?: string;
  /** @default - `family:<family>`, as RunTask sets it */
  readonly group: string;
  readonly containers: readonly ContainerSpec[];
}

/** Fault modes of one cluster (docs/local.md). */
export interface ClusterFaults {
  /** ExecuteCommand answers TargetNotConnectedException for this long from a task's first call. */
  readonly targetNotConnectedForMs: number;
  /** Task ids whose tasks run without `enableExecuteCommand`. */
  readonly execDisabled: readonly string[];
  /** Task ids whose ExecuteCommandAgent is STOPPED. */
  readonly agentNotRunning: readonly string[];
  /** ExecuteCommand calls above this rate answer ThrottlingException; `null`: no limit. */
  readonly throttle: { readonly perSecond: number } | null;
  /** Container names ExecuteCommand is denied on (AccessDeniedException). */
  readonly denyContainers: readonly string[];
}

/** One local cluster. */
export interface ClusterSpec {
  readonly name: string;
  /** A KMS key id, alias or ARN: when set, every session runs the KMS handshake. */
  readonly kmsKeyId?: string;
  readonly services: readonly ServiceSpec[];
  readonly tasks: readonly StandaloneTaskSpec[];
  readonly faults: ClusterFaults;
}

/** A validated cluster file with defaults applied. */
export interface ClusterFile {
  readonly region: string;
  readonly accountId: string;
  readonly clusters: readonly ClusterSpec[];
}

/**
 * Faults as written in a cluster file or passed at runtime: `execDisabled` and
 * `agentNotRunning` take task ids or `<service or family>/<index>` references.
 */
export interface ClusterFaultsInput {
  readonly targetNotConnectedForMs?: number;
  readonly execDisabled?: readonly string[];
  readonly agentNotRunning?: readonly string[];
  readonly throttle?: { readonly perSecond: number } | null;
  readonly denyContainers?: readonly string[];
}

/** The shape of a cluster file before validation (what the YAML holds). */
export interface ClusterFileInput {
  readonly region: string;
  readonly accountId: string;
  readonly clusters: readonly {
    readonly name: string;
    readonly kmsKeyId?: string;
    readonly services?: readonly {
      readonly name: string;
      readonly family?: string;
      readonly count: number;
      readonly containers: readonly ContainerInput[];
    }[];
    readonly tasks?: readonly {
      readonly family: string;
      readonly count?: number;
      readonly startedBy?: string;
      readonly group?: string;
      readonly containers: readonly ContainerInput[];
    }[];
    readonly faults?: ClusterFaultsInput;
  }[];
}

/** A container as written in a cluster file. */
export interface ContainerInput {
  readonly name: string;
  readonly workdir?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly docker?: string;
}

/**
 * The deterministic id of a local task: the first 32 hex digits of the SHA-256 of
 * `<cluster>/<service or family>/<index>`.
 */
export function taskIdFor(cluster: string, serviceOrFamily: string, index: number): string {
  return createHash('sha256').update(`${cluster}/${serviceOrFamily}/${index}`).digest('hex').slice(0, 32);
}

/** Reads and validates a cluster file; rejects with {@link ClusterFileError}. */
export async function loadClusterFile(file: string): Promise<ClusterFile> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClusterFileError(
      file,
      [{ code: 'INVALID_VALUE', path: '', message: `cannot read the cluster file: ${reason}` }],
      { cause: error },
    );
  }
  return parseClusterFile(source, { file });
}

/** Options of {@link parseClusterFile}. */
export interface ParseClusterFileOptions {
  /**
   * The file name used in problems.
   *
   * @default '<cluster-file>'
   */
  readonly file?: string;
}

/** Parses and validates cluster-file YAML; throws {@link ClusterFileError} listing every problem. */
export function parseClusterFile(source: string, options: ParseClusterFileOptions = {}): ClusterFile {
  const file = options.file ?? '<cluster-file>';
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ClusterFileError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        const message = e.message.split('\n')[0] ?? e.message;
        return { code: 'YAML_SYNTAX', path: '', message, line, col };
      }),
    );
  }
  const locate: Locate = (at, key) => {
    const offset = offsetOf(doc.contents, at, key);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  return validate(doc.toJS({ maxAliasCount: 1000 }) as unknown, file, locate);
}

/** Options of {@link validateClusterConfig}. */
export interface ValidateClusterConfigOptions {
  /**
   * The name used in problems.
   *
   * @default '<config>'
   */
  readonly file?: string;
}

/** Validates a cluster file given as an object; throws {@link ClusterFileError}. */
export function validateClusterConfig(
  value: unknown,
  options: ValidateClusterConfigOptions = {},
): ClusterFile {
  return validate(value, options.file ?? '<config>', () => undefined);
}

/**
 * Validates faults for one cluster of a validated file (used to change faults at runtime).
 *
 * Unset fields keep `current`'s values.
 */
export function validateClusterFaults(
  file: ClusterFile,
  clusterName: string,
  input: unknown,
  current?: ClusterFaults,
): ClusterFaults {
  const cluster = file.clusters.find((c) => c.name === clusterName);
  const v = new Validator('<faults>', () => undefined);
  if (!cluster) {
    throw new ClusterFileError('<faults>', [
      {
        code: 'INVALID_VALUE',
        path: '',
        message: `no cluster named ${JSON.stringify(clusterName)}; accepted: ${file.clusters.map((c) => JSON.stringify(c.name)).join(', ')}`,
      },
    ]);
  }
  const faults = v.faults(input, [], cluster, current ?? cluster.faults);
  v.throwIfAny();
  return faults;
}

type PathSegment = string | number;
type Position = { readonly line: number; readonly col: number };
type Locate = (at: readonly PathSegment[], key: boolean) => Position | undefined;

/** The source offset of the node at `at` (of its key when `key`), or of its nearest ancestor. */
function offsetOf(root: unknown, at: readonly PathSegment[], key: boolean): number | undefined {
  let node: unknown = root;
  let best = rangeStart(root);
  for (let i = 0; i < at.length; i++) {
    const segment = at[i];
    const last = i === at.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return best;
      if (last && key) return rangeStart(pair.key) ?? best;
      node = pair.value;
      // An empty value (`key:`) has no node; point at the key instead.
      best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      best = rangeStart(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: readonly number[] | null }).range;
    return range?.[0];
  }
  return undefined;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const NAME_ACCEPTED = '1 to 255 letters, digits, hyphens or underscores';
const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOCKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_ID = /^\d{12}$/;
const KMS_KEY =
  /^(alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+)$/;
const VARIABLE = /\$\{([^}]*)\}/g;
const ENV_VARIABLES = ['workdir', 'sandbox'];
const MAX_COUNT = 10_000;
const MAX_FAULT_MS = 24 * 3600 * 1000;

function validate(value: unknown, file: string, locate: Locate): ClusterFile {
  const v = new Validator(file, locate);
  const result = v.file(value);
  v.throwIfAny();
  if (!result) throw new ClusterFileError(file, [{ code: 'INVALID_TYPE', path: '', message: 'empty file' }]);
  return result;
}

/** Collects problems while turning an unknown value into a {@link ClusterFile}. */
class Validator {
  readonly problems: ClusterFileProblem[] = [];
  private readonly fileName: string;
  private readonly locate: Locate;

  constructor(fileName: string, locate: Locate) {
    this.fileName = fileName;
    this.locate = locate;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new ClusterFileError(this.fileName, this.problems);
  }

  report(
    code: ClusterFileProblemCode,
    at: readonly PathSegment[],
    what: string,
    detail?: { received?: unknown; accepted?: string; key?: boolean },
  ): void {
    let message = what;
    if (detail && 'received' in detail) message += `; received ${describe(detail.received)}`;
    if (detail?.accepted) message += `; accepted: ${detail.accepted}`;
    const pos = this.locate(at, detail?.key ?? false);
    this.problems.push({ code, message, path: formatPath(at), line: pos?.line, col: pos?.col });
  }

  file(value: unknown): ClusterFile | undefined {
    if (value === null || value === undefined) {
      this.report('INVALID_TYPE', [], 'the cluster file is empty', {
        accepted: 'a mapping with region, accountId and clusters',
      });
      return undefined;
    }
    const o = this.object(
      value,
      [],
      ['region', 'accountId', 'clusters'],
      ['region', 'accountId', 'clusters'],
    );
    if (!o) return undefined;
    const region = this.string(o.region, ['region'], REGION, 'an AWS region name such as eu-west-1');
    const accountId = this.string(
      o.accountId,
      ['accountId'],
      ACCOUNT_ID,
      'a quoted 12-digit string such as "000000000000"',
    );
    const clusters = this.list(o.clusters, ['clusters'], 1).map(([item, at]) => this.cluster(item, at));
    this.unique(
      named(clusters, (c) => c.name, ['clusters'], 'name'),
      'cluster name',
    );
    if (region === undefined || accountId === undefined) return undefined;
    return { region, accountId, clusters: defined(clusters) };
  }

  cluster(value: unknown, at: readonly PathSegment[]): ClusterSpec | undefined {
    const o = this.object(value, at, ['name', 'kmsKeyId', 'services', 'tasks', 'faults'], ['name']);
    if (!o) return undefined;
    const name = this.string(o.name, [...at, 'name'], NAME, NAME_ACCEPTED);
    const kmsKeyId =
      o.kmsKeyId === undefined
        ? undefined
        : this.string(
            o.kmsKeyId,
            [...at, 'kmsKeyId'],
            KMS_KEY,
            'a KMS key id, alias/<name>, or key or alias ARN',
          );
    const allServices = this.list(o.services ?? [], [...at, 'services'], 0).map(([item, itemAt]) =>
      this.service(item, itemAt),
    );
    const allTasks = this.list(o.tasks ?? [], [...at, 'tasks'], 0).map(([item, itemAt]) =>
      this.standalone(item, itemAt),
    );
    // Service names and standalone families share one namespace: both feed the task ids.
    this.unique(
      [
        ...named(allServices, (s) => s.name, [...at, 'services'], 'name'),
        ...named(allTasks, (t) => t.family, [...at, 'tasks'], 'family'),
      ],
      'service name or standalone task family',
    );
    if (name === undefined) return undefined;
    const services = defined(allServices);
    const tasks = defined(allTasks);
    const partial = { name, services, tasks };
    const faults = this.faults(o.faults ?? {}, [...at, 'faults'], partial, NO_FAULTS);
    return { name, ...(kmsKeyId === undefined ? {} : { kmsKeyId }), services, tasks, faults };
  }

  service(value: unknown, at: readonly PathSegment[]): ServiceSpec | undefined {
    const o = this.object(
      value,
      at,
      ['name', 'family', 'count', 'containers'],
      ['name', 'count', 'containers'],
    );
    if (!o) return undefined;
    const name = this.string(o.name, [...at, 'name'], NAME, NAME_ACCEPTED);
    const family =
      o.family === undefined ? name : this.string(o.family, [...at, 'family'], NAME, NAME_ACCEPTED);
    const count = this.integer(o.count, [...at, 'count'], 0, MAX_COUNT);
    const containers = this.containers(o.containers, [...at, 'containers']);
    if (name === undefined || family === undefined || count === undefined || !containers) return undefined;
    return { name, family, count, containers };
  }

  standalone(value: unknown, at: readonly PathSegment[]): StandaloneTaskSpec | undefined {
    const o = this.object(
      value,
      at,
      ['family', 'count', 'startedBy', 'group', 'containers'],
      ['family', 'containers'],
    );
    if (!o) return undefined;
    const family = this.string(o.family, [...at, 'family'], NAME, NAME_ACCEPTED);
    const count = o.count === undefined ? 1 : this.integer(o.count, [...at, 'count'], 1, MAX_COUNT);
    const startedBy =
      o.startedBy === undefined
        ? undefined
        : this.string(
            o.startedBy,
            [...at, 'startedBy'],
            STARTED_BY,
            '1 to 128 letters, digits, hyphens, underscores or slashes',
          );
    const group =
      o.group === undefined
        ? `family:${family}`
        : this.string(o.group, [...at, 'group'], /^.{1,255}$/, 'a string of 1 to 255 characters');
    const containers = this.containers(o.containers, [...at, 'containers']);
    if (family === undefined || count === undefined || group === undefined || !containers) return undefined;
    return { family, count, ...(startedBy === undefined ? {} : { startedBy }), group, containers };
  }

  containers(value: unknown, at: readonly PathSegment[]): ContainerSpec[] | undefined {
    if (value === undefined) return undefined;
    const items = this.list(value, at, 1);
    const containers = items.map(([item, itemAt]) => this.container(item, itemAt));
    this.unique(
      named(containers, (c) => c.name, at, 'name'),
      'container name in a task',
    );
    if (items.length === 0 || containers.some((c) => c === undefined)) return undefined;
    return containers as ContainerSpec[];
  }

  container(value: unknown, at: readonly PathSegment[]): ContainerSpec | undefined {
    const o = this.object(value, at, ['name', 'workdir', 'env', 'docker'], ['name']);
    if (!o) return undefined;
    const name = this.string(o.name, [...at, 'name'], NAME, NAME_ACCEPTED);
    const workdir = o.workdir === undefined ? name : this.workdir(o.workdir, [...at, 'workdir']);
    const env = this.env(o.env ?? {}, [...at, 'env']);
    const docker =
      o.docker === undefined
        ? undefined
        : this.string(o.docker, [...at, 'docker'], DOCKER_NAME, 'a Docker container name or id');
    if (name === undefined || workdir === undefined || env === undefined) return undefined;
    if (o.docker !== undefined && docker === undefined) return undefined;
    return { name, workdir, env, ...(docker === undefined ? {} : { docker }) };
  }

  workdir(value: unknown, at: readonly PathSegment[]): string | undefined {
    const accepted = 'a relative path inside the task directory, such as api or api/current';
    const raw = this.string(value, at, /^[^\0]+$/, accepted);
    if (raw === undefined) return undefined;
    const normal = path.posix.normalize(raw.replaceAll('\\', '/'));
    if (
      path.posix.isAbsolute(normal) ||
      path.win32.isAbsolute(raw) ||
      normal === '..' ||
      normal.startsWith('../')
    ) {
      this.report('WORKDIR_OUTSIDE_SANDBOX', at, 'workdir leaves the sandbox', { received: raw, accepted });
      return undefined;
    }
    return normal.replace(/\/$/, '');
  }

  env(value: unknown, at: readonly PathSegment[]): Record<string, string> | undefined {
    if (!isRecord(value)) {
      this.report('INVALID_TYPE', at, 'env must be a mapping', {
        received: value,
        accepted: 'a mapping of variable names to strings',
      });
      return undefined;
    }
    const env: Record<string, string> = {};
    let ok = true;
    for (const [name, raw] of Object.entries(value)) {
      if (!ENV_NAME.test(name)) {
        this.report('INVALID_VALUE', [...at, name], 'invalid environment variable name', {
          received: name,
          accepted: 'a name matching [A-Za-z_][A-Za-z0-9_]*',
          key: true,
        });
        ok = false;
        continue;
      }
      if (typeof raw !== 'string') {
        const quoted = raw === null || typeof raw === 'object' ? '' : `; quote it: "${String(raw)}"`;
        this.report('INVALID_TYPE', [...at, name], `environment values are strings${quoted}`, {
          received: raw,
          accepted: 'a string',
        });
        ok = false;
        continue;
      }
      for (const match of raw.matchAll(VARIABLE)) {
        if (!ENV_VARIABLES.includes(match[1] ?? '')) {
          this.report('UNKNOWN_VARIABLE', [...at, name], `unknown variable ${match[0]}`, {
            received: raw,
            accepted: ENV_VARIABLES.map((n) => `$\{${n}}`).join(' and '),
          });
          ok = false;
        }
      }
      env[name] = raw;
    }
    return ok ? env : undefined;
  }

  faults(
    value: unknown,
    at: readonly PathSegment[],
    cluster: Pick<ClusterSpec, 'name' | 'services' | 'tasks'>,
    base: ClusterFaults,
  ): ClusterFaults {
    const keys = ['targetNotConnectedForMs', 'execDisabled', 'agentNotRunning', 'throttle', 'denyContainers'];
    const o = this.object(value, at, keys, []);
    if (!o) return base;
    const targetNotConnectedForMs =
      o.targetNotConnectedForMs === undefined
        ? base.targetNotConnectedForMs
        : (this.integer(o.targetNotConnectedForMs, [...at, 'targetNotConnectedForMs'], 0, MAX_FAULT_MS) ??
          base.targetNotConnectedForMs);
    const refs = taskReferences(cluster);
    const tasks = (key: 'execDisabled' | 'agentNotRunning'): readonly string[] => {
      if (o[key] === undefined) return base[key];
      const ids: string[] = [];
      for (const [item, itemAt] of this.list(o[key], [...at, key], 0)) {
        const ref = this.string(item, itemAt, /^.+$/, 'a task id or <service or family>/<index>');
        if (ref === undefined) continue;
        const id = refs.get(ref);
        if (id === undefined) {
          this.report('UNKNOWN_TASK', itemAt, `no task ${JSON.stringify(ref)} in cluster ${cluster.name}`, {
            received: ref,
            accepted: `a task id of this cluster or <service or family>/<index>, such as ${[...refs.keys()].find((k) => k.includes('/')) ?? 'api/0'}`,
          });
        } else if (!ids.includes(id)) {
          ids.push(id);
        }
      }
      return ids;
    };
    const execDisabled = tasks('execDisabled');
    const agentNotRunning = tasks('agentNotRunning');
    let throttle = base.throttle;
    if (o.throttle !== undefined) {
      if (o.throttle === null) {
        throttle = null;
      } else {
        const t = this.object(o.throttle, [...at, 'throttle'], ['perSecond'], ['perSecond']);
        const perSecond = t ? this.number(t.perSecond, [...at, 'throttle', 'perSecond'], 0, 1e6) : undefined;
        if (perSecond !== undefined) throttle = { perSecond };
      }
    }
    let denyContainers = base.denyContainers;
    if (o.denyContainers !== undefined) {
      const names = new Set(
        [...cluster.services, ...cluster.tasks].flatMap((s) => s.containers.map((c) => c.name)),
      );
      denyContainers = [];
      for (const [item, itemAt] of this.list(o.denyContainers, [...at, 'denyContainers'], 0)) {
        const name = this.string(item, itemAt, NAME, NAME_ACCEPTED);
        if (name === undefined) continue;
        if (!names.has(name)) {
          this.report('UNKNOWN_CONTAINER', itemAt, `no container named ${name} in cluster ${cluster.name}`, {
            received: name,
            accepted: [...names].join(', ') || 'none: the cluster has no containers',
          });
        } else if (!denyContainers.includes(name)) {
          denyContainers = [...denyContainers, name];
        }
      }
    }
    return { targetNotConnectedForMs, execDisabled, agentNotRunning, throttle, denyContainers };
  }

  object(
    value: unknown,
    at: readonly PathSegment[],
    allowed: readonly string[],
    required: readonly string[],
  ): Record<string, unknown> | undefined {
    if (!isRecord(value)) {
      this.report('INVALID_TYPE', at, 'expected a mapping', {
        received: value,
        accepted: `a mapping with ${allowed.join(', ')}`,
      });
      return undefined;
    }
    // Report unknown and missing keys but keep going, so one run lists every problem; the
    // field checks stay silent on `undefined`, which is reported here once.
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.report('UNKNOWN_KEY', [...at, key], `unknown key ${JSON.stringify(key)}`, {
          accepted: allowed.join(', '),
          key: true,
        });
      }
    }
    for (const key of required) {
      if (value[key] === undefined) {
        this.report('MISSING_KEY', at, `missing required key ${JSON.stringify(key)}`, {
          accepted: `a mapping with ${required.join(', ')}`,
        });
      }
    }
    return value;
  }

  list(value: unknown, at: readonly PathSegment[], min: number): [unknown, PathSegment[]][] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report('INVALID_TYPE', at, 'expected a list', { received: value, accepted: 'a list' });
      return [];
    }
    if (value.length < min) {
      this.report('INVALID_VALUE', at, 'the list is empty', {
        received: value,
        accepted: `a list of at least ${min}`,
      });
    }
    return value.map((item, i) => [item, [...at, i]]);
  }

  string(value: unknown, at: readonly PathSegment[], pattern: RegExp, accepted: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.report('INVALID_TYPE', at, 'expected a string', { received: value, accepted });
      return undefined;
    }
    if (!pattern.test(value)) {
      this.report('INVALID_VALUE', at, 'invalid value', { received: value, accepted });
      return undefined;
    }
    return value;
  }

  integer(value: unknown, at: readonly PathSegment[], min: number, max: number): number | undefined {
    const accepted = `an integer from ${min} to ${max}`;
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.report('INVALID_TYPE', at, 'expected an integer', { received: value, accepted });
      return undefined;
    }
    if (value < min || value > max) {
      this.report('INVALID_VALUE', at, 'out of range', { received: value, accepted });
      return undefined;
    }
    return value;
  }

  number(value: unknown, at: readonly PathSegment[], above: number, max: number): number | undefined {
    const accepted = `a number above ${above}, at most ${max}`;
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.report('INVALID_TYPE', at, 'expected a number', { received: value, accepted });
      return undefined;
    }
    if (value <= above || value > max) {
      this.report('INVALID_VALUE', at, 'out of range', { received: value, accepted });
      return undefined;
    }
    return value;
  }

  unique(entries: readonly (readonly [string, readonly PathSegment[]])[], what: string): void {
    const seen = new Map<string, readonly PathSegment[]>();
    for (const [name, at] of entries) {
      const first = seen.get(name);
      if (first) {
        this.report(
          'DUPLICATE_NAME',
          at,
          `duplicate ${what} ${JSON.stringify(name)}, first at ${formatPath(first)}`,
          {
            received: name,
            accepted: `a ${what} used once`,
          },
        );
      } else {
        seen.set(name, at);
      }
    }
  }
}

/** The names of the defined entries of `items`, each with its path, for {@link Validator.unique}. */
function named<T>(
  items: readonly (T | undefined)[],
  nameOf: (item: T) => string,
  at: readonly PathSegment[],
  key: string,
): (readonly [string, readonly PathSegment[]])[] {
  return items.flatMap((item, i) => (item === undefined ? [] : [[nameOf(item), [...at, i, key]] as const]));
}

function defined<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

const NO_FAULTS: ClusterFaults = {
  targetNotConnectedForMs: 0,
  execDisabled: [],
  agentNotRunning: [],
  throttle: null,
  denyContainers: [],
};

/** Every way a fault entry may name a task: its id, or `<service or family>/<index>`. */
function taskReferences(cluster: Pick<ClusterSpec, 'name' | 'services' | 'tasks'>): Map<string, string> {
  const refs = new Map<string, string>();
  const groups = [
    ...cluster.services.map((s) => [s.name, s.count] as const),
    ...cluster.tasks.map((t) => [t.family, t.count] as const),
  ];
  for (const [key, count] of groups) {
    for (let i = 0; i < count; i++) {
      const id = taskIdFor(cluster.name, key, i);
      refs.set(id, id);
      refs.set(`${key}/${i}`, id);
    }
  }
  return refs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(at: readonly PathSegment[]): string {
  let out = '';
  for (const segment of at) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `${shown} (a ${typeof value})`;
}
