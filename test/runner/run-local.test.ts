/**
 * The local runner on small inline runbooks: failure routing, retries, approvals, child
 * runbooks, fail steps, waits, cancellation and parameters, all through the real exec path.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecStepValue, FanOutStepValue } from '../../lib/handlers/events.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import type { Runbook } from '../../lib/runbook/model.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import { ChildRunbookNotFoundError, ParameterError, RunbookInvalidError } from '../../lib/runner/errors.ts';
import { prepareRunbook, runLocal } from '../../lib/runner/run-local.ts';
import { startHarness } from '../handlers/harness.ts';
import { cleanUp, eventsOf, run, writeRunbooks } from './helpers.ts';

afterEach(cleanUp);

const API_TASKS = [0, 1, 2].map((i) => taskIdFor('demo', 'api', i)).sort();

describe('runLocal', () => {
  it('runs onFailure steps and goes on when a fan-out target fails past the budget', async () => {
    // Arrange
    const harness = await startHarness();
    const failing = API_TASKS[1] as string;
    const source = `
name: fan-out-failure
parameters:
  failing: { type: string }
defaults: { cluster: demo, timeout: 30s }
steps:
  - id: touch
    exec:
      target: { service: api, pick: all }
      command: |
        case "$PWD" in *\${{ params.failing }}*) echo "broken here"; exit 5;; esac
        echo fine
    onFailure:
      - id: tell
        notify:
          topic: arn:aws:sns:eu-west-1:000000000000:ops
          message: "\${{ steps.touch.outputs.failed }} of \${{ steps.touch.outputs.total }} failed"
  - id: after
    exec:
      target: { service: api }
      command: echo after
outputs:
  failed: "\${{ steps.touch.outputs.failed }}"
`;

    // Act
    const { result, events } = await run(harness, source, { params: { failing } });

    // Assert
    expect(result.status).toBe('succeeded');
    const touch = result.steps.touch as FanOutStepValue;
    expect(touch).toMatchObject({
      status: 'failed',
      exitCode: null,
      outputs: { total: 3, succeeded: 2, failed: 1 },
      error: { name: 'ErrorBudgetExceeded' },
    });
    expect(touch.failures).toEqual([
      {
        taskId: failing,
        exitCode: 5,
        status: 'failed',
        error: 'CommandFailed',
        uri: expect.stringMatching(/^file:/),
      },
    ]);
    expect(await readFile(fileURLToPath(touch.failures?.[0]?.uri as string), 'utf8')).toBe('broken here\n');
    expect(result.steps.tell?.status).toBe('succeeded');
    expect(eventsOf(events, 'notification')[0]?.message).toBe('1 of 3 failed');
    expect(result.steps.after).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(result.outputs).toEqual({ failed: 1 });
    const targets = eventsOf(events, 'target-finished');
    expect(targets.map((t) => [t.result.taskId, t.result.status]).sort()).toEqual(
      API_TASKS.map((id) => [id, id === failing ? 'failed' : 'succeeded']),
    );
  });

  it('fails the run with the step and its exit code when a single target fails without onFailure', async () => {
    const harness = await startHarness();
    const source = `
name: single-failure
steps:
  - id: boom
    exec: { target: { cluster: demo, service: api }, command: 'echo "about to fail"; exit 42' }
  - id: never
    exec: { target: { cluster: demo, service: api }, command: 'echo never' }
`;
    const { result, events } = await run(harness, source);

    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'CommandFailed', stepId: 'boom' });
    expect(result.error?.message).toContain('42');
    const boom = result.steps.boom as ExecStepValue;
    expect(boom).toMatchObject({
      status: 'failed',
      exitCode: 42,
      result: { output: { tail: 'about to fail\n' } },
    });
    expect(result.steps.never?.status).toBe('skipped');
    expect(result.outputs).toEqual({});
    const finished = eventsOf(events, 'step-finished').map((e) => [e.stepId, e.status]);
    expect(finished).toEqual([
      ['boom', 'failed'],
      ['never', 'skipped'],
    ]);
  });

  it('attributes a failed parallel branch to its step and stops the other branch', async () => {
    const harness = await startHarness();
    const source = `
name: par-fail
steps:
  - id: both
    parallel:
      branches:
        - steps:
            - id: bad
              exec: { target: { cluster: demo, service: api }, command: 'echo nope; exit 3' }
        - steps:
            - id: slow
              exec: { target: { cluster: demo, service: web }, command: 'sleep 20; echo slow' }
  - id: after
    succeed: {}
`;
    const { result, events } = await run(harness, source);
    expect(result.error).toMatchObject({ name: 'CommandFailed', stepId: 'bad' });
    expect(result.steps.bad).toMatchObject({
      status: 'failed',
      exitCode: 3,
      result: { output: { tail: 'nope\n' } },
    });
    expect(result.steps.both).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: {},
      error: { name: 'CommandFailed', message: 'The command exited with code 3' },
    });
    expect(result.steps.slow).toMatchObject({ status: 'failed', error: { name: 'ExecutionAborted' } });
    expect(result.steps.after?.status).toBe('skipped');
    expect(result.durationMs).toBeLessThan(15_000);
    const finished = eventsOf(events, 'step-finished').map((e) => e.stepId);
    expect(finished.indexOf('bad')).toBeLessThan(finished.indexOf('both'));
  });

  it('retries a step per its retry until the command succeeds', async () => {
    // Arrange: the command fails until its third run, counting runs in its data directory.
    const harness = await startHarness();
    const source = `
name: flaky
steps:
  - id: flaky
    exec:
      target: { cluster: demo, service: api }
      command: |
        mkdir -p "$DATA_DIR"
        n=$(cat "$DATA_DIR/tries" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$DATA_DIR/tries"
        echo "try $n"
        [ "$n" -ge 3 ]
    retry: { attempts: 3, interval: 5s }
    capture: { tries: { regex: '^try (\\d+)$', type: integer } }
outputs:
  tries: "\${{ steps.flaky.outputs.tries }}"
`;

    // Act
    const { result, events } = await run(harness, source, { retryIntervalOverrides: { flaky: 0 } });

    // Assert
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ tries: 3 });
    const retries = eventsOf(events, 'step-retried');
    expect(retries.map((r) => [r.stepId, r.retry, r.error.name])).toEqual([
      ['flaky', 1, 'CommandFailed'],
      ['flaky', 2, 'CommandFailed'],
    ]);
  });

  it('fails the run with the last try when the retries run out', async () => {
    const harness = await startHarness();
    const source = `
name: flaky-out
steps:
  - id: flaky
    exec:
      target: { cluster: demo, service: api }
      command: |
        mkdir -p "$DATA_DIR"
        n=$(cat "$DATA_DIR/tries" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$DATA_DIR/tries"
        echo "try $n"; exit 1
    retry: { attempts: 2, interval: 1s }
`;
    const { result } = await run(harness, source, { retryIntervalOverrides: { flaky: 0 } });
    expect(result.error).toMatchObject({ name: 'CommandFailed', stepId: 'flaky' });
    expect(result.steps.flaky).toMatchObject({
      status: 'failed',
      exitCode: 1,
      result: { output: { tail: 'try 2\n' } },
    });
  });

  it('reports a fail step as the run error with its own name and cause', async () => {
    const harness = await startHarness();
    const source = `
name: failing
parameters:
  level: { type: integer, default: 97 }
steps:
  - id: check
    when: "\${{ params.level > 90 }}"
    fail: { error: DiskFull, cause: "disk at \${{ params.level }}%" }
  - id: later
    succeed: {}
`;
    const { result } = await run(harness, source);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'DiskFull', message: 'disk at 97%', stepId: 'check' });
    expect(result.steps.check?.status).toBe('failed');
    expect(result.steps.later?.status).toBe('skipped');
  });

  it('waits as long as waitTimeOverrides says', async () => {
    const harness = await startHarness();
    const source = `
name: waits
steps:
  - id: pause
    wait: 1h
  - id: done
    succeed: { message: finished }
`;
    const { result } = await run(harness, source, { waitTimeOverrides: { pause: 5 } });
    expect(result.status).toBe('succeeded');
    expect(result.steps.pause?.status).toBe('succeeded');
  });

  it('stops a running command and reports the run cancelled when the signal aborts', async () => {
    const harness = await startHarness();
    const source = `
name: long
steps:
  - id: sleepy
    exec: { target: { cluster: demo, service: api }, command: 'echo started; sleep 30' }
    timeout: 1m
  - id: after
    exec: { target: { cluster: demo, service: api }, command: 'echo after' }
`;
    const controller = new AbortController();
    const runs = run(harness, source, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step-started' && event.stepId === 'sleepy')
          setTimeout(() => controller.abort(), 300);
      },
    });
    const { result } = await runs;
    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('ExecutionAborted');
    expect(result.steps.sleepy?.status).toBe('failed');
    expect(result.steps.after?.status).toBe('skipped');
    expect(result.durationMs).toBeLessThan(15_000);
  });
});

describe('runLocal approvals', () => {
  const gated = (onFailure = '') => `
name: gated
steps:
  - id: ask
    approval: { message: "Go ahead with \${{ params.what }}?", timeout: 1s }
${onFailure}
  - id: work
    exec: { target: { cluster: demo, service: api }, command: 'echo worked' }
parameters:
  what: { type: string, default: the thing }
outputs:
  by: "\${{ steps.ask.outputs.approvedBy }}"
`;

  it('goes on with approvedBy and comment when approved', async () => {
    const harness = await startHarness();
    const { result, events } = await run(harness, gated(), {
      approval: { decision: 'approve', approvedBy: 'alice', comment: 'ok' },
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.ask).toEqual({
      status: 'succeeded',
      exitCode: null,
      outputs: { approvedBy: 'alice', comment: 'ok' },
    });
    expect(result.outputs).toEqual({ by: 'alice' });
    expect(eventsOf(events, 'approval-requested')[0]).toMatchObject({
      message: 'Go ahead with the thing?',
      timeoutMs: 1000,
    });
  });

  it('fails the run with ApprovalRejected when rejected', async () => {
    const harness = await startHarness();
    const { result } = await run(harness, gated(), {
      approval: { decision: 'reject', approvedBy: 'bob', comment: 'no' },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      name: 'ApprovalRejected',
      stepId: 'ask',
      message: 'Rejected by bob: no',
    });
    expect(result.steps.ask).toMatchObject({
      status: 'failed',
      outputs: { approvedBy: 'bob', comment: 'no' },
    });
    expect(result.steps.work?.status).toBe('skipped');
  });

  it('goes on after a rejection when onFailure is continue', async () => {
    const harness = await startHarness();
    const { result } = await run(harness, gated('    onFailure: continue'), {
      approval: { decision: 'reject', approvedBy: 'bob' },
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.ask).toMatchObject({ status: 'failed', error: { name: 'ApprovalRejected' } });
    expect(result.steps.work?.status).toBe('succeeded');
  });

  it('fails as rejected when nobody decides before the timeout', async () => {
    const harness = await startHarness();
    const { result } = await run(harness, gated());
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'ApprovalRejected', stepId: 'ask' });
    expect(result.steps.ask).toMatchObject({
      status: 'failed',
      error: { name: 'ApprovalRejected', message: expect.stringMatching(/^no decision within 1/) },
    });
  });

  it('asks the policy function with the request and follows its answer', async () => {
    const harness = await startHarness();
    const asked: string[] = [];
    const { result } = await run(harness, gated(), {
      approval: {
        ask: async (request) => {
          asked.push(`${request.runbook}/${request.stepId}: ${request.message}`);
          return { approved: true, approvedBy: 'carol', comment: 'looks fine' };
        },
      },
    });
    expect(asked).toEqual(['gated/ask: Go ahead with the thing?']);
    expect(result.steps.ask?.outputs).toEqual({ approvedBy: 'carol', comment: 'looks fine' });
  });
});

describe('runLocal child runbooks', () => {
  const child = `
name: child
parameters:
  word: { type: string }
  times: { type: integer, default: 1 }
steps:
  - id: say
    exec:
      target: { cluster: demo, service: web }
      command: |
        i=0; while [ $i -lt \${{ params.times }} ]; do printf '%s' \${{ params.word }}; i=$((i+1)); done; echo
        [ \${{ params.word }} != fail ]
    capture: { said: { regex: '^(.*)$', type: string } }
outputs:
  said: "\${{ steps.say.outputs.said }}"
`;

  it('runs the named runbook beside the parent and reads its outputs', async () => {
    const harness = await startHarness();
    const parent = `
name: parent
steps:
  - id: call
    runbook: { name: child, parameters: { word: "ab'c", times: 2 } }
outputs:
  echoed: "\${{ steps.call.outputs.said }}"
`;
    const { result, events } = await run(harness, parent, { siblings: { child } });
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ echoed: "ab'cab'c" });
    expect(result.steps.call).toEqual({ status: 'succeeded', exitCode: null, outputs: { said: "ab'cab'c" } });
    const nested = eventsOf(events, 'step-finished').filter((e) => e.scope.length === 1);
    expect(nested.map((e) => [e.scope[0], e.stepId, e.status])).toEqual([['call', 'say', 'succeeded']]);
    expect(eventsOf(events, 'run-started').map((e) => [e.runbook, e.scope])).toEqual([
      ['parent', []],
      ['child', ['call']],
    ]);
  });

  it('fails the calling step with States.TaskFailed when the child fails, and onFailure goes on', async () => {
    const harness = await startHarness();
    const parent = `
name: parent
steps:
  - id: call
    runbook: { name: child, parameters: { word: fail } }
    onFailure: continue
  - id: after
    succeed: {}
`;
    const { result } = await run(harness, parent, { siblings: { child } });
    expect(result.status).toBe('succeeded');
    expect(result.steps.call).toMatchObject({ status: 'failed', error: { name: 'States.TaskFailed' } });
    const cause = JSON.parse(result.steps.call?.error?.message as string);
    expect(cause).toMatchObject({ status: 'FAILED', error: 'CommandFailed' });
  });

  it('rejects before running when the called runbook has no file beside the parent', async () => {
    // Arrange: validated without a resolver, so the missing file is the runner's to find.
    const harness = await startHarness();
    const parent = 'name: parent\nsteps:\n  - id: call\n    runbook: missing-one\n';
    const file = (await writeRunbooks({ parent })).parent as string;
    const { runbook } = parseRunbook(parent, { file });

    // Act / Assert
    await expect(runLocal(runbook as Runbook, { file, ecs: harness.ecs })).rejects.toThrow(
      /runbook missing-one was not found; looked for .*missing-one\.yaml and .*missing-one\.yml/,
    );
    await expect(runLocal(runbook as Runbook, { file, ecs: harness.ecs })).rejects.toBeInstanceOf(
      ChildRunbookNotFoundError,
    );
  });

  it('reports an unknown called runbook as a diagnostic when given source', async () => {
    const parent = 'name: parent\nsteps:\n  - id: call\n    runbook: missing-one\n';
    const file = (await writeRunbooks({ parent })).parent as string;
    const error = (() => {
      try {
        prepareRunbook(parent, { file });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RunbookInvalidError);
    expect((error as RunbookInvalidError).diagnostics.map((d) => d.code)).toContain('UNKNOWN_RUNBOOK');
  });
});

describe('runLocal parameters', () => {
  const source = `
name: typed
parameters:
  count: { type: integer, minimum: 1, maximum: 5 }
  mode: { type: enum, values: [fast, slow], default: fast }
steps:
  - id: done
    succeed: {}
`;

  it.each([
    [
      { count: 0 },
      'INVALID_PARAMETER',
      /parameter count: 0 is not accepted; accepted: an integer from 1 to 5/,
    ],
    [{ count: '2' }, 'INVALID_PARAMETER', /parameter count: "2" is not accepted/],
    [{ count: 2, mode: 'medium' }, 'INVALID_PARAMETER', /accepted: one of fast, slow/],
    [{}, 'MISSING_PARAMETER', /needs count \(an integer from 1 to 5\)/],
    [{ count: 2, extra: 1 }, 'UNKNOWN_PARAMETER', /has no parameter "extra"; its parameters: count, mode/],
  ])('rejects %j before running (%s)', async (params, code, message) => {
    const harness = await startHarness();
    const error = await runLocal(source, { ecs: harness.ecs, params }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParameterError);
    expect((error as ParameterError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects source with error diagnostics', () => {
    expect(() => prepareRunbook('name: Bad Name\nsteps: []\n')).toThrow(RunbookInvalidError);
  });
});
