// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are ${Name} and runbook expressions ${{ … }}
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AslDefinition, compileRunbookSource, taskStatesOf } from '../../lib/compiler/index.ts';
import type {
  ApprovalEvent,
  BatchEvent,
  ExecEvent,
  NotifyParameters,
  SummaryEvent,
  TargetsEvent,
} from '../../lib/handlers/events.ts';
import { type LocalHandler, runLocal, taskError } from './helpers.ts';

const RUNBOOKS = join(import.meta.dirname, '..', '..', 'runbooks');

function definitionOf(name: string): AslDefinition {
  const file = join(RUNBOOKS, `${name}.yaml`);
  const { definition } = compileRunbookSource(readFileSync(file, 'utf8'), { file });
  if (!definition) throw new Error(`${name} does not compile`);
  return definition;
}

interface Canned {
  /** Capture values by step id. */
  readonly captures?: Record<string, Record<string, unknown>>;
  /** Steps whose exec fails with CommandFailed and this exit code. */
  readonly commandFails?: Record<string, number>;
  /** Fan-out steps whose summary exceeds the budget with this many failures. */
  readonly budgetExceeded?: Record<string, number>;
}

/** Canned results for every Task state of a definition, recording each call. */
function cannedHandlers(
  definition: AslDefinition,
  canned: Canned,
  calls: [string, unknown][],
): Record<string, LocalHandler> {
  const handlers: Record<string, LocalHandler> = {};
  for (const task of taskStatesOf(definition)) {
    // The input check runs the real core (helpers.ts runLocal).
    if (task.kind === 'checkInput') continue;
    handlers[task.name] = ((input: unknown) => {
      calls.push([task.name, input]);
      switch (task.kind) {
        case 'exec': {
          const event = input as ExecEvent;
          const code = canned.commandFails?.[event.stepId];
          if (code !== undefined) {
            throw taskError('CommandFailed', {
              status: 'failed',
              exitCode: code,
              outputs: {},
              error: { name: 'CommandFailed', message: `exit ${code}`, hint: '' },
            });
          }
          return { status: 'succeeded', exitCode: 0, outputs: canned.captures?.[event.stepId] ?? {} };
        }
        case 'targets':
          return {
            cluster: (input as TargetsEvent).target.cluster ?? 'default',
            total: 3,
            batches: [['t1', 't2'], ['t3']],
          };
        case 'batch':
          return (input as BatchEvent).taskIds.map((taskId) => ({
            taskId,
            exitCode: 0,
            status: 'succeeded',
          }));
        case 'summary': {
          const event = input as SummaryEvent;
          const failed = canned.budgetExceeded?.[event.stepId];
          if (failed !== undefined) {
            throw taskError('ErrorBudgetExceeded', {
              status: 'failed',
              exitCode: null,
              outputs: { total: 3, succeeded: 3 - failed, failed },
              error: { name: 'ErrorBudgetExceeded', message: `${failed} failed`, hint: '' },
            });
          }
          const total = 'results' in event.fanOut ? event.fanOut.results.flat().length : 0;
          return { status: 'succeeded', exitCode: null, outputs: { total, succeeded: total, failed: 0 } };
        }
        case 'approval':
          return { approvedBy: 'arn:aws:iam::000000000000:user/lead', comment: 'go' };
        case 'notify':
          return { MessageId: 'message-1' };
        case 'runbook':
          throw new Error('no child runbooks in the examples');
      }
    }) as LocalHandler;
  }
  return handlers;
}

