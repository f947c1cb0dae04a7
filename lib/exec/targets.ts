/**
 * Targets: which containers of which RUNNING tasks a command runs in, and whether ECS Exec can
 * reach them (preflight).
 *
 * A selection is one task (ARN or id), a service's tasks, a family's, a `startedBy`'s, or a task
 * group's, narrowed by `pick`; the container is chosen by name, and must be named when a task has
 * several. ListTasks finds the tasks (paginated, `desiredStatus: RUNNING`); DescribeTasks (≤ 100
 * per call) gives their status, group, containers, runtime ids and the facts preflight reads.
 */
import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type ListTasksCommandInput,
  type Container as SdkContainer,
  type Task as SdkTask,
} from '@aws-sdk/client-ecs';
import { type Clock, systemClock } from '../shared/clock.ts';
import {
  awsErrorHint,
  type ClassifiedAwsError,
  classifyAwsError,
  type ErrorContext,
  ExecError,
  ExecUsageError,
  hintFor,
} from './errors.ts';
import { regionOf } from './internal/region.ts';
import type { ExecErrorInfo } from './result.ts';
import { type BackoffOptions, type RandomSource, withRetries } from './retry.ts';

/** How many of the matching tasks to run in. */
export type TargetPick = 'one' | 'all' | 'random' | number;

/** The keys that choose tasks; exactly one is given. */
export const SELECTOR_KEYS = ['task', 'service', 'family', 'startedBy', 'group'] as const;

/** What to run in, as a user writes it (CLI flags, a runbook step's `target`). */
export interface TargetSelector {
  /** Cluster name or ARN. @default 'default' (AWS's default cluster) */
  readonly cluster?: string;
  /** One task, by ARN or id. */
  readonly task?: string;
  /** The RUNNING tasks of a service. */
  readonly service?: string;
  /** The RUNNING tasks of a task definition family. */
  readonly family?: string;
  /** The RUNNING tasks started by this `startedBy`. */
  readonly startedBy?: string;
  /** The RUNNING tasks of a task group (a service's group is `service:<name>`). */
  readonly group?: string;
  /**
   * `one`: the first task by ARN order; `random`: one chosen at random; N: the first N by ARN
   * order; `all`: every match. `one`, `random` and N prefer tasks that pass preflight.
   *
   * @default 'one'
   */
  readonly pick?: TargetPick;
  /** The container's name; required when a task has several. */
  readonly container?: string;
}

/** One container of one RUNNING task, ready for ExecuteCommand. */
export interface ResolvedTarget {
  /** The cluster's name. */
  readonly cluster: string;
  readonly clusterArn: string;
  readonly taskArn: string;
  readonly taskId: string;
  readonly container: string;
  readonly containerArn: string;
  readonly runtimeId: string;
  /** `ecs:<clusterName>_<taskId>_<runtimeId>`, the SSM target (KMS encryption context). */
  readonly targetId: string;
  /** Why ECS Exec cannot reach this container (PreflightFailed); absent when preflight passed. */
  readonly preflightError?: ExecErrorInfo;
}

/** Dependencies of {@link resolveTargets}. */
export interface ResolveTargetsDeps {
  readonly ecs: ECSClient;
  /** @default systemClock */
  readonly clock?: Clock;
  /** For `pick: random` and backoff jitter. @default Math.random */
  readonly random?: RandomSource;
}

/** Options of {@link resolveTargets}. */
export interface ResolveTargetsOptions {
  /** Throttling/Server retries per ListTasks or DescribeTasks call. @default 5 */
  readonly maxRetries?: number;
  /** @default { baseMs: 200, capMs: 5_000 } */
  readonly backoff?: BackoffOptions;
  readonly signal?: AbortSignal;
}

const DEFAULTS = {
  maxRetries: 5,
  backoff: { baseMs: 200, capMs: 5_000 },
} as const satisfies ResolveTargetsOptions;

/** ECS's limit on task ARNs per DescribeTasks call. */
export const DESCRIBE_TASKS_BATCH = 100;

/** The name of the managed agent that ECS Exec needs. */
export const EXEC_AGENT_NAME = 'ExecuteCommandAgent';

/** The default cluster, when none is named (as AWS does). */
export const DEFAULT_CLUSTER = 'default';

/**
 * Checks a selector's shape, before any remote call; throws {@link ExecUsageError} naming what
 * was wrong, the value received and what is accepted.
 */
