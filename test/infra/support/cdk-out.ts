/**
 * Synthesizes the app into a temporary cdk.out and reads it back as a deployment would see it:
 * each function's asset directory exactly as CDK wrote it, its environment, and each state
 * machine's definition with its `DefinitionSubstitutions` resolved. CloudFormation intrinsics
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub and the pseudo parameters) resolve to stand-in values, so
 * nothing needs an AWS account.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type FunctionName, PROJECT_ROOT, type SettingsInput } from '../../../lib/infra/index.ts';

export const STAND_IN = { region: 'us-east-1', account: '123456789012', partition: 'aws' } as const;

/** The bucket name the output bucket's `Ref` resolves to (a valid S3 bucket name). */
export const STAND_IN_BUCKET = 'runbook-outputs';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** One function of cdk.out. */
export interface SynthesizedFunction {
  readonly logicalId: string;
  /** The stand-in ARN its `Fn::GetAtt Arn` resolves to. */
  readonly arn: string;
  readonly description: string;
  /** `index.handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  /** The asset directory CDK wrote (`cdk.out/asset.<hash>`). */
  readonly assetDir: string;
  /** The bundled module inside it. */
  readonly assetFile: string;
  /** Its environment variables, resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

/** One state machine of cdk.out. */
export interface SynthesizedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  /** The definition with every substitution applied. */
  readonly definition: Record<string, unknown>;
  /** The substitutions, resolved to stand-ins. */
  readonly substitutions: Readonly<Record<string, string>>;
}

export interface CdkOut {
  readonly outdir: string;
  readonly functions: readonly SynthesizedFunction[];
  readonly stateMachines: readonly SynthesizedStateMachine[];
  functionByArn(arn: string): SynthesizedFunction;
  /** The function whose description starts like the engine's spec of `name`. */
  functionNamed(name: FunctionName): SynthesizedFunction;
  stateMachine(name: string): SynthesizedStateMachine;
  cleanup(): void;
}

export interface SynthOptions {
  readonly settings?: SettingsInput;
  readonly runbooksDir?: string;
  /** Entries over `lambdas/<name>.ts` (for functions whose entry has not been written). */
  readonly entries?: Partial<Record<FunctionName, string>>;
}

/** Synthesizes the app (cdk-nag off: the template tests run it) and reads cdk.out. */
export function synthesizeCdkOut(options: SynthOptions = {}): CdkOut {
  const outdir = mkdtempSync(path.join(tmpdir(), 'synthrun-cdk-out-'));
  const built = buildApp({
    app: { outdir, context: { ecsRunbooks: options.settings ?? { clusters: ['demo'], retentionDays: 14 } } },
    ...(options.runbooksDir ? { runbooksDir: options.runbooksDir } : {}),
    ...(options.entries ? { entries: options.entries } : {}),
    nag: false,
  });
  built.app.synth();
  // The Lambda runtime provides the AWS SDK the bundles leave external; here the repository's
  // node_modules does, found from the asset directories by Node's upward lookup.
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(outdir, 'node_modules'), 'dir');
  return readCdkOut(outdir, built.stack.stackName);
}

