import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRunbookSource } from '../../lib/compiler/index.ts';
import { CATALOG_ENV as HANDLERS_CATALOG_ENV } from '../../lib/handlers/catalog.ts';
import { FUNCTION_ENV } from '../../lib/handlers/function-settings.ts';
import { CATALOG_ENV, FUNCTION_NAMES } from '../../lib/infra/index.ts';
import { EXAMPLE_RUNBOOKS, resourcesOfType, type Synthesized, synthesize } from './helpers.ts';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
}, 240_000);

afterAll(() => synth?.cleanup());

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Effect: string;
  Sid?: string;
};

/** The statements of the default policy attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): Statement[] {
  const policies = resourcesOfType(synth, 'AWS::IAM::Policy').filter(([, p]) =>
    ((p.Properties.Roles as { Ref: string }[]) ?? []).some((r) => r.Ref.startsWith(rolePrefix)),
  );
  expect(policies.length).toBeGreaterThan(0);
  return policies.flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

function logicalIdOf(type: string, prefix: string): string {
  const found = resourcesOfType(synth, type).find(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}…`).toBeDefined();
  return (found as [string, unknown])[0];
}

const clusterDemo = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ecs:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':cluster/demo',
    ],
  ],
};
const tasksDemo = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ecs:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':task/demo/*',
    ],
  ],
};
const clusterProd = 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod';
const tasksProd = 'arn:aws:ecs:eu-west-1:111122223333:task/prod/*';

describe('RunbooksStack', () => {
  describe('cdk-nag', () => {
    it('synthesizes with the AwsSolutions checks and no unacknowledged finding', () => {
      // Arrange / Act: beforeAll synthesized with the checks on; a finding would have thrown.
      const report = path.join(synth.outdir, 'validation-report.json');
      // Assert
      let failures: unknown[] = [];
      try {
        const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
          pluginReports: { pluginName: string; conclusion: string }[];
        };
        failures = parsed.pluginReports.filter((p) => p.conclusion !== 'success');
      } catch {
        failures = [];
      }
      expect(failures).toEqual([]);
      expect(synth.assembly.stacks).toHaveLength(1);
    });

    it('rejects a synth with an unacknowledged wildcard (the checks are really on)', () => {
      // Arrange
      const outdir = mkdtempSync(path.join(tmpdir(), 'infra-nag-'));
      const app = new App({ outdir });
      const stack = new Stack(app, 'Wild');
      const role = new iam.Role(stack, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      // Act / Assert
      try {
        expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });
  });

  describe('engine functions', () => {
    it('deploys one Node.js 24 function per lambdas/ entry, each logging JSON to its own log group', () => {
      const functions = resourcesOfType(synth, 'AWS::Lambda::Function');
      expect(functions).toHaveLength(FUNCTION_NAMES.length);
      for (const [, fn] of functions) {
        expect(fn.Properties.Runtime).toBe('nodejs24.x');
        expect(fn.Properties.Handler).toBe('index.handler');
        expect(fn.Properties.LoggingConfig).toEqual({
          LogFormat: 'JSON',
          LogGroup: { Ref: expect.any(String) },
        });
      }
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('ECS Exec'),
        Timeout: 900,
        MemorySize: 1769,
      });
    });

    it('gives every function a role of its own without AWS-managed policies', () => {
      const lambdaRoles = resourcesOfType(synth, 'AWS::IAM::Role').filter(([, r]) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
      );
      expect(lambdaRoles).toHaveLength(FUNCTION_NAMES.length);
      for (const [, role] of lambdaRoles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('keeps every log group for the configured retention', () => {
      const groups = resourcesOfType(synth, 'AWS::Logs::LogGroup');
      // 6 functions, 3 state machines, the API's access log.
      expect(groups).toHaveLength(FUNCTION_NAMES.length + 3 + 1);
      for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(14);
    });
  });

  describe('output bucket', () => {
    it('is encrypted, private, and expires objects after the retention', () => {
      synth.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              ExpirationInDays: 14,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            }),
          ],
        },
      });
    });

    it('denies every request not made over TLS', () => {
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('state machines', () => {
    it.each(['flush-cache', 'incident-api-5xx', 'nightly-maintenance'])(
      'deploys %s from its compiled ASL with logging and X-Ray on',
      (name) => {
        // Arrange
        const file = path.join(EXAMPLE_RUNBOOKS, `${name}.yaml`);
        const compiled = compileRunbookSource(readFileSync(file, 'utf8'), { file });
        // Assert
        synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
          StateMachineName: `runbooks-${name}`,
          DefinitionString: compiled.compactJson,
          DefinitionSubstitutions: Match.objectLike({
            ExecFnArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EngineExecFn'), 'Arn'] },
            TargetsFnArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EngineTargetsFn'), 'Arn'] },
            FanOutSummaryFnArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EngineFanOutSummaryFn'), 'Arn'] },
            OutputBucket: { Ref: Match.stringLikeRegexp('^EngineOutputs') },
          }),
          LoggingConfiguration: {
            Level: 'ALL',
            IncludeExecutionData: false,
            Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
          },
          TracingConfiguration: { Enabled: true },
        });
        synth.template.hasResourceProperties('AWS::Logs::LogGroup', {
          LogGroupName: `/aws/vendedlogs/states/runbooks-${name}`,
          RetentionInDays: 14,
        });
      },
    );

    it('substitutes the approval function only where a runbook has an approval step', () => {
      const machines = resourcesOfType(synth, 'AWS::StepFunctions::StateMachine');
      const withApproval = machines.filter(
        ([, m]) => 'ApprovalFnArn' in (m.Properties.DefinitionSubstitutions as object),
      );
      expect(withApproval.map(([, m]) => m.Properties.StateMachineName)).toEqual(['runbooks-flush-cache']);
    });

    it('lets each state machine invoke only the engine functions its definition calls', () => {
      const statements = statementsOf('RunbookflushcacheStateMachineRole');
      const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
      expect(invoke).toHaveLength(1);
      expect(invoke[0]?.Resource).toEqual([
        { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', 'EngineApprovalRequestFn'), 'Arn'] },
        // Runbook.CheckInput, the first state of every definition.
        { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', 'EngineCheckInputFn'), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', 'EngineExecFn'), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', 'EngineFanOutSummaryFn'), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', 'EngineTargetsFn'), 'Arn'] },
      ]);
      // No other lambda action, and no version/alias wildcard.
      expect(JSON.stringify(invoke)).not.toContain(':*');
    });

    it('lets a state machine publish only to the topics its notify steps name', () => {
      const publish = statementsOf('Runbookincidentapi5xxStateMachineRole').filter(
        (s) => s.Action === 'sns:Publish',
      );
      expect(publish).toEqual([
        expect.objectContaining({ Resource: 'arn:aws:sns:eu-west-1:000000000000:ops-incidents' }),
      ]);
      const none = statementsOf('RunbookflushcacheStateMachineRole').filter(
        (s) => s.Action === 'sns:Publish',
      );
      expect(none).toEqual([]);
    });

    it('scopes the Distributed Map permissions to the state machine itself and its key prefix', () => {
      const statements = statementsOf('RunbooknightlymaintenanceStateMachineRole');
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'DistributedMapChildren',
            Action: 'states:StartExecution',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':states:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':stateMachine:runbooks-nightly-maintenance',
                ],
              ],
            },
          }),
          expect.objectContaining({
            Sid: 'DistributedMapItemsAndResults',
            Resource: {
              'Fn::Join': [
                '',
                [
                  { 'Fn::GetAtt': [logicalIdOf('AWS::S3::Bucket', 'EngineOutputs'), 'Arn'] },
                  '/nightly-maintenance/*',
                ],
              ],
            },
          }),
        ]),
      );
    });
  });

  describe('catalog', () => {
    it('hands the API and approval-request functions the catalog the handlers parse', () => {
      // Arrange
      const functions = resourcesOfType(synth, 'AWS::Lambda::Function');
      // Assert
      expect(CATALOG_ENV).toBe(HANDLERS_CATALOG_ENV);
      const withCatalog = functions
        .filter(
          ([, fn]) => CATALOG_ENV in ((fn.Properties.Environment as { Variables: object }).Variables ?? {}),
        )
        .map(([id]) => id.replace(/Fn[0-9A-F]{8}$/, ''));
      expect(withCatalog.sort()).toEqual(['EngineApi', 'EngineApprovalRequest']);
      const api = functions.find(([id]) => id.startsWith('EngineApiFn'));
      const text = JSON.stringify(
        (
          (api as [string, { Properties: Record<string, unknown> }])[1].Properties.Environment as {
            Variables: Record<string, unknown>;
          }
        ).Variables[CATALOG_ENV],
      );
      for (const name of ['flush-cache', 'incident-api-5xx', 'nightly-maintenance'])
        expect(text).toContain(`\\"name\\":\\"${name}\\"`);
    });
  });

  describe('function settings', () => {
    it('sets the environment the api and approval-request functions read at cold start', () => {
      const variablesOf = (prefix: string) =>
        Object.keys(
          (
            (
              resourcesOfType(synth, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix)) as [
                string,
                { Properties: Record<string, unknown> },
              ]
            )[1].Properties.Environment as { Variables: Record<string, unknown> }
          ).Variables,
        );
      expect(variablesOf('EngineApprovalRequestFn')).toEqual(
        expect.arrayContaining([FUNCTION_ENV.catalog, FUNCTION_ENV.apiUrl, FUNCTION_ENV.approvalTopicArn]),
      );
      expect(variablesOf('EngineApiFn')).toEqual(expect.arrayContaining([FUNCTION_ENV.catalog]));
    });

    it('gives the step functions the output bucket (the S3 output store), and exec a /tmp for staged outputs', () => {
      const bucket = logicalIdOf('AWS::S3::Bucket', 'EngineOutputs');
      const functions = resourcesOfType(synth, 'AWS::Lambda::Function') as unknown as [
        string,
        { Properties: { Environment: { Variables: Record<string, unknown> }; EphemeralStorage?: unknown } },
      ][];
      const named = (prefix: string) => functions.find(([id]) => id.startsWith(prefix))?.[1].Properties;
      for (const prefix of ['EngineExecFn', 'EngineTargetsFn', 'EngineFanOutSummaryFn']) {
        expect(named(prefix)?.Environment.Variables[FUNCTION_ENV.outputBucket], prefix).toEqual({
          Ref: bucket,
        });
      }
      for (const prefix of ['EngineApiFn', 'EngineApprovalRequestFn', 'EngineCheckInputFn']) {
        expect(named(prefix)?.Environment.Variables, prefix).not.toHaveProperty(FUNCTION_ENV.outputBucket);
      }
      expect(named('EngineExecFn')?.EphemeralStorage).toEqual({ Size: 10_240 });
      expect(named('EngineTargetsFn')?.EphemeralStorage).toBeUndefined();
    });
  });

  describe('least privilege of the engine', () => {
    it("allows ExecuteCommand only on the configured clusters and their tasks, for the runbooks' container", () => {
      const statements = statementsOf('EngineExecRole');
      expect(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('ecs:')))).toEqual([
        {
          Sid: 'ExecuteCommandInConfiguredClusters',
          Effect: 'Allow',
          Action: 'ecs:ExecuteCommand',
          Resource: [clusterDemo, tasksDemo, clusterProd, tasksProd],
          Condition: { StringEquals: { 'ecs:container-name': ['app'] } },
        },
        {
          Sid: 'DescribeTasksOfConfiguredClusters',
          Effect: 'Allow',
          Action: 'ecs:DescribeTasks',
          Resource: [tasksDemo, tasksProd],
          Condition: { ArnEquals: { 'ecs:cluster': [clusterDemo, clusterProd] } },
        },
      ]);
    });

    it("allows GenerateDataKey on the exec key only, and S3 writes under the runbooks' prefixes only", () => {
      const statements = statementsOf('EngineExecRole');
      const bucket = logicalIdOf('AWS::S3::Bucket', 'EngineOutputs');
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Sid: 'ExecSessionDataKey',
            Effect: 'Allow',
            Action: 'kms:GenerateDataKey',
            Resource: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          },
          {
            Sid: 'WriteOutputs',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
            Resource: ['flush-cache', 'incident-api-5xx', 'nightly-maintenance'].map((name) => ({
              'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${name}/*`]],
            })),
          },
        ]),
      );
      expect(actionsOf(statements)).toEqual(
        [
          'ecs:DescribeTasks',
          'ecs:ExecuteCommand',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          's3:AbortMultipartUpload',
          's3:PutObject',
        ].sort(),
      );
    });

    it('scopes ListTasks and DescribeTasks of the targets function with ecs:cluster', () => {
      const statements = statementsOf('EngineTargetsRole');
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Sid: 'ListTasksOfConfiguredClusters',
            Effect: 'Allow',
            Action: 'ecs:ListTasks',
            Resource: '*',
            Condition: { ArnEquals: { 'ecs:cluster': [clusterDemo, clusterProd] } },
          },
        ]),
      );
      expect(actionsOf(statements)).not.toContain('ecs:ExecuteCommand');
    });

    it('lets only the approval function publish to the approval topic', () => {
      const topic = logicalIdOf('AWS::SNS::Topic', 'EngineApprovalTopic');
      const publishers = resourcesOfType(synth, 'AWS::IAM::Policy').filter(([, p]) =>
        JSON.stringify(p.Properties.PolicyDocument).includes(`"Ref":"${topic}"`),
      );
      expect(publishers.map(([id]) => id)).toEqual([expect.stringMatching(/^EngineApprovalRequestRole/)]);
      synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    });

    it('lets the API start only the runbooks with an API trigger', () => {
      const start = statementsOf('EngineApiRole').filter((s) => s.Action === 'states:StartExecution');
      expect(start).toEqual([
        expect.objectContaining({
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':states:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':stateMachine:runbooks-flush-cache',
              ],
            ],
          },
        }),
      ]);
    });
  });

  describe('triggers', () => {
    it('schedules nightly-maintenance with its cron and time zone, as a schedule trigger', () => {
      synth.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 3 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: {
            Ref: logicalIdOf('AWS::StepFunctions::StateMachine', 'RunbooknightlymaintenanceStateMachine'),
          },
          Input: JSON.stringify({
            params: {},
            trigger: { type: 'schedule', schedule: { time: '<aws.scheduler.scheduled-time>' } },
          }),
          RoleArn: Match.anyValue(),
        },
      });
    });

    it('starts incident-api-5xx on the state changes of its alarms, with the alarm in trigger.alarm', () => {
      synth.template.resourceCountIs('AWS::Events::Rule', 1);
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          detail: { alarmName: ['api-5xx-high'], state: { value: ['ALARM'] } },
        },
        Targets: [
          Match.objectLike({
            Arn: {
              Ref: logicalIdOf('AWS::StepFunctions::StateMachine', 'Runbookincidentapi5xxStateMachine'),
            },
            InputTransformer: {
              InputPathsMap: {
                'detail-alarmName': '$.detail.alarmName',
                'detail-state-value': '$.detail.state.value',
                'detail-state-reason': '$.detail.state.reason',
              },
              InputTemplate:
                '{"params":{},"trigger":{"type":"alarm","alarm":{"name":<detail-alarmName>,"state":<detail-state-value>,"reason":<detail-state-reason>}}}',
            },
          }),
        ],
      });
    });

    it('serves the API routes, one start route per runbook with an API trigger', () => {
      const routes = resourcesOfType(synth, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
      expect(routes.sort()).toEqual([
        'GET /executions/{id}',
        'POST /executions/{id}/approval',
        'POST /runbooks/flush-cache/executions',
        'POST /runbooks/{name}/executions',
      ]);
    });

    it('has no route without IAM authorization', () => {
      const routes = resourcesOfType(synth, 'AWS::ApiGatewayV2::Route');
      expect(routes.length).toBeGreaterThan(0);
      const open = routes.filter(([, r]) => r.Properties.AuthorizationType !== 'AWS_IAM');
      expect(open).toEqual([]);
    });

    it('writes API access logs to a log group kept for the retention', () => {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: {
          DestinationArn: {
            'Fn::GetAtt': [logicalIdOf('AWS::Logs::LogGroup', 'EngineApiAccessLogs'), 'Arn'],
          },
          Format: Match.stringLikeRegexp('\\$context\\.identity\\.userArn'),
        },
      });
    });
  });
});
