/**
 * The one stack: an engine and a {@link Runbook} per runbook of the runbook directory.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CATALOG_ENV, catalogEntryOf, type RunbookCatalog } from '../runbook/index.ts';
import { Engine, type EngineProps } from './engine.ts';
import { type DeployedMachine, grantEngine } from './permissions.ts';
import { Runbook } from './runbook.ts';
import type { DeployedRunbook } from './runbook-set.ts';
import type { Settings } from './settings.ts';

/**
 * The environment variable the API and approval-request functions read the catalog from
 * (defined once in lib/runbook/catalog.ts; lib/handlers/catalog.ts parses it).
 */
export { CATALOG_ENV } from '../runbook/index.ts';

/** Props of {@link RunbooksStack}. */
export interface RunbooksStackProps extends StackProps {
  readonly settings: Settings;
  /** The validated, compiled runbooks, callees before callers (`loadRunbookSet`). */
  readonly runbooks: readonly DeployedRunbook[];
  /** @default - `lambdas/` of this repository */
  readonly lambdasDir?: EngineProps['lambdasDir'];
  /** @default - `<lambdasDir>/<name>.ts` */
  readonly entries?: EngineProps['entries'];
}

/** The deployment: engine, state machines, triggers, permissions. */
export class RunbooksStack extends Stack {
  readonly engine: Engine;
  /** Each runbook's construct, by runbook name. */
  readonly runbooks: ReadonlyMap<string, Runbook>;

  constructor(scope: Construct, id: string, props: RunbooksStackProps) {
    super(scope, id, props);
    this.engine = new Engine(this, 'Engine', {
      settings: props.settings,
      ...(props.lambdasDir ? { lambdasDir: props.lambdasDir } : {}),
      ...(props.entries ? { entries: props.entries } : {}),
    });
    const built = new Map<string, Runbook>();
    const machines: DeployedMachine[] = [];
    for (const deployed of props.runbooks) {
      const children = new Map<string, Runbook>();
      for (const name of deployed.calls) {
        const child = built.get(name);
        if (child) children.set(name, child);
      }
      const construct = new Runbook(this, `Runbook-${deployed.runbook.name}`, {
        engine: this.engine,
        deployed,
        children,
      });
      built.set(deployed.runbook.name, construct);
      machines.push({
        deployed,
        stateMachineArn: construct.stateMachineArn,
        executionArnPattern: construct.executionArnPattern,
      });
    }
    this.runbooks = built;
    grantEngine(this.engine, machines);
    // What the API and the approval requests know of the deployed runbooks (docs/api.md).
    const catalog: RunbookCatalog = {
      runbooks: machines.map((m) => catalogEntryOf(m.deployed.runbook, m.stateMachineArn)),
    };
    for (const name of ['api', 'approval-request'] as const) {
      this.engine.functions[name].addEnvironment(CATALOG_ENV, this.toJsonString(catalog));
    }

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the runbook API (IAM auth)',
      value: this.engine.apiUrl,
    });
    new CfnOutput(this, 'OutputBucketName', {
      description: 'Full command outputs',
      value: this.engine.bucket.bucketName,
    });
    new CfnOutput(this, 'ApprovalTopicArn', {
      description: 'Approval requests are published here',
      value: this.engine.approvalTopic.topicArn,
    });
  }
}
