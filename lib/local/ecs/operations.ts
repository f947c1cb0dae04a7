import { EcsApiError, MESSAGES } from './errors.ts';
import type { FaultState } from './faults.ts';
import type { LocalCluster, LocalService, LocalTask, LocalWorld } from './model.ts';
import { arns, launchOf } from './model.ts';
import type { EcsOperation, SessionFactory } from './types.ts';

/**
 * The seven ECS operations, on JSON values shaped as AWS's API reference shapes them. Each takes
 * the decoded request body and returns the response body, or throws {@link EcsApiError}.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations.html
 */

/** Per-request facts outside the body. */
export interface RequestContext {
  /** The caller's IAM principal ARN (from the SigV4 credential scope). */
  readonly principal: string;
}

/** Everything an operation reads. */
export interface OperationDeps {
  readonly world: LocalWorld;
  readonly faults: FaultState;
  readonly agent: SessionFactory;
  readonly now: () => number;
}

type Json = Record<string, unknown>;
type Operation = (input: Json, context: RequestContext) => Promise<Json> | Json;

const DEFAULT_CLUSTER = 'default';
const EXEC_AGENT = 'ExecuteCommandAgent';

/** Builds the operation table over `deps`. */
export function createOperations(deps: OperationDeps): Record<EcsOperation, Operation> {
  const { world, faults, agent, now } = deps;
  const arn = arns(world.region, world.accountId);
  const clusterArnPrefix = arn.cluster('');
  const taskArnPrefix = `arn:aws:ecs:${world.region}:${world.accountId}:task/`;
  const seconds = (ms: number) => ms / 1000;

  const findCluster = (input: Json): LocalCluster => {
    const ref = optionalString(input, 'cluster') ?? DEFAULT_CLUSTER;
    const cluster = lookupCluster(ref);
    if (!cluster) throw new EcsApiError('ClusterNotFoundException', MESSAGES.clusterNotFound);
    return cluster;
  };
  const lookupCluster = (ref: string): LocalCluster | undefined => {
    const name = ref.startsWith('arn:')
      ? ref.startsWith(clusterArnPrefix)
        ? ref.slice(clusterArnPrefix.length)
        : ''
      : ref;
    return world.clusters.find((c) => c.name === name);
  };
  /** The task `ref` (id or ARN) names in `cluster`; an ARN of another cluster names none. */
  const lookupTask = (cluster: LocalCluster, ref: string): LocalTask | undefined => {
    let id = ref;
    if (ref.startsWith('arn:')) {
      if (!ref.startsWith(taskArnPrefix)) return undefined;
      const rest = ref.slice(taskArnPrefix.length).split('/');
      if (rest.length !== 2 || rest[0] !== cluster.name) return undefined;
      id = rest[1] ?? '';
    }
    return cluster.tasks.find((t) => t.id === id);
  };
  const execEnabled = (cluster: LocalCluster, task: LocalTask) =>
    !(faults.get(cluster.name)?.execDisabled ?? []).includes(task.id);
  const agentRunning = (cluster: LocalCluster, task: LocalTask) =>
    !(faults.get(cluster.name)?.agentNotRunning ?? []).includes(task.id);

  const describeTask = (cluster: LocalCluster, task: LocalTask): Json => {
    const enabled = execEnabled(cluster, task);
    const running = agentRunning(cluster, task);
    const started = seconds(world.startedAtMs);
    return {
      taskArn: task.arn,
      clusterArn: cluster.arn,
      taskDefinitionArn: task.taskDefinitionArn,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: task.group,
      ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
      enableExecuteCommand: enabled,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      availabilityZone: `${world.region}a`,
      connectivity: 'CONNECTED',
      connectivityAt: started,
      createdAt: started,
      pullStartedAt: started,
      pullStoppedAt: started,
      startedAt: started,
      healthStatus: 'UNKNOWN',
      cpu: '256',
      memory: '512',
      version: 1,
      attachments: [],
      attributes: [],
      tags: [],
      overrides: {
        containerOverrides: task.containers.map((c) => ({ name: c.name })),
        inferenceAcceleratorOverrides: [],
      },
      containers: task.containers.map((c) => ({
        containerArn: c.arn,
        taskArn: task.arn,
        name: c.name,
        image: c.docker === undefined ? 'local/pty' : `docker:${c.docker}`,
        runtimeId: c.runtimeId,
        lastStatus: 'RUNNING',
        healthStatus: 'UNKNOWN',
        networkInterfaces: [],
        cpu: '0',
        // A task run without enableExecuteCommand has no ExecuteCommandAgent at all, as on AWS.
        managedAgents: enabled
          ? [{ name: EXEC_AGENT, lastStatus: running ? 'RUNNING' : 'STOPPED', lastStartedAt: started }]
          : [],
      })),
    };
  };

  const describeService = (cluster: LocalCluster, service: LocalService): Json => {
    const created = seconds(world.startedAtMs);
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: cluster.arn,
      status: 'ACTIVE',
      desiredCount: service.desiredCount,
      runningCount: service.taskIds.length,
      pendingCount: 0,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: service.taskDefinitionArn,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      enableExecuteCommand: true,
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      createdAt: created,
      loadBalancers: [],
      serviceRegistries: [],
      events: [],
      deployments: [
        {
          id: `ecs-svc/${service.taskIds[0]?.slice(0, 19) ?? '0'}`,
          status: 'PRIMARY',
          taskDefinition: service.taskDefinitionArn,
          desiredCount: service.desiredCount,
          runningCount: service.taskIds.length,
          pendingCount: 0,
          failedTasks: 0,
          launchType: 'FARGATE',
          rolloutState: 'COMPLETED',
          createdAt: created,
          updatedAt: created,
        },
      ],
    };
  };

  return {
    ExecuteCommand: async (input, context) => {
      const command = optionalString(input, 'command');
      const taskRef = optionalString(input, 'task');
      const containerRef = optionalString(input, 'container');
      const interactive = input.interactive;
      if (interactive !== undefined && typeof interactive !== 'boolean') {
        throw new EcsApiError('SerializationException', 'interactive must be a boolean');
      }
      if (interactive !== true) throw new EcsApiError('InvalidParameterException', MESSAGES.interactiveOnly);
      if (command === undefined || command.trim() === '') {
        throw new EcsApiError('InvalidParameterException', 'Command can not be empty.');
      }
      if (taskRef === undefined || taskRef === '') {
        throw new EcsApiError('InvalidParameterException', 'Task can not be blank.');
      }
      const cluster = findCluster(input);
      if (faults.throttled(cluster.name, now())) {
        throw new EcsApiError('ThrottlingException', MESSAGES.rateExceeded);
      }
      const idLength = taskRef.startsWith('arn:') ? 32 : taskRef.length;
      if (idLength !== 32 && idLength !== 36)
        throw new EcsApiError('InvalidParameterException', MESSAGES.taskIdLength);
      const task = lookupTask(cluster, taskRef);
      if (!task) {
        throw new EcsApiError(
          'InvalidParameterException',
          `The specified task was not found in cluster ${cluster.name}: ${taskRef}.`,
        );
      }
      const names = task.containers.map((c) => c.name).join(', ');
      let container = task.containers[0];
      if (containerRef !== undefined) {
        container = task.containers.find((c) => c.name === containerRef);
        if (!container) {
          throw new EcsApiError(
            'InvalidParameterException',
            `The container ${containerRef} does not exist in the task. The task's containers: ${names}.`,
          );
        }
      } else if (task.containers.length > 1) {
        throw new EcsApiError(
          'InvalidParameterException',
          `The task has more than one container; specify the container to run the command in: ${names}.`,
        );
      }
      if (!container) throw new EcsApiError('ServerException', 'the task has no containers');
      if ((faults.get(cluster.name)?.denyContainers ?? []).includes(container.name)) {
        throw new EcsApiError(
          'AccessDeniedException',
          `User: ${context.principal} is not authorized to perform: ecs:ExecuteCommand on resource: ${task.arn} with an explicit deny in an identity-based policy`,
        );
      }
      if (!execEnabled(cluster, task) || !agentRunning(cluster, task)) {
        throw new EcsApiError('InvalidParameterException', MESSAGES.execNotEnabled);
      }
      if (faults.notConnected(cluster.name, task.id, now())) {
        throw new EcsApiError('TargetNotConnectedException', MESSAGES.targetNotConnected);
      }
      const targetId = `ecs:${cluster.name}_${task.id}_${container.runtimeId}`;
      const session = await agent.createSession({
        command,
        workdir: container.workdir,
        env: container.env,
        targetId,
        ...(cluster.kmsKeyId === undefined ? {} : { kms: { keyId: cluster.kmsKeyId, targetId } }),
        ...launchOf(container),
      });
      return {
        clusterArn: cluster.arn,
        containerArn: container.arn,
        containerName: container.name,
        interactive: true,
        session: {
          sessionId: session.sessionId,
          streamUrl: session.streamUrl,
          tokenValue: session.tokenValue,
        },
        taskArn: task.arn,
      };
    },

    DescribeTasks: (input) => {
      const cluster = findCluster(input);
      const refs = stringList(input, 'tasks');
      if (refs === undefined || refs.length === 0) {
        throw new EcsApiError('InvalidParameterException', 'Tasks cannot be empty.');
      }
      if (refs.length > 100) {
        throw new EcsApiError(
          'InvalidParameterException',
          `Too many tasks were provided: ${refs.length}. A DescribeTasks request accepts at most 100.`,
        );
      }
      checkInclude(input, ['TAGS']);
      const tasks: Json[] = [];
      const failures: Json[] = [];
      const seen = new Set<string>();
      for (const ref of refs) {
        const task = lookupTask(cluster, ref);
        if (task) {
          if (!seen.has(task.id)) tasks.push(describeTask(cluster, task));
          seen.add(task.id);
        } else {
          failures.push({
            arn: ref.startsWith('arn:') ? ref : arn.task(cluster.name, ref),
            reason: 'MISSING',
          });
        }
      }
      return { tasks, failures };
    },

    ListTasks: (input) => {
      const cluster = findCluster(input);
      const serviceName = optionalString(input, 'serviceName');
      const family = optionalString(input, 'family');
      const startedBy = optionalString(input, 'startedBy');
      const containerInstance = optionalString(input, 'containerInstance');
      const desiredStatus = optionalString(input, 'desiredStatus') ?? 'RUNNING';
      const launchType = optionalString(input, 'launchType');
      if (
        startedBy !== undefined &&
        (serviceName !== undefined || family !== undefined || containerInstance !== undefined)
      ) {
        throw new EcsApiError(
          'InvalidParameterException',
          'When you specify startedBy as the filter, it must be the only filter that you use.',
        );
      }
      oneOf('desiredStatus', desiredStatus, ['RUNNING', 'PENDING', 'STOPPED']);
      if (launchType !== undefined)
        oneOf('launchType', launchType, ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']);
      let tasks = cluster.tasks;
      if (serviceName !== undefined) {
        const service = cluster.services.find((s) => s.name === serviceName || s.arn === serviceName);
        if (!service) throw new EcsApiError('ServiceNotFoundException', MESSAGES.serviceNotFound);
        tasks = tasks.filter((t) => t.serviceName === service.name);
      }
      if (family !== undefined) tasks = tasks.filter((t) => t.family === family);
      if (startedBy !== undefined) tasks = tasks.filter((t) => t.startedBy === startedBy);
      // Every local task is a RUNNING Fargate task that no container instance hosts.
      if (containerInstance !== undefined || desiredStatus !== 'RUNNING') tasks = [];
      if (launchType !== undefined && launchType !== 'FARGATE') tasks = [];
      const page = paginate(
        tasks.map((t) => t.arn),
        input,
        100,
        JSON.stringify([
          cluster.name,
          serviceName,
          family,
          startedBy,
          containerInstance,
          desiredStatus,
          launchType,
        ]),
      );
      return { taskArns: page.items, ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) };
    },

    DescribeClusters: (input) => {
      const refs = stringList(input, 'clusters') ?? [DEFAULT_CLUSTER];
      if (refs.length > 100) {
        throw new EcsApiError(
          'InvalidParameterException',
          `Too many clusters were provided: ${refs.length}. A DescribeClusters request accepts at most 100.`,
        );
      }
      checkInclude(input, ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS']);
      const clusters: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs) {
        const cluster = lookupCluster(ref);
        if (!cluster) {
          failures.push({ arn: ref.startsWith('arn:') ? ref : arn.cluster(ref), reason: 'MISSING' });
          continue;
        }
        clusters.push({
          clusterArn: cluster.arn,
          clusterName: cluster.name,
          status: 'ACTIVE',
          registeredContainerInstancesCount: 0,
          runningTasksCount: cluster.tasks.length,
          pendingTasksCount: 0,
          activeServicesCount: cluster.services.length,
          statistics: [],
          tags: [],
          settings: [{ name: 'containerInsights', value: 'disabled' }],
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
          defaultCapacityProviderStrategy: [],
          ...(cluster.kmsKeyId === undefined
            ? {}
            : {
                configuration: {
                  executeCommandConfiguration: { kmsKeyId: cluster.kmsKeyId, logging: 'DEFAULT' },
                },
              }),
        });
      }
      return { clusters, failures };
    },

    ListClusters: (input) => {
      // What `aws ecs list-clusters` calls first; the cluster file's order, as ARNs.
      const page = paginate(
        world.clusters.map((c) => c.arn),
        input,
        100,
        'ListClusters',
      );
      return {
        clusterArns: page.items,
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    },

    ListServices: (input) => {
      const cluster = findCluster(input);
      const launchType = optionalString(input, 'launchType');
      const strategy = optionalString(input, 'schedulingStrategy');
      if (launchType !== undefined)
        oneOf('launchType', launchType, ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']);
      if (strategy !== undefined) oneOf('schedulingStrategy', strategy, ['REPLICA', 'DAEMON']);
      const keep =
        (launchType === undefined || launchType === 'FARGATE') &&
        (strategy === undefined || strategy === 'REPLICA');
      const page = paginate(
        keep ? cluster.services.map((s) => s.arn) : [],
        input,
        10,
        JSON.stringify([cluster.name, launchType, strategy]),
      );
      return {
        serviceArns: page.items,
        ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
      };
    },

    DescribeServices: (input) => {
      const cluster = findCluster(input);
      const refs = stringList(input, 'services');
      if (refs === undefined || refs.length === 0) {
        throw new EcsApiError('InvalidParameterException', 'Services cannot be empty.');
      }
      if (refs.length > 10) {
        throw new EcsApiError(
          'InvalidParameterException',
          `Too many services were provided: ${refs.length}. A DescribeServices request accepts at most 10.`,
        );
      }
      checkInclude(input, ['TAGS']);
      const services: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs) {
        const service = cluster.services.find((s) => s.name === ref || s.arn === ref);
        if (service) services.push(describeService(cluster, service));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : arn.service(cluster.name, ref),
            reason: 'MISSING',
          });
      }
      return { services, failures };
    },
  };
}

