// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${workdir} and ${sandbox} are the cluster file's own syntax, not template slips
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  ExecuteCommandCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  ServerException,
  ServiceNotFoundException,
  TargetNotConnectedException,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterFileInput } from '../../lib/local/cluster-file.ts';
import { ClusterFileError, taskIdFor, validateClusterConfig } from '../../lib/local/cluster-file.ts';
import {
  buildWorld,
  type LocalEcsApi,
  type SessionFactory,
  type SessionRequest,
  startEcsApi,
} from '../../lib/local/ecs-api.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const SANDBOX = '/tmp/ecs-api-test-sandbox';
const T0 = 1_700_000_000_000;
const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';
const ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}`;

const CONFIG: ClusterFileInput = {
  region: REGION,
  accountId: ACCOUNT,
  clusters: [
    {
      name: 'demo',
      services: [
        {
          name: 'api',
          family: 'api',
          count: 3,
          containers: [
            { name: 'app', workdir: 'api', env: { DATA_DIR: '${workdir}/data', SHARED: '${sandbox}/s' } },
          ],
        },
        { name: 'worker', count: 2, containers: [{ name: 'app' }, { name: 'sidecar' }] },
      ],
      tasks: [{ family: 'batch', startedBy: 'nightly', group: 'nightly', containers: [{ name: 'app' }] }],
    },
    {
      name: 'secure',
      kmsKeyId: 'alias/exec',
      services: [{ name: 'api', count: 1, containers: [{ name: 'app' }] }],
    },
    {
      name: 'dock',
      services: [{ name: 'db', count: 1, containers: [{ name: 'pg', docker: 'pg1', env: { A: 'x' } }] }],
    },
  ],
};

const api0 = taskIdFor('demo', 'api', 0);
const worker0 = taskIdFor('demo', 'worker', 0);

/** Records what the ECS API asks of the agent and hands out a fake ticket. */
class RecordingAgent implements SessionFactory {
  readonly requests: SessionRequest[] = [];
  createSession(request: SessionRequest) {
    this.requests.push(request);
    const n = this.requests.length;
    return {
      sessionId: `session-${n}`,
      streamUrl: `ws://127.0.0.1:1/session-${n}`,
      tokenValue: `token-${n}`,
    };
  }
}

