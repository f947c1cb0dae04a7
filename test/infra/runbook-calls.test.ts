import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type Synthesized, synthesize } from './helpers.ts';

// restart-service: schedule with parameters, alarms by name and by ARN, two states.
// on-call: calls restart-service, and leaves its exec step's container open.
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({
    settings: { clusters: ['demo'], namePrefix: 'ops', retentionDays: 7 },
    runbooksDir: path.join(import.meta.dirname, '..', 'fixtures', 'infra', 'calls'),
  });
}, 240_000);

afterAll(() => synth?.cleanup());

function logicalIdOf(type: string, prefix: string): string {
  const found = resourcesOfType(synth, type).find(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}…`).toBeDefined();
  return (found as [string, unknown])[0];
}

describe('RunbooksStack with runbooks that call runbooks', () => {
  it('substitutes a child runbook through its Runbook_<name>_Arn placeholder', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'ops-on-call',
      DefinitionSubstitutions: Match.objectLike({
        Runbook_restart_service_Arn: {
          Ref: logicalIdOf('AWS::StepFunctions::StateMachine', 'RunbookrestartserviceStateMachine'),
        },
      }),
    });
  });

  it('lets the caller start that child state machine alone', () => {
    const policy = resourcesOfType(synth, 'AWS::IAM::Policy').find(([id]) =>
      id.startsWith('RunbookoncallStateMachineRole'),
    );
    const statements = (
      (policy as [string, { Properties: Record<string, unknown> }])[1].Properties.PolicyDocument as {
        Statement: { Sid?: string; Action: unknown; Resource: unknown }[];
      }
    ).Statement;
    expect(statements.find((s) => s.Sid === 'StartChildRunbooks')).toEqual(
      expect.objectContaining({
        Action: 'states:StartExecution',
        Resource: {
          Ref: logicalIdOf('AWS::StepFunctions::StateMachine', 'RunbookrestartserviceStateMachine'),
        },
      }),
    );
    expect(JSON.stringify(statements.find((s) => s.Sid === 'FollowChildRunbooks'))).toContain(
      ':execution:ops-restart-service:*',
    );
    // on-call has no fan-out step, so no Distributed Map may start executions of itself.
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('states:StartExecution'))).toHaveLength(
      1,
    );
  });

  it('passes the schedule trigger parameters with the time zone', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'America/New_York',
      Target: Match.objectLike({
        Input: JSON.stringify({
          params: { service: 'worker', grace: 10 },
          trigger: { type: 'schedule', schedule: { time: '<aws.scheduler.scheduled-time>' } },
        }),
      }),
    });
  });

  it('matches alarms given by name or ARN, in every declared state, with the declared parameters', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: ['worker-stuck', 'worker-queue-deep'],
          state: { value: ['ALARM', 'INSUFFICIENT_DATA'] },
        },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: Match.objectLike({
            InputTemplate:
              '{"params":{"service":"worker"},"trigger":{"type":"alarm","alarm":{"name":<detail-alarmName>,"state":<detail-state-value>,"reason":<detail-state-reason>}}}',
          }),
        }),
      ],
    });
  });

  it('sets no container condition when a runbook leaves the container open', () => {
    const exec = resourcesOfType(synth, 'AWS::IAM::Policy').find(([id]) => id.startsWith('EngineExecRole'));
    const statement = (
      (exec as [string, { Properties: Record<string, unknown> }])[1].Properties.PolicyDocument as {
        Statement: { Sid?: string; Condition?: unknown }[];
      }
    ).Statement.find((s) => s.Sid === 'ExecuteCommandInConfiguredClusters');
    expect(statement).toBeDefined();
    expect(statement?.Condition).toBeUndefined();
  });
});
