// IAM evaluated, not pattern-matched: the synthesized roles' policies run through an offline
// policy simulator (@cloud-copilot/iam-simulate, AGPL-3.0: a devDependency used only here, never
// bundled into a function).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type Synthesized, synthesize, TEST_SETTINGS } from './helpers.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const BUCKET = 'ecs-runbooks-outputs';
const EXEC_KEY = TEST_SETTINGS.execKmsKeyArn;

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ settings: { ...TEST_SETTINGS, account: ACCOUNT, region: REGION }, nag: false });
}, 240_000);

afterAll(() => synth?.cleanup());

const functionArn = (logicalId: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;

/**
 * KMS always consults the key policy: this is the default one, which lets the account's IAM
 * policies decide (so the role's own policy is what is evaluated).
 */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
  ],
};

/** Resolves what CloudFormation would: pseudo parameters, the bucket's ARN and name, joins. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('Ref' in o) {
    const ref = String(o.Ref);
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
    };
    if (pseudo[ref]) return pseudo[ref];
    if (ref.startsWith('EngineOutputs')) return BUCKET;
    return `arn:aws:cloudformation-ref:${REGION}:${ACCOUNT}:${ref}`;
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (id.startsWith('EngineOutputs') && attr === 'Arn') return `arn:aws:s3:::${BUCKET}`;
    if (id.includes('Fn') && attr === 'Arn') return functionArn(id);
    return `arn:aws:cloudformation-getatt:${REGION}:${ACCOUNT}:${id}/${attr}`;
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolve(p))).join(sep);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
}

/** The identity policies of the role whose logical id starts with `rolePrefix`, resolved. */
function policiesOf(rolePrefix: string): { name: string; policy: unknown }[] {
  return resourcesOfType(synth, 'AWS::IAM::Policy')
    .filter(([, p]) =>
      ((p.Properties.Roles as { Ref: string }[]) ?? []).some((r) => r.Ref.startsWith(rolePrefix)),
    )
    .map(([id, p]) => ({ name: id, policy: resolve(p.Properties.PolicyDocument) }));
}

async function decide(
  rolePrefix: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/${rolePrefix}`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: policiesOf(rolePrefix),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(action.startsWith('kms:') ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const demo = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/demo`;
const prod = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
const other = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`;
const task = (cluster: string) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef0123456789abcdef`;
const taskDefinition = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/app:7`;

describe('exec function role (simulated)', () => {
  it.each([
    [
      'ExecuteCommand on a task of an allowed cluster, allowed container',
      'ecs:ExecuteCommand',
      task('demo'),
      { 'ecs:container-name': 'app', 'ecs:cluster': demo },
      'Allowed',
    ],
    [
      'ExecuteCommand on the allowed cluster itself',
      'ecs:ExecuteCommand',
      demo,
      { 'ecs:container-name': 'app', 'ecs:cluster': demo },
      'Allowed',
    ],
    [
      'ExecuteCommand in the cluster given by ARN',
      'ecs:ExecuteCommand',
      task('prod'),
      { 'ecs:container-name': 'app', 'ecs:cluster': prod },
      'Allowed',
    ],
    [
      'DescribeTasks in an allowed cluster',
      'ecs:DescribeTasks',
      task('demo'),
      { 'ecs:cluster': demo },
      'Allowed',
    ],
    ['KMS GenerateDataKey on the exec key', 'kms:GenerateDataKey', EXEC_KEY, {}, 'Allowed'],
    [
      'writing an output under a runbook prefix',
      's3:PutObject',
      `arn:aws:s3:::${BUCKET}/flush-cache/exec-1/measure/1/abc.log`,
      {},
      'Allowed',
    ],
    [
      'aborting a multipart upload of an output',
      's3:AbortMultipartUpload',
      `arn:aws:s3:::${BUCKET}/incident-api-5xx/exec-1/restart/2/abc.log`,
      {},
      'Allowed',
    ],
  ])('allows %s', async (_name, action, resource, context, expected) => {
    expect(await decide('EngineExecRole', action, resource, context)).toBe(expected);
  });

  it.each([
    [
      'ExecuteCommand on a task of another cluster',
      'ecs:ExecuteCommand',
      task('payments'),
      { 'ecs:container-name': 'app', 'ecs:cluster': other },
    ],
    [
      'ExecuteCommand on another cluster',
      'ecs:ExecuteCommand',
      other,
      { 'ecs:container-name': 'app', 'ecs:cluster': other },
    ],
    [
      'ExecuteCommand in another container',
      'ecs:ExecuteCommand',
      task('demo'),
      { 'ecs:container-name': 'sidecar', 'ecs:cluster': demo },
    ],
    ['RunTask', 'ecs:RunTask', taskDefinition, { 'ecs:cluster': demo }],
    ['StopTask', 'ecs:StopTask', task('demo'), { 'ecs:cluster': demo }],
    ['DescribeTasks in another cluster', 'ecs:DescribeTasks', task('payments'), { 'ecs:cluster': other }],
    ['writing to another bucket', 's3:PutObject', 'arn:aws:s3:::someone-elses-bucket/flush-cache/x.log', {}],
    ['writing outside the runbook prefixes', 's3:PutObject', `arn:aws:s3:::${BUCKET}/elsewhere/x.log`, {}],
    [
      'reading outputs back',
      's3:GetObject',
      `arn:aws:s3:::${BUCKET}/flush-cache/exec-1/measure/1/abc.log`,
      {},
    ],
    [
      'GenerateDataKey on another KMS key',
      'kms:GenerateDataKey',
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/ffffffff-0000-1111-2222-333333333333`,
      {},
    ],
    ['Decrypt on the exec key', 'kms:Decrypt', EXEC_KEY, {}],
    [
      'deleting an output',
      's3:DeleteObject',
      `arn:aws:s3:::${BUCKET}/flush-cache/exec-1/measure/1/abc.log`,
      {},
    ],
    ['listing the bucket', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, {}],
    [
      'aborting a multipart upload in another bucket',
      's3:AbortMultipartUpload',
      'arn:aws:s3:::someone-elses-bucket/flush-cache/x.log',
      {},
    ],
  ])('denies %s', async (_name, action, resource, context) => {
    expect(await decide('EngineExecRole', action, resource, context)).toBe('ImplicitlyDenied');
  });
});