/** Reads a cdk.out directory written by {@link synthesizeCdkOut}. */
export function readCdkOut(outdir: string, stackName: string): CdkOut {
  const template = JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, CfnResource>;
  };
  const resources = template.Resources;
  const resolve = (value: unknown): unknown => resolveIntrinsics(value, resources);
  const functions: SynthesizedFunction[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties ?? {};
    const code = props.Code as { S3Key?: string };
    const hash = String(code.S3Key ?? '').replace(/\.zip$/, '');
    const assetDir = path.join(outdir, `asset.${hash}`);
    const handler = String(props.Handler);
    const moduleName = handler.slice(0, handler.lastIndexOf('.'));
    const assetFile = ['.mjs', '.js', '.cjs']
      .map((ext) => path.join(assetDir, `${moduleName}${ext}`))
      .find((file) => existsSync(file));
    if (!assetFile) throw new Error(`${logicalId}: no ${moduleName}.mjs/.js in ${assetDir}`);
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    functions.push({
      logicalId,
      arn: functionArn(logicalId),
      description: String(props.Description ?? ''),
      handler,
      timeoutSeconds: Number(props.Timeout ?? 3),
      assetDir,
      assetFile,
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolve(v))])),
    });
  }
  const stateMachines: SynthesizedStateMachine[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const props = resource.Properties ?? {};
    const substitutions = Object.fromEntries(
      Object.entries((props.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        String(resolve(v)),
      ]),
    );
    const text = String(resolve(props.DefinitionString));
    // Step Functions replaces `${key}` for the keys given, nothing else (shell variables stay).
    const substituted = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key: string) =>
      key in substitutions ? jsonStringBody(substitutions[key] as string) : whole,
    );
    stateMachines.push({
      logicalId,
      name: String(props.StateMachineName),
      definition: JSON.parse(substituted) as Record<string, unknown>,
      substitutions,
    });
  }
  return {
    outdir,
    functions,
    stateMachines,
    functionByArn(arn) {
      const found = functions.find((fn) => fn.arn === arn);
      if (!found) throw new Error(`no function in cdk.out has the ARN ${arn}`);
      return found;
    },
    functionNamed(name) {
      const id = name
        .split('-')
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('');
      const found = functions.find((fn) => fn.logicalId.startsWith(`Engine${id}Fn`));
      if (!found) throw new Error(`no function ${name} in cdk.out`);
      return found;
    },
    stateMachine(name) {
      const found = stateMachines.find((sm) => sm.name === name || sm.name.endsWith(`-${name}`));
      if (!found) throw new Error(`no state machine ${name} in cdk.out`);
      return found;
    },
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export function functionArn(logicalId: string): string {
  return `arn:${STAND_IN.partition}:lambda:${STAND_IN.region}:${STAND_IN.account}:function:${logicalId}`;
}

/** A value as it may sit inside a JSON string literal. */
function jsonStringBody(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': STAND_IN.region,
  'AWS::AccountId': STAND_IN.account,
  'AWS::Partition': STAND_IN.partition,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'EcsRunbooks',
};

/** The stand-in a resource's `Ref` gives. */
function refOf(logicalId: string, resources: Record<string, CfnResource>): string {
  if (logicalId in PSEUDO) return PSEUDO[logicalId] as string;
  const resource = resources[logicalId];
  if (!resource) throw new Error(`Ref to unknown resource ${logicalId}`);
  const { region, account, partition } = STAND_IN;
  switch (resource.Type) {
    case 'AWS::S3::Bucket':
      return STAND_IN_BUCKET;
    case 'AWS::SNS::Topic':
      return `arn:${partition}:sns:${region}:${account}:${logicalId}`;
    case 'AWS::Lambda::Function':
      return logicalId;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${partition}:states:${region}:${account}:stateMachine:${String(resource.Properties?.StateMachineName ?? logicalId)}`;
    case 'AWS::ApiGatewayV2::Api':
      return 'loopbackapi';
    default:
      return `stand-in-${logicalId}`;
  }
}

function getAttOf(logicalId: string, attribute: string, resources: Record<string, CfnResource>): string {
  const resource = resources[logicalId];
  if (!resource) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
  if (resource.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(logicalId);
  if (resource.Type === 'AWS::S3::Bucket' && attribute === 'Arn') return `arn:aws:s3:::${STAND_IN_BUCKET}`;
  if (attribute === 'Arn') return refOf(logicalId, resources);
  throw new Error(`no stand-in for Fn::GetAtt ${logicalId}.${attribute}`);
}

/** Resolves CloudFormation intrinsics to stand-ins; throws on one it does not know. */
export function resolveIntrinsics(value: unknown, resources: Record<string, CfnResource>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0] as [string, unknown];
    if (key === 'Ref') return refOf(String(arg), resources);
    if (key === 'Fn::GetAtt') {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return getAttOf(String(id), String(attribute), resources);
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((part) => String(resolveIntrinsics(part, resources))).join(separator);
    }
    if (key === 'Fn::Sub') {
      const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
      return text.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
        if (name in vars) return String(resolveIntrinsics(vars[name], resources));
        const [id, attribute] = name.split('.');
        return attribute ? getAttOf(id as string, attribute, resources) : refOf(name, resources);
      });
    }
    if (key.startsWith('Fn::')) throw new Error(`no stand-in for ${key}`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, resources)]));
}
