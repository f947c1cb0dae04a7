/**
 * One deployed runbook: its state machine (the compiled ASL with the placeholders substituted),
 * the role's permissions for exactly what the definition calls, and its triggers.
 */
import { ArnFormat, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { isPlaceholderName, runbookArnPlaceholder } from '../compiler/index.ts';
import type { ScalarValue, TriggerArgument } from '../runbook/index.ts';
import type { Engine } from './engine.ts';
import { InfraError } from './errors.ts';
import { FUNCTION_SPECS, type FunctionName } from './functions.ts';
import { acknowledgeWildcardResources } from './nag.ts';
import { type DeployedRunbook, notifyTopics } from './runbook-set.ts';

/** Props of {@link Runbook}. */
export interface RunbookProps {
  readonly engine: Engine;
  readonly deployed: DeployedRunbook;
  /** The runbooks this one calls, by runbook name (built before it). */
  readonly children: ReadonlyMap<string, Runbook>;
}

/** The path of the API route that starts a runbook. */
export function executionsRoute(name: string): string {
  return `/runbooks/${name}/executions`;
}

/**
 * A runbook's state machine and triggers.
 *
 * @example
 * ```ts
 * const machine = new Runbook(stack, 'NightlyMaintenance', { engine, deployed, children });
 * machine.stateMachine.stateMachineArn;
 * ```
 */
export class Runbook extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineName: string;
  readonly logGroup: logs.LogGroup;
  /**
   * The state machine's ARN built from its name, not a reference to it: what functions the
   * state machine itself invokes may hold (a `Ref` there would be a dependency cycle).
   */
  readonly stateMachineArn: string;
  /** `arn:…:execution:<state machine name>:*`: every execution of this runbook. */
  readonly executionArnPattern: string;

  constructor(scope: Construct, id: string, props: RunbookProps) {
    super(scope, id);
    const { engine, deployed } = props;
    const { runbook, compiled } = deployed;
    const stack = Stack.of(this);
    this.stateMachineName = `${engine.settings.namePrefix}-${runbook.name}`;
    this.stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const stateMachineArn = this.stateMachineArn;
    this.executionArnPattern = executionPattern(stack, this.stateMachineName);

    const substitutions: Record<string, string> = {};
    const invoked = new Set<FunctionName>();
    for (const placeholder of compiled.placeholders) {
      const spec = FUNCTION_SPECS.find((s) => s.placeholder === placeholder);
      if (spec) {
        substitutions[placeholder] = engine.functions[spec.name].functionArn;
        invoked.add(spec.name);
      } else if (placeholder === 'OutputBucket') {
        substitutions[placeholder] = engine.bucket.bucketName;
      } else {
        const child = [...props.children.entries()].find(
          ([name]) => runbookArnPlaceholder(name) === placeholder,
        );
        if (!child || !isPlaceholderName(placeholder)) {
          throw new InfraError(
            'UNWIRABLE_RUNBOOK',
            `${deployed.file}: the compiled definition of ${runbook.name} uses the placeholder \${${placeholder}}, which the stack has no value for`,
          );
        }
        substitutions[placeholder] = child[1].stateMachine.stateMachineArn;
      }
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: engine.settings.retentionDays as logs.RetentionDays,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(compiled.compactJson),
      definitionSubstitutions: substitutions,
      // Execution data stays out of the logs: step values carry command output tails.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    const role = this.stateMachine.role;

    // fromString: CDK cannot see what the states call, so every permission is granted here.
    const functionArns = [...invoked].sort().map((name) => engine.functions[name].functionArn);
    if (functionArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeEngineFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: functionArns,
        }),
      );
    }
    const topics = notifyTopics(runbook, deployed.file);
    if (topics.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'PublishNotifications', actions: ['sns:Publish'], resources: topics }),
      );
    }
    const children = deployed.calls.map((name) => props.children.get(name) as Runbook);
    if (children.length > 0) this.grantChildren(children);
    if (usesDistributedMap(compiled.definition))
      this.grantDistributedMap(stateMachineArn, engine, runbook.name);
    this.acknowledgeServiceWildcards();

    const { schedule, alarm, api } = runbook.triggers;
    if (schedule) {
      new scheduler.Schedule(this, 'Schedule', {
        description: `Starts runbook ${runbook.name}: cron(${schedule.cron}) in ${schedule.timezone}`,
        schedule: scheduler.ScheduleExpression.expression(
          schedule.expression,
          TimeZone.of(schedule.timezone),
        ),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            params: argumentsOf(schedule.parameters),
            trigger: { type: 'schedule', schedule: { time: scheduler.ContextAttribute.scheduledTime } },
          }),
        }),
      });
    }
    if (alarm) {
      new events.Rule(this, 'AlarmRule', {
        description: `Starts runbook ${runbook.name} when ${alarm.alarms.join(', ')} enters ${alarm.states.join(' or ')}`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: alarm.alarms.map(alarmNameOf), state: { value: [...alarm.states] } },
        },
        targets: [
          new eventsTargets.SfnStateMachine(this.stateMachine, {
            input: events.RuleTargetInput.fromObject({
              params: argumentsOf(alarm.parameters),
              trigger: {
                type: 'alarm',
                alarm: {
                  name: events.EventField.fromPath('$.detail.alarmName'),
                  state: events.EventField.fromPath('$.detail.state.value'),
                  reason: events.EventField.fromPath('$.detail.state.reason'),
                },
              },
            }),
          }),
        ],
      });
    }
    if (api) engine.addRoute(apigwv2.HttpMethod.POST, executionsRoute(runbook.name));
  }

  private grantChildren(children: readonly Runbook[]): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartChildRunbooks',
        actions: ['states:StartExecution'],
        resources: children.map((child) => child.stateMachine.stateMachineArn),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FollowChildRunbooks',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: children.map((child) => child.executionArnPattern),
      }),
    );
    acknowledgeWildcardResources(
      role,
      children.map((child) => child.executionArnPattern),
      "A called runbook's execution names are made at run time; each pattern covers one child state machine's executions.",
    );
    // startExecution.sync:2 waits for the child through this managed EventBridge rule.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SyncChildRunbooks',
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
          }),
        ],
      }),
    );
  }

  private grantDistributedMap(stateMachineArn: string, engine: Engine, runbookName: string): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    // A Distributed Map runs its children as executions of this very state machine.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapChildren',
        actions: ['states:StartExecution'],
        resources: [stateMachineArn],
      }),
    );
    const mapRuns = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const prefix = engine.bucket.arnForObjects(`${runbookName}/*`);
    acknowledgeWildcardResources(
      role,
      [mapRuns, prefix],
      "Distributed Map children are executions of this state machine named at run time (execution:<self>/*); its items and results are objects under this runbook's prefix, named at run time.",
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapRuns',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [mapRuns],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapItemsAndResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [prefix],
      }),
    );
  }

  private acknowledgeServiceWildcards(): void {
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CDK adds these for logging and X-Ray: the CloudWatch Logs delivery actions (logs:CreateLogDelivery, …) and xray:PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions.',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'CloudFormation-Validate::E1029',
      reason:
        'Step Functions replaces only the keys of DefinitionSubstitutions; the other dollar-brace references in the definition are shell variables of step scripts (RB_P_…, RB_E_…) and are meant to stay as they are.',
    });
  }
}

/** `arn:…:states:…:execution:<stateMachineName>:*`. */
function executionPattern(stack: Stack, stateMachineName: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function usesDistributedMap(definition: unknown): boolean {
  return JSON.stringify(definition).includes('"Mode":"DISTRIBUTED"');
}

function argumentsOf(args: readonly TriggerArgument[]): Record<string, ScalarValue> {
  return Object.fromEntries(args.map((arg) => [arg.name, arg.value]));
}

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` → `<name>`; a name stays as it is. */
function alarmNameOf(alarm: string): string {
  const match = /^arn:aws[a-z-]*:cloudwatch:[^:]*:\d{12}:alarm:(.+)$/.exec(alarm);
  return match?.[1] ?? alarm;
}