export function validateSelector(selector: TargetSelector): void {
  const given = SELECTOR_KEYS.filter((key) => selector[key] !== undefined);
  if (given.length !== 1) {
    throw new ExecUsageError(
      `A target selector needs exactly one of ${SELECTOR_KEYS.join(', ')}; received ${
        given.length === 0 ? 'none' : given.join(' and ')
      }`,
    );
  }
  for (const key of [...SELECTOR_KEYS, 'cluster', 'container'] as const) {
    const value = selector[key];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw new ExecUsageError(`Target ${key} must be a non-empty string; received ${JSON.stringify(value)}`);
    }
  }
  const pick = selector.pick;
  if (
    pick !== undefined &&
    pick !== 'one' &&
    pick !== 'all' &&
    pick !== 'random' &&
    !(typeof pick === 'number' && Number.isSafeInteger(pick) && pick >= 1)
  ) {
    throw new ExecUsageError(
      `Target pick must be one, all, random or a positive integer; received ${JSON.stringify(pick)}`,
    );
  }
}

/** Words for the selection in messages: `service api`, `task 0f3…`. */
export function describeSelection(selector: TargetSelector): string {
  const key = SELECTOR_KEYS.find((k) => selector[k] !== undefined);
  return key === undefined ? 'nothing' : `${key} ${selector[key]}`;
}

/** The last path segment of a task ARN (`…:task/<cluster>/<id>` or the old `…:task/<id>`), or the id itself. */
export function taskIdOf(taskArnOrId: string): string {
  const slash = taskArnOrId.lastIndexOf('/');
  return slash === -1 ? taskArnOrId : taskArnOrId.slice(slash + 1);
}

/** The cluster name of a cluster ARN (`…:cluster/<name>`), or the name itself. */
export function clusterNameOf(clusterArnOrName: string): string {
  const slash = clusterArnOrName.lastIndexOf('/');
  return clusterArnOrName.startsWith('arn:') && slash !== -1
    ? clusterArnOrName.slice(slash + 1)
    : clusterArnOrName;
}

/** The SSM target id of a container: `ecs:<clusterName>_<taskId>_<runtimeId>`. */
export function targetIdOf(clusterName: string, taskId: string, runtimeId: string): string {
  return `ecs:${clusterName}_${taskId}_${runtimeId}`;
}

/** The service a task belongs to, from its group (`service:<name>`). */
function serviceOf(task: SdkTask): string | undefined {
  return task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
}

/**
 * Why ECS Exec cannot reach `container` of `task`, or `undefined` when it can: exec must have been
 * enabled when the task started, and the container's ExecuteCommandAgent must be RUNNING.
 */
export function preflight(
  task: SdkTask,
  container: SdkContainer,
  clusterName: string,
): ExecErrorInfo | undefined {
  const taskId = taskIdOf(task.taskArn ?? '');
  const context: ErrorContext = {
    cluster: clusterName,
    taskId,
    container: container.name,
    service: serviceOf(task),
  };
  if (task.enableExecuteCommand !== true) {
    return {
      name: 'PreflightFailed',
      message: `ECS Exec is not enabled on task ${taskId} (enableExecuteCommand is ${String(task.enableExecuteCommand ?? false)})`,
      hint: hintFor('PreflightFailed', context).replace('<service>', context.service ?? '<service>'),
    };
  }
  const agent = container.managedAgents?.find((a) => a.name === EXEC_AGENT_NAME);
  if (agent?.lastStatus !== 'RUNNING') {
    const status = agent === undefined ? 'missing' : (agent.lastStatus ?? 'UNKNOWN');
    const reason = agent?.reason ? ` (${agent.reason})` : '';
    return {
      name: 'PreflightFailed',
      message: `The ${EXEC_AGENT_NAME} of container ${container.name} in task ${taskId} is ${status}${reason}, not RUNNING`,
      hint: hintFor('PreflightFailed.agent', { ...context, status }).replace(
        '<service>',
        context.service ?? '<service>',
      ),
    };
  }
  return undefined;
}

/**
 * The container of `task` to run in: the one named `wanted`, or the only one. Throws an
 * {@link ExecError} named InvalidParameterException (AWS's name for the same refusal) listing the
 * containers the task has when `wanted` is not among them, or when it has several and none was named.
 */