describe('targets function role (simulated)', () => {
  it.each([
    [
      'ListTasks in an allowed cluster',
      'ecs:ListTasks',
      `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/demo/abc`,
      { 'ecs:cluster': demo },
      'Allowed',
    ],
    [
      'ListTasks in another cluster',
      'ecs:ListTasks',
      `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/payments/abc`,
      { 'ecs:cluster': other },
      'ImplicitlyDenied',
    ],
    [
      'ExecuteCommand at all',
      'ecs:ExecuteCommand',
      task('demo'),
      { 'ecs:container-name': 'app', 'ecs:cluster': demo },
      'ImplicitlyDenied',
    ],
    [
      "writing a fan-out's Distributed Map items",
      's3:PutObject',
      `arn:aws:s3:::${BUCKET}/nightly-maintenance/exec-1/rotate/fan-out/items.json`,
      {},
      'Allowed',
    ],
    [
      'reading outputs',
      's3:GetObject',
      `arn:aws:s3:::${BUCKET}/nightly-maintenance/exec-1/rotate/1/abc.log`,
      {},
      'ImplicitlyDenied',
    ],
  ])('decides %s', async (_name, action, resource, context, expected) => {
    expect(await decide('EngineTargetsRole', action, resource, context)).toBe(expected);
  });
});

describe('fan-out-summary function role (simulated)', () => {
  it.each([
    [
      "reading a Distributed Map's results",
      's3:GetObject',
      `arn:aws:s3:::${BUCKET}/nightly-maintenance/exec-1/rotate/fan-out/results/abc/manifest.json`,
      'Allowed',
    ],
    [
      'reading another bucket',
      's3:GetObject',
      'arn:aws:s3:::someone-elses-bucket/nightly-maintenance/x.json',
      'ImplicitlyDenied',
    ],
    [
      'writing',
      's3:PutObject',
      `arn:aws:s3:::${BUCKET}/nightly-maintenance/exec-1/rotate/fan-out/results/abc/manifest.json`,
      'ImplicitlyDenied',
    ],
  ])('decides %s', async (_name, action, resource, expected) => {
    expect(await decide('EngineFanOutSummaryRole', action, resource, {})).toBe(expected);
  });
});

describe('state machine role (simulated)', () => {
  it('invokes the engine functions and nothing else', async () => {
    // Arrange
    const functions = resourcesOfType(synth, 'AWS::Lambda::Function').map(([id]) => id);
    const exec = functions.find((id) => id.startsWith('EngineExecFn')) as string;
    const api = functions.find((id) => id.startsWith('EngineApiFn')) as string;
    // Act / Assert
    expect(
      await decide('RunbookflushcacheStateMachineRole', 'lambda:InvokeFunction', functionArn(exec)),
    ).toBe('Allowed');
    expect(await decide('RunbookflushcacheStateMachineRole', 'lambda:InvokeFunction', functionArn(api))).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide(
        'RunbookflushcacheStateMachineRole',
        'lambda:InvokeFunction',
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`,
      ),
    ).toBe('ImplicitlyDenied');
  });

  it('publishes only to its own notify topics', async () => {
    const role = 'Runbookincidentapi5xxStateMachineRole';
    expect(await decide(role, 'sns:Publish', 'arn:aws:sns:eu-west-1:000000000000:ops-incidents')).toBe(
      'Allowed',
    );
    expect(await decide(role, 'sns:Publish', 'arn:aws:sns:eu-west-1:000000000000:ops-nightly')).toBe(
      'ImplicitlyDenied',
    );
  });
});
