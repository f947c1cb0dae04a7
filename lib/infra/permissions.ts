/**
 * The engine functions' permissions, which depend on the settings (clusters, exec key) and on
 * the runbooks (key prefixes, containers, which state machines the API may start).
 *
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
 */
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Engine } from './engine.ts';
import { acknowledgeWildcardResources } from './nag.ts';
import { type DeployedRunbook, fixedContainers } from './runbook-set.ts';

/** A configured cluster's ARNs. */
export interface ClusterArns {
  readonly cluster: string;
  /** `arn:…:task/<cluster>/*`: every task of the cluster. */
  readonly tasks: string;
}

/** The ARNs of a configured cluster, given by name (this stack's account and region) or by ARN. */
export function clusterArns(stack: Stack, cluster: string): ClusterArns {
  if (cluster.startsWith('arn:')) {
    const parts = Arn.split(cluster, ArnFormat.SLASH_RESOURCE_NAME);
    return {
      cluster,
      tasks: Arn.format({ ...parts, resource: 'task', resourceName: `${parts.resourceName}/*` }),
    };
  }
  return {
    cluster: stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: cluster }),
    tasks: stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster}/*` }),
  };
}

/** What a deployed runbook adds to the engine: its state machine ARN and execution pattern. */
export interface DeployedMachine {
  readonly deployed: DeployedRunbook;
  readonly stateMachineArn: string;
  readonly executionArnPattern: string;
}

/**
 * Grants the engine functions what the runbooks need, and nothing else:
 *
 * - exec: `ecs:ExecuteCommand` on the configured clusters and their tasks (with
 *   `ecs:container-name` when every runbook fixes its containers), `ecs:DescribeTasks` under
 *   `ecs:cluster`, `kms:GenerateDataKey` on the exec key, and writing outputs under each
 *   runbook's key prefix;
 * - targets: `ecs:ListTasks` and `ecs:DescribeTasks` under `ecs:cluster`; writing Distributed
 *   Map items under the prefixes;
 * - fan-out-summary: reading Distributed Map results under the prefixes;
 * - api: starting the runbooks with an API trigger, reading every runbook's executions, and
 *   completing task tokens.
 */
export function grantEngine(engine: Engine, machines: readonly DeployedMachine[]): void {
  const stack = Stack.of(engine);
  const { settings } = engine;
  const clusters = settings.clusters.map((cluster) => clusterArns(stack, cluster));
  const clusterCondition = { ArnEquals: { 'ecs:cluster': clusters.map((c) => c.cluster) } };
  const containers = fixedContainers(machines.map((m) => m.deployed.runbook));
  const prefixes = machines.map((m) => engine.bucket.arnForObjects(`${m.deployed.runbook.name}/*`));
  const execRole = engine.functions.exec.role as iam.Role;
  const targetsRole = engine.functions.targets.role as iam.Role;
  const summaryRole = engine.functions['fan-out-summary'].role as iam.Role;
  const apiRole = engine.functions.api.role as iam.Role;

  execRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ExecuteCommandInConfiguredClusters',
      actions: ['ecs:ExecuteCommand'],
      resources: clusters.flatMap((c) => [c.cluster, c.tasks]),
      ...(containers && containers.length > 0
        ? { conditions: { StringEquals: { 'ecs:container-name': containers } } }
        : {}),
    }),
  );
  for (const role of [execRole, targetsRole]) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeTasksOfConfiguredClusters',
        actions: ['ecs:DescribeTasks'],
        resources: clusters.map((c) => c.tasks),
        conditions: clusterCondition,
      }),
    );
  }
  targetsRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListTasksOfConfiguredClusters',
      actions: ['ecs:ListTasks'],
      resources: ['*'],
      conditions: clusterCondition,
    }),
  );
  if (settings.execKmsKeyArn) {
    execRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ExecSessionDataKey',
        actions: ['kms:GenerateDataKey'],
        resources: [settings.execKmsKeyArn],
      }),
    );
  }
  if (prefixes.length > 0) {
    execRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOutputs',
        // lib-storage's upload: PutObject, or CreateMultipartUpload, UploadPart and
        // CompleteMultipartUpload (all three authorized as s3:PutObject), and
        // AbortMultipartUpload when a part fails. Nothing reads, lists or deletes.
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: prefixes,
      }),
    );
    targetsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteDistributedMapItems',
        actions: ['s3:PutObject'],
        resources: prefixes,
      }),
    );
    summaryRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDistributedMapResults',
        actions: ['s3:GetObject'],
        resources: prefixes,
      }),
    );
  }

  const started = machines.filter((m) => m.deployed.runbook.triggers.api).map((m) => m.stateMachineArn);
  if (started.length > 0) {
    apiRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartApiRunbooks',
        actions: ['states:StartExecution'],
        resources: started,
      }),
    );
  }
  if (machines.length > 0) {
    apiRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRunbookExecutions',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: machines.map((m) => m.executionArnPattern),
      }),
    );
  }
  apiRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DecideApprovals',
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: ['*'],
    }),
  );

  acknowledgeWildcardResources(
    execRole,
    clusters.map((c) => c.tasks),
    'Task ids are known only at run time, so ExecuteCommand and DescribeTasks name every task of each configured cluster (task/<cluster>/*); DescribeTasks is also under an ecs:cluster condition.',
  );
  acknowledgeWildcardResources(
    execRole,
    prefixes,
    'Output object keys are made at run time (<runbook>/<execution>/<step>/<attempt>/<task>.log): one prefix per deployed runbook.',
  );
  acknowledgeWildcardResources(
    targetsRole,
    ['*', ...clusters.map((c) => c.tasks)],
    'ListTasks is authorized against container instances whatever the request names, so it is limited by the ecs:cluster condition to the configured clusters; DescribeTasks names every task of those clusters, as task ids are known only at run time.',
  );
  acknowledgeWildcardResources(
    targetsRole,
    prefixes,
    "Distributed Map item keys are made at run time under each deployed runbook's prefix (<runbook>/*).",
  );
  acknowledgeWildcardResources(
    summaryRole,
    prefixes,
    "Distributed Map result keys are made by Step Functions at run time under each deployed runbook's prefix (<runbook>/*).",
  );
  acknowledgeWildcardResources(
    apiRole,
    ['*'],
    'SendTaskSuccess and SendTaskFailure support no resource-level permissions: the task token is the capability.',
  );
  acknowledgeWildcardResources(
    apiRole,
    machines.map((m) => m.executionArnPattern),
    'Execution names are made at run time; each pattern covers the executions of one deployed state machine (execution:<name>:*).',
  );
}