export function chooseContainer(task: SdkTask, wanted: string | undefined): SdkContainer {
  const containers = task.containers ?? [];
  const names = containers.map((c) => c.name ?? '?');
  const taskId = taskIdOf(task.taskArn ?? '');
  const listed = names.length === 0 ? 'none' : names.join(', ');
  if (wanted !== undefined) {
    const found = containers.find((c) => c.name === wanted);
    if (found) return found;
    throw new ExecError(
      'InvalidParameterException',
      `Container ${wanted} is not in task ${taskId}; its containers: ${listed}`,
      `Name one of the task's containers (${listed}) with --container or the step's \`container\`.`,
    );
  }
  const [only, ...others] = containers;
  if (only !== undefined && others.length === 0) return only;
  throw new ExecError(
    'InvalidParameterException',
    containers.length === 0
      ? `Task ${taskId} reports no containers`
      : `Task ${taskId} has ${containers.length} containers (${listed}) and none was named`,
    `Name the container with --container or the step's \`container\` (in a runbook, \`defaults.container\`): one of ${listed}.`,
  );
}

/**
 * Narrows candidates (sorted by task ARN) by `pick`. `one`, `random` and N prefer targets that
 * pass preflight, so "run it in one task" lands on a task that can run it; when none passes, they
 * pick among all, and the result record carries the PreflightFailed error.
 */
export function pickTargets(
  candidates: readonly ResolvedTarget[],
  pick: TargetPick,
  random: RandomSource,
): ResolvedTarget[] {
  if (pick === 'all') return [...candidates];
  const ready = candidates.filter((t) => t.preflightError === undefined);
  const pool =
    ready.length > 0
      ? [...ready, ...candidates.filter((t) => t.preflightError !== undefined)]
      : [...candidates];
  if (pick === 'random') {
    const from = ready.length > 0 ? ready : pool;
    const index = Math.min(from.length - 1, Math.floor(random() * from.length));
    const chosen = from[index];
    return chosen === undefined ? [] : [chosen];
  }
  const count = pick === 'one' ? 1 : pick;
  return pool.slice(0, count).sort((a, b) => compareArn(a.taskArn, b.taskArn));
}

