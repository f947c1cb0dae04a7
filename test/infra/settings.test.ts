import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../lib/infra/index.ts';

describe('parseSettings', () => {
  it('applies the defaults to the required clusters', () => {
    expect(parseSettings({ clusters: ['demo'] })).toEqual({
      clusters: ['demo'],
      retentionDays: 30,
      stackName: 'EcsRunbooks',
      namePrefix: 'runbooks',
    });
  });

  it('reads the JSON text that -c ecsRunbooks=… passes', () => {
    const settings = parseSettings(
      '{"clusters":["arn:aws:ecs:eu-west-1:111122223333:cluster/prod"],"retentionDays":90,"approvalTopicArn":"arn:aws:sns:eu-west-1:111122223333:approvals"}',
    );
    expect(settings).toMatchObject({
      clusters: ['arn:aws:ecs:eu-west-1:111122223333:cluster/prod'],
      retentionDays: 90,
      approvalTopicArn: 'arn:aws:sns:eu-west-1:111122223333:approvals',
    });
  });

  it.each([
    [
      'no settings at all',
      undefined,
      'ecsRunbooks',
      /setting ecsRunbooks is undefined; accepted: an object in cdk.json/,
    ],
    ['JSON that does not parse', '{clusters:', 'ecsRunbooks', /accepted: a JSON object/],
    [
      'a list instead of an object',
      ['demo'],
      'ecsRunbooks',
      /setting ecsRunbooks is \["demo"\]; accepted: an object/,
    ],
    [
      'missing clusters',
      { retentionDays: 30 },
      'ecsRunbooks.clusters',
      /clusters is undefined; accepted: .*required/,
    ],
    [
      'an empty cluster list',
      { clusters: [] },
      'ecsRunbooks.clusters',
      /clusters is \[\]; accepted: a non-empty list/,
    ],
    [
      'a cluster that is neither name nor ARN',
      { clusters: ['demo', 'my cluster'] },
      'ecsRunbooks.clusters[1]',
      /clusters\[1\] is "my cluster"; accepted: a cluster name/,
    ],
    [
      'a cluster ARN of another service',
      { clusters: ['arn:aws:eks:eu-west-1:111122223333:cluster/prod'] },
      'ecsRunbooks.clusters[0]',
      /arn:aws:ecs:<region>:<account>:cluster\/<name>/,
    ],
    ['a cluster listed twice', { clusters: ['demo', 'demo'] }, 'ecsRunbooks.clusters', /distinct/],
    [
      'a KMS alias as the exec key',
      { clusters: ['demo'], execKmsKeyArn: 'alias/ecs-exec' },
      'ecsRunbooks.execKmsKeyArn',
      /"alias\/ecs-exec"; accepted: a KMS key ARN.*not an alias/,
    ],
    [
      'a retention CloudWatch Logs does not offer',
      { clusters: ['demo'], retentionDays: 10 },
      'ecsRunbooks.retentionDays',
      /retentionDays is 10; accepted: one of 1, 3, 5, 7, 14, 30/,
    ],
    [
      'a retention given as text',
      { clusters: ['demo'], retentionDays: '30' },
      'ecsRunbooks.retentionDays',
      /retentionDays is "30"/,
    ],
    [
      'an approval topic that is not an SNS ARN',
      { clusters: ['demo'], approvalTopicArn: 'approvals' },
      'ecsRunbooks.approvalTopicArn',
      /accepted: an SNS topic ARN/,
    ],
    [
      'a stack name with an underscore',
      { clusters: ['demo'], stackName: 'ecs_runbooks' },
      'ecsRunbooks.stackName',
      /accepted: a CloudFormation stack name/,
    ],
    [
      'a name prefix too long for state machine names',
      { clusters: ['demo'], namePrefix: 'a-very-long-prefix-x' },
      'ecsRunbooks.namePrefix',
      /up to 15/,
    ],
    [
      'an account id with letters',
      { clusters: ['demo'], account: '1111-2222-3333' },
      'ecsRunbooks.account',
      /12-digit/,
    ],
    ['a region that is not one', { clusters: ['demo'], region: 'europe' }, 'ecsRunbooks.region', /eu-west-1/],
    [
      'a misspelt setting',
      { clusters: ['demo'], retentionDay: 30 },
      'ecsRunbooks.retentionDay',
      /no such setting; known: clusters, execKmsKeyArn, retentionDays/,
    ],
  ])(
    'throws a SettingsError for %s, naming it, the value and what is accepted',
    (_name, raw, setting, message) => {
      // Act
      let caught: unknown;
      try {
        parseSettings(raw);
      } catch (error) {
        caught = error;
      }
      // Assert
      expect(caught).toBeInstanceOf(SettingsError);
      expect((caught as SettingsError).setting).toBe(setting);
      expect((caught as SettingsError).code).toBe('INVALID_SETTING');
      expect((caught as SettingsError).message).toMatch(message);
    },
  );
});
