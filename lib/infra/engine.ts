/**
 * The engine: what every runbook's state machine shares. The Lambda functions (one per
 * `lambdas/<name>.ts` entry, bundled locally with the project's esbuild), the output bucket,
 * their log groups, the approval topic and the HTTP API.
 *
 * Permissions that depend on the runbooks (which S3 prefixes, which topics, which state
 * machines the API may start) are added by the stack once every runbook is known; see
 * `grantRunbooks`.
 */
import path from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FUNCTION_SPECS, type FunctionName, type FunctionSpec } from './functions.ts';
import type { Settings } from './settings.ts';

/** The repository root: `lambdas/`, `package-lock.json` and `node_modules/` are under it. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Props of {@link Engine}. */
export interface EngineProps {
  readonly settings: Settings;
  /**
   * The directory holding the `<name>.ts` entries.
   *
   * @default - `lambdas/` of this repository
   */
  readonly lambdasDir?: string;
  /**
   * Entries given one by one, over `lambdasDir` (tests point single functions at fixtures).
   *
   * @default - `<lambdasDir>/<name>.ts` for every function
   */
  readonly entries?: Partial<Record<FunctionName, string>>;
}

/**
 * The shared half of the deployment.
 *
 * @example
 * ```ts
 * const engine = new Engine(stack, 'Engine', { settings });
 * engine.functions.exec.functionArn;   // the ${ExecFnArn} substitution
 * ```
 */
export class Engine extends Construct {
  readonly settings: Settings;
  /** Every function, by entry name. */
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  /** Every function's log group, by entry name. */
  readonly logGroups: Readonly<Record<FunctionName, logs.LogGroup>>;
  /** Full command outputs and Distributed Map items and results; keys start with the runbook name. */
  readonly bucket: s3.Bucket;
  /** Where approval requests are published. */
  readonly approvalTopic: sns.ITopic;
  /** The runbook API; every route uses IAM authorization. */
  readonly api: apigwv2.HttpApi;
  /** `https://<api id>.execute-api.<region>.<url suffix>`: the API's base URL. */
  readonly apiUrl: string;
  /** The API's stage (`$default`), with access logs. */
  readonly apiStage: apigwv2.HttpStage;
  private readonly apiIntegration: HttpLambdaIntegration;
  private readonly routes = new Set<string>();

  constructor(scope: Construct, id: string, props: EngineProps) {
    super(scope, id);
    this.settings = props.settings;
    const retention = props.settings.retentionDays as logs.RetentionDays;
    const lambdasDir = props.lambdasDir ?? path.join(PROJECT_ROOT, 'lambdas');

    this.bucket = new s3.Bucket(this, 'Outputs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'retention',
          expiration: Duration.days(props.settings.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the engine roles write here, under <runbook>/<execution>/<step>/…, and each object is named in its execution history; server access logs would need a second bucket of their own. Enable CloudTrail S3 data events when an access audit is needed.',
    });

    this.approvalTopic = props.settings.approvalTopicArn
      ? sns.Topic.fromTopicArn(this, 'ApprovalTopic', props.settings.approvalTopicArn)
      : new sns.Topic(this, 'ApprovalTopic', {
          displayName: 'Runbook approval requests',
          masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
          enforceSSL: true,
        });

    const functions: Partial<Record<FunctionName, NodejsFunction>> = {};
    const logGroups: Partial<Record<FunctionName, logs.LogGroup>> = {};
    for (const spec of FUNCTION_SPECS) {
      const entry = props.entries?.[spec.name] ?? path.join(lambdasDir, `${spec.name}.ts`);
      const { fn, logGroup } = this.createFunction(spec, entry, retention);
      functions[spec.name] = fn;
      logGroups[spec.name] = logGroup;
    }
    this.functions = functions as Record<FunctionName, NodejsFunction>;
    this.logGroups = logGroups as Record<FunctionName, logs.LogGroup>;

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'ecs-runbooks: start runbooks, read executions, decide approvals (IAM auth)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention });
    this.apiStage = new apigwv2.HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            caller: '$context.identity.userArn',
            sourceIp: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            latencyMs: '$context.responseLatency',
            error: '$context.error.message',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.apiIntegration = new HttpLambdaIntegration('ApiIntegration', this.functions.api);
    this.addRoute(apigwv2.HttpMethod.POST, '/runbooks/{name}/executions');
    this.addRoute(apigwv2.HttpMethod.GET, '/executions/{id}');
    this.addRoute(apigwv2.HttpMethod.POST, '/executions/{id}/approval');

    const apiUrl = `https://${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
    this.apiUrl = apiUrl;
    this.functions['approval-request'].addEnvironment('APPROVAL_TOPIC_ARN', this.approvalTopic.topicArn);
    this.functions['approval-request'].addEnvironment('API_URL', apiUrl);
    this.functions.api.addEnvironment('API_URL', apiUrl);
    this.approvalTopic.grantPublish(this.functions['approval-request']);
    // The step functions store full outputs and Distributed Map items in the bucket (lib/handlers
    // picks the S3 output store when OUTPUT_BUCKET is set); permissions.ts grants the prefixes.
    for (const name of ['exec', 'targets', 'fan-out-summary'] as const) {
      this.functions[name].addEnvironment('OUTPUT_BUCKET', this.bucket.bucketName);
    }
  }

  /**
   * Adds an API route served by the API function, with IAM authorization (the API's default).
   * A route added twice is added once.
   */
  addRoute(method: apigwv2.HttpMethod, routePath: string): void {
    const key = `${method} ${routePath}`;
    if (this.routes.has(key)) return;
    this.routes.add(key);
    this.api.addRoutes({ path: routePath, methods: [method], integration: this.apiIntegration });
  }

  /** The ARN pattern `execute-api:Invoke` needs for one route of the API's stage. */
  routeArn(method: string, routePath: string): string {
    const stack = Stack.of(this);
    return stack.formatArn({
      service: 'execute-api',
      resource: this.api.apiId,
      resourceName: `$default/${method}${routePath.replace(/\{[^}]+\}/g, '*')}`,
    });
  }

  private createFunction(
    spec: FunctionSpec,
    entry: string,
    retention: logs.RetentionDays,
  ): { fn: NodejsFunction; logGroup: logs.LogGroup } {
    const id = pascal(spec.name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention });
    // An own role instead of the AWS-managed AWSLambdaBasicExecutionRole: logs go to this
    // function's log group only.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ecs-runbooks ${spec.name} function`,
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, `${id}Fn`, {
      entry,
      handler: 'handler',
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      ...(spec.ephemeralStorageMb ? { ephemeralStorageSize: Size.mebibytes(spec.ephemeralStorageMb) } : {}),
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'ecs-runbooks',
        POWERTOOLS_METRICS_NAMESPACE: 'EcsRunbooks',
      },
      bundling: {
        // Never Docker: the esbuild in node_modules bundles on this machine.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: false,
        // The Lambda runtime ships the AWS SDK v3's clients; not every other @aws-sdk package
        // (lib-storage, the S3 output store's uploads, is bundled). ws' optional native helpers
        // are never installed.
        externalModules: ['@aws-sdk/client-*', 'bufferutil', 'utf-8-validate'],
        // An ESM bundle of CommonJS dependencies (ws) needs a require for Node's built-ins.
        banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
      },
    });
    return { fn, logGroup };
  }
}

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