describe('compiled examples in aws-local-stepfunctions', () => {
  it('runs nightly-maintenance to its outputs with the parameter defaults', async () => {
    // Arrange
    const definition = definitionOf('nightly-maintenance');
    const calls: [string, unknown][] = [];
    const handlers = cannedHandlers(definition, { captures: { usage: { usedPercent: 42 } } }, calls);

    // Act
    const output = await runLocal(definition, {}, handlers);

    // Assert
    expect(output.outputs).toEqual({ usedPercent: 42, purgedTasks: 3, failedTasks: 0 });
    expect(calls.map(([name]) => name)).toEqual([
      'usage',
      'purge',
      'purge.Batch',
      'purge.Batch',
      'purge.Summary',
      'report',
    ]);
    const report = calls.at(-1)?.[1] as NotifyParameters;
    expect(report.Subject).toBe('Nightly maintenance of api');
    expect(report.Message).toContain('Disk use of api was 42%.');
    const usage = calls[0]?.[1] as ExecEvent;
    expect(usage.target).toEqual({ cluster: 'demo', service: 'api', pick: 'one', container: 'app' });
    const batch = calls[2]?.[1] as BatchEvent;
    expect(batch.env).toEqual({ RB_P_maxAgeDays: 1 });
    expect(batch.execution).toBe('arn:aws:states:eu-west-1:000000000000:execution:t:run-1');
  });

  it('passes the approval its task token and message in flush-cache', async () => {
    // Arrange
    const definition = definitionOf('flush-cache');
    const calls: [string, unknown][] = [];
    const captures = { measure: { entries: 12, kib: 340 }, verify: { remaining: 0 } };
    const handlers = cannedHandlers(definition, { captures }, calls);

    // Act
    const output = await runLocal(definition, { params: { service: 'api', reason: 'stale' } }, handlers);

    // Assert
    const approval = calls.find(([name]) => name === 'approve')?.[1] as {
      FunctionName: string;
      Payload: ApprovalEvent;
    };
    expect(approval.FunctionName).toBe('${ApprovalFnArn}');
    expect(approval.Payload.taskToken).toBe('local-token');
    expect(approval.Payload.message).toBe(
      'Flush the cache of api (12 entries, 340 KiB in one task)? Reason: stale',
    );
    expect(approval.Payload.timeoutMs).toBe(15 * 60_000);
    expect(output.outputs).toEqual({ entriesBefore: 12, entriesAfter: 0, flushedTasks: 3 });
    const steps = output.steps as Record<string, { outputs: unknown }>;
    expect(steps.approve?.outputs).toEqual({
      approvedBy: 'arn:aws:iam::000000000000:user/lead',
      comment: 'go',
    });
  });

  it('skips the restart in incident-api-5xx when the numbers stay below the thresholds', async () => {
    // Arrange
    const definition = definitionOf('incident-api-5xx');
    const calls: [string, unknown][] = [];
    const captures = { api_errors: { errors: 5, load: 0.5 }, worker_queue: { depth: 3 } };
    const handlers = cannedHandlers(definition, { captures }, calls);
    const trigger = {
      type: 'alarm',
      alarm: { name: 'api-5xx-high', state: 'ALARM', reason: 'threshold crossed' },
    };

    // Act
    const output = await runLocal(definition, { trigger }, handlers);

    // Assert
    expect(calls.map(([name]) => name)).not.toContain('restart_workers');
    expect(output.outputs).toEqual({ apiErrors: 5, queueDepth: 3, restart: 'skipped' });
    const record = calls.find(([name]) => name === 'record.Batch')?.[1] as BatchEvent;
    expect(record.env).toEqual({ RB_E_1: 'api-5xx-high', RB_E_2: 'ALARM', RB_E_3: 'threshold crossed' });
  });

  it('keeps the failed exit code and continues when last_requests fails in incident-api-5xx', async () => {
    const definition = definitionOf('incident-api-5xx');
    const calls: [string, unknown][] = [];
    const captures = { api_errors: { errors: 5, load: 0.5 }, worker_queue: { depth: 3 } };
    const handlers = cannedHandlers(definition, { captures, commandFails: { last_requests: 1 } }, calls);

    const output = await runLocal(definition, {}, handlers);

    const steps = output.steps as Record<string, unknown>;
    expect(steps.last_requests).toEqual({
      status: 'failed',
      exitCode: 1,
      outputs: {},
      error: { name: 'CommandFailed', message: 'exit 1', hint: '' },
    });
    const tell = calls.find(([name]) => name === 'tell')?.[1] as NotifyParameters;
    expect(tell.Message).toContain('last requests: failed; worker restart: skipped.');
  });

  it('restarts and then runs the onFailure notify in incident-api-5xx when the budget is exceeded', async () => {
    // Arrange
    const definition = definitionOf('incident-api-5xx');
    const calls: [string, unknown][] = [];
    const captures = { api_errors: { errors: 500, load: 2 }, worker_queue: { depth: 3 } };
    const handlers = cannedHandlers(definition, { captures, budgetExceeded: { restart_workers: 2 } }, calls);
    const trigger = { type: 'alarm', alarm: { name: 'api-5xx-high', state: 'ALARM', reason: 'r' } };

    // Act
    const output = await runLocal(definition, { params: { errorThreshold: 100 }, trigger }, handlers);

    // Assert
    const names = calls.map(([name]) => name);
    expect(names.indexOf('restart_failed')).toBeGreaterThan(names.indexOf('restart_workers.Summary'));
    const notice = calls.find(([name]) => name === 'restart_failed')?.[1] as NotifyParameters;
    expect(notice.Message).toContain('failed in 2 task(s)');
    expect(output.outputs).toEqual({ apiErrors: 500, queueDepth: 3, restart: 'failed' });
  });
});
