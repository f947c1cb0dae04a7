import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ExecError, ExecUsageError } from '../../lib/exec/errors.ts';
import {
  chooseContainer,
  clusterNameOf,
  pickTargets,
  preflight,
  type ResolvedTarget,
  taskIdOf,
  validateSelector,
} from '../../lib/exec/targets.ts';
import { target } from './fixtures.ts';

function task(overrides: Partial<Task> = {}): Task {
  return {
    taskArn: 'arn:aws:ecs:eu-west-1:000000000000:task/demo/abc',
    group: 'service:api',
    enableExecuteCommand: true,
    lastStatus: 'RUNNING',
    containers: [
      {
        name: 'app',
        runtimeId: 'abc-0',
        managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }],
      },
    ],
    ...overrides,
  };
}

describe('validateSelector', () => {
  it.each([
    [{}, /exactly one of task, service, family, startedBy, group; received none/],
    [{ service: 'a', family: 'b' }, /received service and family/],
    [{ service: '' }, /service must be a non-empty string; received ""/],
    [{ service: 'a', pick: 0 }, /pick must be one, all, random or a positive integer; received 0/],
    [{ service: 'a', pick: 'some' }, /received "some"/],
  ])('throws a usage error for %j', (selector, message) => {
    expect(() => validateSelector(selector as never)).toThrow(ExecUsageError);
    expect(() => validateSelector(selector as never)).toThrow(message);
  });

  it('accepts one selector key with a pick', () => {
    expect(() => validateSelector({ group: 'nightly', pick: 3, cluster: 'demo' })).not.toThrow();
  });
});

describe('taskIdOf / clusterNameOf', () => {
  it.each([
    ['arn:aws:ecs:eu-west-1:1:task/demo/abc', 'abc'],
    ['arn:aws:ecs:eu-west-1:1:task/abc', 'abc'],
    ['abc', 'abc'],
  ])('reads the task id of %s', (arn, id) => {
    expect(taskIdOf(arn)).toBe(id);
  });

  it('reads the cluster name of an ARN and keeps a plain name', () => {
    expect(clusterNameOf('arn:aws:ecs:eu-west-1:1:cluster/demo')).toBe('demo');
    expect(clusterNameOf('demo')).toBe('demo');
  });
});

describe('chooseContainer', () => {
  const twoContainers = task({
    containers: [{ name: 'app' }, { name: 'sidecar' }],
  });

  it('chooses the only container when none is named', () => {
    expect(chooseContainer(task(), undefined).name).toBe('app');
  });

  it('chooses the named container', () => {
    expect(chooseContainer(twoContainers, 'sidecar').name).toBe('sidecar');
  });

  it('throws InvalidParameterException listing the containers when several exist and none is named', () => {
    const act = () => chooseContainer(twoContainers, undefined);
    expect(act).toThrow(ExecError);
    expect(act).toThrow('Task abc has 2 containers (app, sidecar) and none was named');
  });

  it('throws InvalidParameterException listing the containers for a wrong name', () => {
    try {
      chooseContainer(twoContainers, 'db');
      expect.unreachable();
    } catch (error) {
      expect((error as ExecError).name).toBe('InvalidParameterException');
      expect((error as ExecError).message).toBe(
        'Container db is not in task abc; its containers: app, sidecar',
      );
    }
  });
});

describe('preflight', () => {
  it('passes a task with exec enabled and a RUNNING agent', () => {
    const t = task();
    expect(preflight(t, t.containers?.[0] ?? {}, 'demo')).toBeUndefined();
  });

  it('reports PreflightFailed naming update-service for the task’s service when exec is disabled', () => {
    const t = task({ enableExecuteCommand: false });
    const error = preflight(t, t.containers?.[0] ?? {}, 'demo');
    expect(error?.name).toBe('PreflightFailed');
    expect(error?.message).toContain('not enabled on task abc');
    expect(error?.hint).toContain(
      'aws ecs update-service --cluster demo --service api --enable-execute-command --force-new-deployment',
    );
    expect(error?.hint).toContain('ssmmessages:CreateControlChannel');
  });

  it('reports PreflightFailed with the agent status when the ExecuteCommandAgent is not RUNNING', () => {
    const t = task({
      containers: [
        {
          name: 'app',
          managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'STOPPED', reason: 'crashed' }],
        },
      ],
    });
    const error = preflight(t, t.containers?.[0] ?? {}, 'demo');
    expect(error?.message).toBe(
      'The ExecuteCommandAgent of container app in task abc is STOPPED (crashed), not RUNNING',
    );
    expect(error?.hint).toContain('is STOPPED, not RUNNING');
  });
});

describe('pickTargets', () => {
  const failing = (t: ResolvedTarget): ResolvedTarget => ({
    ...t,
    preflightError: { name: 'PreflightFailed', message: 'm', hint: 'h' },
  });
  const all = [failing(target(1)), target(2), target(3), target(4)];

  it('picks the first task by ARN that passes preflight for one', () => {
    expect(pickTargets(all, 'one', Math.random).map((t) => t.taskId)).toEqual([target(2).taskId]);
  });

  it('picks the first N ready tasks in ARN order for N', () => {
    expect(pickTargets(all, 2, Math.random).map((t) => t.taskId)).toEqual([
      target(2).taskId,
      target(3).taskId,
    ]);
    expect(pickTargets(all, 9, Math.random)).toHaveLength(4);
  });

  it('picks every task for all, failing ones included', () => {
    expect(pickTargets(all, 'all', Math.random)).toEqual(all);
  });

  it('picks with the injected random source for random', () => {
    expect(pickTargets(all, 'random', () => 0.99).map((t) => t.taskId)).toEqual([target(4).taskId]);
    expect(pickTargets(all, 'random', () => 0).map((t) => t.taskId)).toEqual([target(2).taskId]);
  });

  it('falls back to a failing task when none passes preflight', () => {
    expect(pickTargets([failing(target(5))], 'one', Math.random)[0]?.preflightError?.name).toBe(
      'PreflightFailed',
    );
  });
});