function compareArn(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The target of one container of a RUNNING task, with its preflight verdict.
 *
 * @param cluster - the cluster asked for, when the task does not name its own
 */
export function resolvedTargetOf(task: SdkTask, container: SdkContainer, cluster: string): ResolvedTarget {
  const clusterArn = task.clusterArn ?? cluster;
  const clusterName = clusterNameOf(clusterArn);
  const taskArn = task.taskArn as string;
  const taskId = taskIdOf(taskArn);
  const runtimeId = container.runtimeId ?? '';
  const preflightError = preflight(task, container, clusterName);
  return {
    cluster: clusterName,
    clusterArn,
    taskArn,
    taskId,
    container: container.name ?? '',
    containerArn: container.containerArn ?? '',
    runtimeId,
    targetId: targetIdOf(clusterName, taskId, runtimeId),
    ...(preflightError ? { preflightError } : {}),
  };
}

/**
 * Resolves a selector to the containers to run in, in task ARN order, each with its preflight.
 *
 * Throws {@link ExecUsageError} for a malformed selector (before any remote call) and
 * {@link ExecError} for a failure of the whole selection: `NoTargets` when no RUNNING task
 * matches, InvalidParameterException for a missing or ambiguous container, and AWS's errors of
 * ListTasks/DescribeTasks (ClusterNotFoundException, AccessDeniedException…) with a hint.
 * ThrottlingException and ServerException are retried with backoff, at most `maxRetries` times.
 *
 * @example
 * const targets = await resolveTargets({ cluster: 'demo', service: 'api', pick: 'all' }, { ecs });
 */
export async function resolveTargets(
  selector: TargetSelector,
  deps: ResolveTargetsDeps,
  options: ResolveTargetsOptions = {},
): Promise<ResolvedTarget[]> {
  validateSelector(selector);
  const resolved = { ...DEFAULTS, ...options };
  const cluster = selector.cluster ?? DEFAULT_CLUSTER;
  const random = deps.random ?? Math.random;
  const selection = describeSelection(selector);

  const call = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await withRetries(send, {
        maxRetries: resolved.maxRetries,
        backoff: resolved.backoff,
        shouldRetry: (error) => classifyAwsError(error).retry === 'backoff',
        clock: deps.clock ?? systemClock,
        random,
        signal: resolved.signal,
      });
    } catch (error) {
      if (resolved.signal?.aborted) throw error;
      if ((error as { name?: unknown } | null)?.name === 'ServiceNotFoundException') {
        // ListTasks names a missing service so; for the user it is a selection that matched nothing.
        throw new ExecError(
          'NoTargets',
          `Service ${selector.service ?? '?'} was not found in cluster ${cluster} (ServiceNotFoundException: ${(error as Error).message})`,
          hintFor('NoTargets', { cluster, selection }),
          { cause: error },
        );
      }
      throw await selectionError(classifyAwsError(error), error);
    }
  };
  const selectionError = async (classified: ClassifiedAwsError, cause: unknown): Promise<ExecError> => {
    const context: ErrorContext = {
      cluster,
      region: await regionOf(deps.ecs),
      selection,
      retries: String(resolved.maxRetries),
    };
    return new ExecError(classified.name, classified.message, awsErrorHint(classified, context), { cause });
  };

  let tasks: SdkTask[];
  if (selector.task !== undefined) {
    const taskRef = selector.task;
    const out = await call(() =>
      deps.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskRef] }), {
        abortSignal: resolved.signal,
      }),
    );
    tasks = out.tasks ?? [];
    if (tasks.length === 0) {
      const failure = out.failures?.[0];
      const why = failure
        ? `${failure.reason ?? 'not found'}${failure.detail ? `: ${failure.detail}` : ''}`
        : 'not found';
      throw new ExecError(
        'NoTargets',
        `Task ${taskRef} was not found in cluster ${cluster} (${why})`,
        hintFor('NoTargets', { cluster, selection }),
      );
    }
  } else {
    const arns = await listTaskArns(deps.ecs, selector, cluster, call, resolved.signal);
    tasks = await describeTasks(deps.ecs, arns, cluster, call, resolved.signal);
  }

  const running = tasks
    .filter((t) => t.lastStatus === 'RUNNING' && t.taskArn !== undefined)
    .filter((t) => selector.group === undefined || t.group === selector.group)
    .sort((a, b) => compareArn(a.taskArn as string, b.taskArn as string));
  if (running.length === 0) {
    const notRunning = tasks.map((t) => `${taskIdOf(t.taskArn ?? '?')} is ${t.lastStatus ?? 'UNKNOWN'}`);
    const detail = selector.task !== undefined && notRunning.length > 0 ? ` (${notRunning.join('; ')})` : '';
    throw new ExecError(
      'NoTargets',
      `No RUNNING task matched ${selection} in cluster ${cluster}${detail}`,
      hintFor('NoTargets', { cluster, selection }),
    );
  }

  const candidates = running.map((task) =>
    resolvedTargetOf(task, chooseContainer(task, selector.container), cluster),
  );
  return pickTargets(candidates, selector.pick ?? 'one', random);
}

type Caller = <T>(send: () => Promise<T>) => Promise<T>;

async function listTaskArns(
  ecs: ECSClient,
  selector: TargetSelector,
  cluster: string,
  call: Caller,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const base: ListTasksCommandInput = {
    cluster,
    desiredStatus: 'RUNNING',
    maxResults: 100,
    ...(selector.service !== undefined ? { serviceName: selector.service } : {}),
    ...(selector.family !== undefined ? { family: selector.family } : {}),
    ...(selector.startedBy !== undefined ? { startedBy: selector.startedBy } : {}),
  };
  const arns: string[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  do {
    const input: ListTasksCommandInput = { ...base, ...(nextToken ? { nextToken } : {}) };
    const page = await call(() => ecs.send(new ListTasksCommand(input), { abortSignal: signal }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
    // A token seen before would loop forever: a broken endpoint, not a user mistake.
    if (nextToken !== undefined && seenTokens.has(nextToken)) {
      throw new Error(`ListTasks returned nextToken ${nextToken} twice; stopping pagination`);
    }
    if (nextToken !== undefined) seenTokens.add(nextToken);
  } while (nextToken);
  return arns;
}

async function describeTasks(
  ecs: ECSClient,
  arns: readonly string[],
  cluster: string,
  call: Caller,
  signal: AbortSignal | undefined,
): Promise<SdkTask[]> {
  const tasks: SdkTask[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_BATCH) {
    const batch = arns.slice(i, i + DESCRIBE_TASKS_BATCH);
    const out = await call(() =>
      ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }), { abortSignal: signal }),
    );
    tasks.push(...(out.tasks ?? []));
  }
  return tasks;
}