describe('startEcsApi', () => {
  let api: LocalEcsApi;
  let ecs: ECSClient;
  let agent: RecordingAgent;
  let clock: FakeClock;

  const start = async (config: ClusterFileInput = CONFIG) => {
    agent = new RecordingAgent();
    clock = new FakeClock({ start: T0 });
    const world = buildWorld(validateClusterConfig(config), SANDBOX, T0);
    api = await startEcsApi({ world, agent, port: 0, now: () => clock.now() });
    ecs = new ECSClient({
      endpoint: api.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  };
  const exec = (input: { cluster?: string; task: string; container?: string; interactive?: boolean }) =>
    ecs.send(new ExecuteCommandCommand({ command: 'echo hi', interactive: true, ...input }));
  const rejection = async (
    promise: Promise<unknown>,
  ): Promise<Error & { $metadata?: { httpStatusCode?: number } }> => {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a rejection');
  };

  beforeEach(async () => {
    await start();
  });
  afterEach(async () => {
    ecs.destroy();
    await api.close();
  });

  describe('DescribeClusters', () => {
    it('describes known clusters and reports unknown ones as MISSING failures', async () => {
      // Act
      const out = await ecs.send(
        new DescribeClustersCommand({ clusters: ['demo', `${ARN}:cluster/secure`, 'nope'] }),
      );

      // Assert
      expect(out.clusters?.map((c) => [c.clusterName, c.clusterArn, c.status, c.runningTasksCount])).toEqual([
        ['demo', `${ARN}:cluster/demo`, 'ACTIVE', 6],
        ['secure', `${ARN}:cluster/secure`, 'ACTIVE', 1],
      ]);
      expect(out.clusters?.[0]?.activeServicesCount).toBe(2);
      expect(out.clusters?.[1]?.configuration?.executeCommandConfiguration?.kmsKeyId).toBe('alias/exec');
      expect(out.failures).toEqual([{ arn: `${ARN}:cluster/nope`, reason: 'MISSING' }]);
    });

    it('describes the default cluster when no cluster is named', async () => {
      const out = await ecs.send(new DescribeClustersCommand({}));
      expect(out.failures).toEqual([{ arn: `${ARN}:cluster/default`, reason: 'MISSING' }]);
    });
  });

  describe('ListClusters', () => {
    it('lists every cluster of the file as ARNs, page by page when maxResults is small', async () => {
      // Act
      const all = await ecs.send(new ListClustersCommand({}));
      const first = await ecs.send(new ListClustersCommand({ maxResults: 1 }));
      const second = await ecs.send(new ListClustersCommand({ maxResults: 1, nextToken: first.nextToken }));

      // Assert
      expect(all.clusterArns).toEqual([
        `${ARN}:cluster/demo`,
        `${ARN}:cluster/secure`,
        `${ARN}:cluster/dock`,
      ]);
      expect(all.nextToken).toBeUndefined();
      expect(first.clusterArns).toEqual([`${ARN}:cluster/demo`]);
      expect(second.clusterArns).toEqual([`${ARN}:cluster/secure`]);
      expect(second.nextToken).toBeDefined();
    });

    it('rejects with InvalidParameterException when maxResults is out of range', async () => {
      const error = await rejection(ecs.send(new ListClustersCommand({ maxResults: 101 })));
      expect(error).toBeInstanceOf(InvalidParameterException);
    });
  });

  describe('ListServices and DescribeServices', () => {
    it('lists service ARNs page by page when maxResults is small', async () => {
      // Act
      const first = await ecs.send(new ListServicesCommand({ cluster: 'demo', maxResults: 1 }));
      const second = await ecs.send(
        new ListServicesCommand({ cluster: 'demo', maxResults: 1, nextToken: first.nextToken }),
      );

      // Assert
      expect(first.serviceArns).toEqual([`${ARN}:service/demo/api`]);
      expect(second.serviceArns).toEqual([`${ARN}:service/demo/worker`]);
      expect(second.nextToken).toBeUndefined();
    });

    it('describes services and reports unknown ones as MISSING failures', async () => {
      // Act
      const out = await ecs.send(
        new DescribeServicesCommand({ cluster: 'demo', services: ['api', 'ghost'] }),
      );

      // Assert
      expect(out.services?.[0]).toMatchObject({
        serviceName: 'api',
        serviceArn: `${ARN}:service/demo/api`,
        clusterArn: `${ARN}:cluster/demo`,
        status: 'ACTIVE',
        desiredCount: 3,
        runningCount: 3,
        taskDefinition: `${ARN}:task-definition/api:1`,
        enableExecuteCommand: true,
      });
      expect(out.services?.[0]?.createdAt).toBeInstanceOf(Date);
      expect(out.failures).toEqual([{ arn: `${ARN}:service/demo/ghost`, reason: 'MISSING' }]);
    });

    it('rejects with InvalidParameterException when more than 10 services are named', async () => {
      const services = Array.from({ length: 11 }, (_, i) => `s${i}`);
      const error = await rejection(ecs.send(new DescribeServicesCommand({ cluster: 'demo', services })));
      expect(error).toBeInstanceOf(InvalidParameterException);
    });
  });

  describe('ListTasks', () => {
    it.each([
      { filter: {}, expected: ['api/0', 'api/1', 'api/2', 'worker/0', 'worker/1', 'batch/0'] },
      { filter: { serviceName: 'worker' }, expected: ['worker/0', 'worker/1'] },
      { filter: { family: 'api' }, expected: ['api/0', 'api/1', 'api/2'] },
      { filter: { startedBy: 'nightly' }, expected: ['batch/0'] },
      { filter: { family: 'nothing' }, expected: [] },
      { filter: { desiredStatus: 'STOPPED' as const }, expected: [] },
      { filter: { launchType: 'EC2' as const }, expected: [] },
    ])('lists the matching task ARNs when filtering by $filter', async ({ filter, expected }) => {
      // Act
      const out = await ecs.send(new ListTasksCommand({ cluster: 'demo', ...filter }));

      // Assert
      const arns = expected.map((ref) => {
        const [name, index] = ref.split('/');
        return `${ARN}:task/demo/${taskIdFor('demo', name as string, Number(index))}`;
      });
      expect(out.taskArns).toEqual(arns);
    });

    it('pages through every task when maxResults is smaller than the list', async () => {
      // Act
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const out = await ecs.send(new ListTasksCommand({ cluster: 'demo', maxResults: 4, nextToken }));
        seen.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
        pages++;
      } while (nextToken && pages < 10);

      // Assert
      expect(pages).toBe(2);
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
    });

    it.each([
      {
        name: 'startedBy with another filter',
        input: { startedBy: 'nightly', family: 'batch' },
        text: 'only filter',
      },
      {
        name: 'maxResults of 0',
        input: { maxResults: 0 },
        text: 'maxResults must be an integer from 1 to 100',
      },
      { name: 'a foreign nextToken', input: { nextToken: 'bm90LWEtdG9rZW4' }, text: 'Invalid nextToken' },
    ])('rejects with InvalidParameterException when given $name', async ({ input, text }) => {
      const error = await rejection(ecs.send(new ListTasksCommand({ cluster: 'demo', ...input })));
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toContain(text);
    });

    it('rejects with ServiceNotFoundException when the service does not exist', async () => {
      const error = await rejection(
        ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'ghost' })),
      );
      expect(error).toBeInstanceOf(ServiceNotFoundException);
    });

    it('rejects with ClusterNotFoundException when the cluster is omitted and there is no default cluster', async () => {
      // Act
      const error = await rejection(ecs.send(new ListTasksCommand({})));

      // Assert
      expect(error).toBeInstanceOf(ClusterNotFoundException);
      expect(error.name).toBe('ClusterNotFoundException');
      expect(error.message).toBe('Cluster not found.');
    });

    it('uses the default cluster when the cluster is omitted and one is named default', async () => {
      // Arrange
      await api.close();
      await start({
        ...CONFIG,
        clusters: [{ name: 'default', services: [{ name: 'a', count: 1, containers: [{ name: 'c' }] }] }],
      });

      // Act
      const out = await ecs.send(new ListTasksCommand({}));

      // Assert
      expect(out.taskArns).toEqual([`${ARN}:task/default/${taskIdFor('default', 'a', 0)}`]);
    });
  });

  describe('DescribeTasks', () => {
    it('describes a service task with its containers and managed agent', async () => {
      // Act
      const out = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [worker0] }));

      // Assert
      const task = out.tasks?.[0];
      expect(task).toMatchObject({
        taskArn: `${ARN}:task/demo/${worker0}`,
        clusterArn: `${ARN}:cluster/demo`,
        taskDefinitionArn: `${ARN}:task-definition/worker:1`,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        group: 'service:worker',
        enableExecuteCommand: true,
      });
      expect(task?.startedBy).toMatch(/^ecs-svc\/\d{19}$/);
      expect(task?.startedAt).toEqual(new Date(T0));
      expect(task?.containers?.map((c) => [c.name, c.runtimeId, c.lastStatus, c.managedAgents])).toEqual([
        [
          'app',
          `${worker0}-0`,
          'RUNNING',
          [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: new Date(T0) }],
        ],
        [
          'sidecar',
          `${worker0}-1`,
          'RUNNING',
          [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: new Date(T0) }],
        ],
      ]);
      expect(task?.containers?.[0]?.containerArn).toMatch(
        new RegExp(
          `^${ARN}:container/demo/${worker0}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
        ),
      );
      expect(out.failures).toEqual([]);
    });

    it('addresses tasks by ARN or id and reports unknown ones, and ARNs of other clusters, as MISSING', async () => {
      // Arrange
      const batch = taskIdFor('demo', 'batch', 0);
      const foreign = `${ARN}:task/secure/${taskIdFor('secure', 'api', 0)}`;

      // Act
      const out = await ecs.send(
        new DescribeTasksCommand({
          cluster: 'demo',
          tasks: [`${ARN}:task/demo/${batch}`, api0, 'f'.repeat(32), foreign],
        }),
      );

      // Assert
      expect(out.tasks?.map((t) => [t.taskArn, t.group, t.startedBy])).toEqual([
        [`${ARN}:task/demo/${batch}`, 'nightly', 'nightly'],
        [`${ARN}:task/demo/${api0}`, 'service:api', expect.stringMatching(/^ecs-svc\//)],
      ]);
      expect(out.failures).toEqual([
        { arn: `${ARN}:task/demo/${'f'.repeat(32)}`, reason: 'MISSING' },
        { arn: foreign, reason: 'MISSING' },
      ]);
    });

    it.each([
      { name: 'no tasks', tasks: [], text: 'Tasks cannot be empty.' },
      { name: '101 tasks', tasks: Array.from({ length: 101 }, () => api0), text: 'at most 100' },
    ])('rejects with InvalidParameterException when given $name', async ({ tasks, text }) => {
      const error = await rejection(ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks })));
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toContain(text);
    });
  });

  describe('ExecuteCommand', () => {
    it('returns a session and asks the agent for the container workdir and expanded env', async () => {
      // Act
      const out = await exec({ cluster: 'demo', task: api0 });

      // Assert
      expect(out).toMatchObject({
        clusterArn: `${ARN}:cluster/demo`,
        taskArn: `${ARN}:task/demo/${api0}`,
        containerName: 'app',
        interactive: true,
        session: { sessionId: 'session-1', streamUrl: 'ws://127.0.0.1:1/session-1', tokenValue: 'token-1' },
      });
      expect(out.containerArn).toMatch(new RegExp(`^${ARN}:container/demo/${api0}/`));
      expect(agent.requests).toEqual([
        {
          command: 'echo hi',
          workdir: `${SANDBOX}/demo/${api0}/api`,
          targetId: `ecs:demo_${api0}_${api0}-0`,
          env: { DATA_DIR: `${SANDBOX}/demo/${api0}/api/data`, SHARED: `${SANDBOX}/demo/s` },
        },
      ]);
    });

    it('asks for the KMS handshake with the ECS TargetId when the cluster has a KMS key', async () => {
      // Arrange
      const id = taskIdFor('secure', 'api', 0);

      // Act
      await exec({ cluster: `${ARN}:cluster/secure`, task: `${ARN}:task/secure/${id}` });

      // Assert
      expect(agent.requests[0]?.kms).toEqual({ keyId: 'alias/exec', targetId: `ecs:secure_${id}_${id}-0` });
    });

    it('runs commands through docker exec when the container names a Docker container', async () => {
      await exec({ cluster: 'dock', task: taskIdFor('dock', 'db', 0) });
      expect(agent.requests[0]?.argvPrefix).toEqual(['docker', 'exec', '-i', '-e', 'A', 'pg1']);
    });

    it('uses the named container when a task has several', async () => {
      const out = await exec({ cluster: 'demo', task: worker0, container: 'sidecar' });
      expect([out.containerName, agent.requests[0]?.workdir]).toEqual([
        'sidecar',
        `${SANDBOX}/demo/${worker0}/sidecar`,
      ]);
    });

    it.each([
      {
        name: 'interactive is false',
        input: { cluster: 'demo', task: api0, interactive: false },
        text: 'Interactive is the only mode supported currently.',
      },
      {
        name: 'the task has several containers and none is named',
        input: { cluster: 'demo', task: worker0 },
        text: 'more than one container; specify the container to run the command in: app, sidecar.',
      },
      {
        name: 'the container is not in the task',
        input: { cluster: 'demo', task: api0, container: 'web' },
        text: "The container web does not exist in the task. The task's containers: app.",
      },
      {
        name: 'the task does not exist',
        input: { cluster: 'demo', task: 'a'.repeat(32) },
        text: 'was not found',
      },
      {
        name: 'the task id is malformed',
        input: { cluster: 'demo', task: 'abc' },
        text: 'task length should be one of [32,36]',
      },
    ])('rejects with InvalidParameterException when $name', async ({ input, text }) => {
      // Act
      const error = await rejection(exec(input));

      // Assert
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain(text);
      expect(agent.requests).toEqual([]);
    });

    it('rejects with ClusterNotFoundException when the cluster does not exist', async () => {
      const error = await rejection(exec({ cluster: 'prod', task: api0 }));
      expect(error).toBeInstanceOf(ClusterNotFoundException);
    });

    it('rejects with InvalidParameterException and shows exec disabled when the task is in execDisabled', async () => {
      // Arrange
      api.faults.set('demo', { execDisabled: ['api/0'] });

      // Act
      const error = await rejection(exec({ cluster: 'demo', task: api0 }));
      const described = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [api0] }));

      // Assert
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toBe(
        "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try the request again.",
      );
      expect(described.tasks?.[0]?.enableExecuteCommand).toBe(false);
      expect(described.tasks?.[0]?.containers?.[0]?.managedAgents).toEqual([]);
    });

    it('rejects with InvalidParameterException and shows the agent STOPPED when the task is in agentNotRunning', async () => {
      // Arrange
      api.faults.set('demo', { agentNotRunning: [worker0] });

      // Act
      const error = await rejection(exec({ cluster: 'demo', task: worker0, container: 'app' }));
      const described = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [worker0] }));

      // Assert
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toContain("the execute command agent isn't running");
      expect(described.tasks?.[0]?.enableExecuteCommand).toBe(true);
      expect(described.tasks?.[0]?.containers?.map((c) => c.managedAgents?.[0]?.lastStatus)).toEqual([
        'STOPPED',
        'STOPPED',
      ]);
    });

    it('rejects with TargetNotConnectedException during the first N ms from the task first call', async () => {
      // Arrange
      api.faults.set('demo', { targetNotConnectedForMs: 500 });

      // Act
      const first = await rejection(exec({ cluster: 'demo', task: api0 }));
      clock.advanceTo(T0 + 499);
      const stillEarly = await rejection(exec({ cluster: 'demo', task: api0 }));
      const otherTask = await rejection(exec({ cluster: 'demo', task: taskIdFor('demo', 'api', 1) }));
      clock.advanceTo(T0 + 500);
      const connected = await exec({ cluster: 'demo', task: api0 });

      // Assert
      for (const error of [first, stillEarly, otherTask]) {
        expect(error).toBeInstanceOf(TargetNotConnectedException);
        expect(error.name).toBe('TargetNotConnectedException');
        expect(error.message).toBe('The execute command failed due to an internal error. Try again later.');
      }
      expect(connected.session?.sessionId).toBe('session-1');
    });

    it('answers ThrottlingException as an ECSServiceException named ThrottlingException when over the rate', async () => {
      // Arrange
      api.faults.set('demo', { throttle: { perSecond: 2 } });

      // Act
      await exec({ cluster: 'demo', task: api0 });
      await exec({ cluster: 'demo', task: api0 });
      const error = await rejection(exec({ cluster: 'demo', task: api0 }));
      clock.advanceTo(T0 + 1000);
      const later = await exec({ cluster: 'demo', task: api0 });

      // Assert
      expect(error).toBeInstanceOf(ECSServiceException);
      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Rate exceeded');
      expect(error.$metadata?.httpStatusCode).toBe(400);
      expect(later.session?.sessionId).toBe('session-3');
    });

    it('rejects with AccessDeniedException naming the principal and the action when the container is denied', async () => {
      // Arrange
      api.faults.set('demo', { denyContainers: ['sidecar'] });

      // Act
      const error = await rejection(exec({ cluster: 'demo', task: worker0, container: 'sidecar' }));

      // Assert
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect(error.message).toBe(
        `User: arn:aws:iam::${ACCOUNT}:user/local is not authorized to perform: ecs:ExecuteCommand on resource: ${ARN}:task/demo/${worker0} with an explicit deny in an identity-based policy`,
      );
    });

    it.each([
      { error: 'ServerException' as const, type: ServerException, status: 500 },
      { error: 'ClientException' as const, type: ClientException, status: 400 },
    ])('rejects with $error when one is injected with failNext', async ({ error: name, type, status }) => {
      // Arrange
      api.faults.failNext({ operation: 'ExecuteCommand', error: name });

      // Act
      const error = await rejection(exec({ cluster: 'demo', task: api0 }));
      const next = await exec({ cluster: 'demo', task: api0 });

      // Assert
      expect(error).toBeInstanceOf(type);
      expect(error.name).toBe(name);
      expect(error.$metadata?.httpStatusCode).toBe(status);
      expect(next.session).toBeDefined();
    });
  });

  describe('faults', () => {
    it('restores the cluster file faults when reset', async () => {
      // Arrange
      api.faults.set('demo', { execDisabled: ['api/0'] });

      // Act
      api.faults.reset();

      // Assert
      expect(api.faults.get('demo').execDisabled).toEqual([]);
      await expect(exec({ cluster: 'demo', task: api0 })).resolves.toBeDefined();
    });

    it('throws a ClusterFileError when a runtime fault names an unknown task', () => {
      expect(() => api.faults.set('demo', { agentNotRunning: ['api/9'] })).toThrow(ClusterFileError);
    });
  });

  describe('stats', () => {
    it('counts calls per operation and errors per name', async () => {
      // Act
      await ecs.send(new ListTasksCommand({ cluster: 'demo' }));
      await exec({ cluster: 'demo', task: api0 });
      await rejection(exec({ cluster: 'nope', task: api0 }));

      // Assert
      expect(api.stats.calls).toMatchObject({ ListTasks: 1, ExecuteCommand: 2, DescribeTasks: 0 });
      expect(api.stats.errors).toEqual({ ClusterNotFoundException: 1 });
      expect(api.stats.sessions).toBe(1);
    });
  });

  describe('wire format', () => {
    it.each([
      {
        name: 'an unknown operation',
        target: 'AmazonEC2ContainerServiceV20141113.RunTask',
        body: '{}',
        type: 'UnknownOperationException',
      },
      {
        name: 'a body that is not JSON',
        target: 'AmazonEC2ContainerServiceV20141113.ListTasks',
        body: '{',
        type: 'SerializationException',
      },
    ])('reports $name as HTTP 400 with __type', async ({ target, body, type }) => {
      // Act
      const response = await fetch(api.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });

      // Assert
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: type, message: expect.any(String) });
    });
  });
});
