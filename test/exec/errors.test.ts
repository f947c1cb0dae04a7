import { ClientException, ECSServiceException, TargetNotConnectedException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  awsErrorHint,
  classifyAwsError,
  EXEC_ERROR_HINTS,
  ExecError,
  hintFor,
  renderHint,
} from '../../lib/exec/errors.ts';
import { TASK_ERROR_NAMES } from '../../lib/shared/errors.ts';

function serviceError(name: string, message: string, fault: 'client' | 'server' = 'client') {
  return new ECSServiceException({
    name,
    message,
    $fault: fault,
    $metadata: { httpStatusCode: fault === 'server' ? 500 : 400 },
  });
}

describe('EXEC_ERROR_HINTS', () => {
  it('has a row for every task error name', () => {
    for (const name of TASK_ERROR_NAMES) expect(EXEC_ERROR_HINTS).toHaveProperty(name);
  });
});

describe('classifyAwsError', () => {
  it.each([
    ['TargetNotConnectedException', 'poll'],
    ['ThrottlingException', 'backoff'],
    ['ServerException', 'backoff'],
    ['AccessDeniedException', 'never'],
    ['ClusterNotFoundException', 'never'],
    ['InvalidParameterException', 'never'],
    ['ClientException', 'never'],
  ])('matches %s on error.name and retries it by %s', (name, retry) => {
    const classified = classifyAwsError(serviceError(name, 'AWS says so'));
    expect(classified).toEqual({ name, awsName: name, message: 'AWS says so', retry });
  });

  it('reads modelled SDK exception classes by name', () => {
    const error = new TargetNotConnectedException({ message: 'not yet', $metadata: {} });
    expect(classifyAwsError(error).name).toBe('TargetNotConnectedException');
    expect(classifyAwsError(new ClientException({ message: 'bad', $metadata: {} })).retry).toBe('never');
  });

  it('reports an unknown client fault as ClientException keeping the SDK name in the message', () => {
    const classified = classifyAwsError(serviceError('UnrecognizedClientException', 'The token is invalid'));
    expect(classified).toEqual({
      name: 'ClientException',
      awsName: 'UnrecognizedClientException',
      message: 'UnrecognizedClientException: The token is invalid',
      retry: 'never',
    });
  });

  it.each([
    [serviceError('InternalFailure', 'boom', 'server')],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('reports a server fault or network failure as a retryable ServerException (%s)', (error) => {
    const classified = classifyAwsError(error);
    expect(classified.name).toBe('ServerException');
    expect(classified.retry).toBe('backoff');
    expect(classified.message).toContain((error as Error).message);
  });
});

describe('awsErrorHint', () => {
  it('lists the three documented causes once TargetNotConnected polling gave up', () => {
    const classified = classifyAwsError(serviceError('TargetNotConnectedException', 'x'));
    const hint = awsErrorHint(
      classified,
      { taskId: 't1', deadline: '2s', polls: '5', region: 'eu-west-1' },
      true,
    );
    expect(hint).toContain('ssmmessages:CreateControlChannel');
    expect(hint).toContain('ssmmessages:OpenDataChannel');
    expect(hint).toContain('com.amazonaws.eu-west-1.ssmmessages');
    expect(hint).toContain('agent is not running');
    expect(hint).toContain('within 2s (5 polls)');
  });

  it('names the IAM condition keys for AccessDeniedException', () => {
    const hint = awsErrorHint(classifyAwsError(serviceError('AccessDeniedException', 'no')), {
      cluster: 'demo',
      container: 'app',
      taskId: 't',
    });
    expect(hint).toMatch(/ecs:cluster.*ecs:container-name.*aws:ResourceTag\//);
  });

  it.each([
    [
      'missing credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      'No AWS credentials were found',
    ],
    ['a missing region', new Error('Region is missing'), 'No AWS region is set'],
  ])('tells what to configure, not that ECS refused, for %s', (_what, error, expected) => {
    const classified = classifyAwsError(error);
    expect(classified.name).toBe('ClientException');
    const hint = awsErrorHint(classified, { cluster: 'prod', region: 'eu-west-1' });
    expect(hint).toContain(expected);
    expect(hint).toContain('--local');
    expect(hint).not.toContain('ECS refused');
  });

  it('names the cluster and region for ClusterNotFoundException', () => {
    const hint = awsErrorHint(classifyAwsError(serviceError('ClusterNotFoundException', 'no')), {
      cluster: 'prod',
      region: 'eu-west-1',
    });
    expect(hint).toContain('No cluster prod in region eu-west-1');
  });
});

describe('renderHint', () => {
  it('renders missing values as ? and a missing detail as nothing', () => {
    expect(renderHint('a {cluster} b {detail}', {})).toBe('a ? b');
    expect(renderHint('{status}', { status: 'STOPPED' })).toBe('STOPPED');
  });
});

describe('ExecError', () => {
  it('carries a task error name, message and hint into a result error', () => {
    const error = new ExecError(
      'NoTargets',
      'none',
      hintFor('NoTargets', { cluster: 'c', selection: 'service s' }),
    );
    expect(error.name).toBe('NoTargets');
    expect(error.toInfo()).toEqual({
      name: 'NoTargets',
      message: 'none',
      hint: expect.stringContaining('service s'),
    });
  });
});