function optionalString(input: Json, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new EcsApiError(
      'SerializationException',
      `${key} must be a string; received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function stringList(input: Json, key: string): string[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new EcsApiError(
      'SerializationException',
      `${key} must be a list of strings; received ${JSON.stringify(value)}`,
    );
  }
  return value as string[];
}

function checkInclude(input: Json, accepted: readonly string[]): void {
  for (const value of stringList(input, 'include') ?? []) oneOf('include', value, accepted);
}

function oneOf(key: string, value: string, accepted: readonly string[]): void {
  if (!accepted.includes(value)) {
    throw new EcsApiError(
      'InvalidParameterException',
      `${key} ${JSON.stringify(value)} is not valid; accepted: ${accepted.join(', ')}.`,
    );
  }
}

/**
 * One page of `items`. The token carries the offset and a fingerprint of the filters, so a
 * token is only valid for the same request.
 */
function paginate(
  items: readonly string[],
  input: Json,
  defaultMax: number,
  fingerprint: string,
): { items: string[]; nextToken?: string } {
  const max = input.maxResults;
  if (
    max !== undefined &&
    max !== null &&
    (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100)
  ) {
    throw new EcsApiError(
      'InvalidParameterException',
      `maxResults must be an integer from 1 to 100; received ${JSON.stringify(max)}.`,
    );
  }
  const pageSize = typeof max === 'number' ? max : defaultMax;
  const token = optionalString(input, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (!decoded || decoded.f !== fingerprint || decoded.o > items.length) {
      throw new EcsApiError(
        'InvalidParameterException',
        'Invalid nextToken: it does not belong to this request.',
      );
    }
    offset = decoded.o;
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + page.length;
  return next < items.length
    ? { items: page, nextToken: encodeToken({ o: next, f: fingerprint }) }
    : { items: page };
}

function encodeToken(token: { o: number; f: string }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string): { o: number; f: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { o, f } = value as { o?: unknown; f?: unknown };
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 && typeof f === 'string'
      ? { o, f }
      : undefined;
  } catch {
    return undefined;
  }
}
