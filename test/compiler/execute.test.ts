// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are ${Name} and runbook expressions ${{ … }}
import { describe, expect, it } from 'vitest';
import { compileYaml, type LocalHandler, runbookYaml, runLocal, taskError } from './helpers.ts';

const ok: LocalHandler = () => ({ status: 'succeeded', exitCode: 0, outputs: {} });

function failing(name: string, exitCode: number | null): LocalHandler {
  return () => {
    throw taskError(name, {
      status: 'failed',
      exitCode,
      outputs: {},
      error: { name, message: 'it broke', hint: 'fix it' },
    });
  };
}

const single = (id: string, extra = '') => `  - id: ${id}
    exec: { target: { service: api }, command: "true" }
${extra ? `${extra.trimEnd()}\n` : ''}`;

type Steps = Record<string, Record<string, unknown>>;

describe('compiled definitions in aws-local-stepfunctions', () => {
  describe('the input', () => {
    const source = runbookYaml(
      `  - id: a
    exec: { target: { service: "\${{ params.svc }}" }, command: 'echo "\${{ params.n }}" \${{ trigger.type }}' }`,
      'parameters: { svc: { type: string, default: api }, n: { type: integer, default: 3 } }',
    );

    it.each([
      ['no params or trigger', {}, { svc: 'api', n: 3 }, 'manual'],
      ['some params', { params: { n: 7 } }, { svc: 'api', n: 7 }, 'manual'],
      [
        'params and a trigger',
        { params: { svc: 'web' }, trigger: { type: 'api', api: { caller: 'me' } } },
        { svc: 'web', n: 3 },
        'api',
      ],
    ])('merges %s over the defaults', async (_, input, params, type) => {
      const events: unknown[] = [];
      const a: LocalHandler = (event) => {
        events.push(event);
        return { status: 'succeeded', exitCode: 0, outputs: {} };
      };

      await runLocal(compileYaml(source).definition, input, { a });

      expect(events[0]).toMatchObject({
        target: { service: params.svc },
        env: { RB_P_n: params.n, RB_E_1: type },
      });
    });
  });

  describe('failures', () => {
    it('rejects with the step’s error when onFailure is fail', async () => {
      const { definition } = compileYaml(runbookYaml(`${single('a')}${single('b')}`));
      const calls: string[] = [];
      const b: LocalHandler = () => {
        calls.push('b');
        return {};
      };

      await expect(runLocal(definition, {}, { a: failing('CommandFailed', 2), b })).rejects.toThrow(
        /it broke/,
      );
      expect(calls).toEqual([]);
    });

    it('records the handler’s failed value and goes on when onFailure is continue', async () => {
      const { definition } = compileYaml(
        runbookYaml(`${single('a', '    onFailure: continue')}${single('b')}`),
      );

      const output = await runLocal(definition, {}, { a: failing('CommandFailed', 2), b: ok });

      const steps = output.steps as Steps;
      expect(steps.a).toEqual({
        status: 'failed',
        exitCode: 2,
        outputs: {},
        error: { name: 'CommandFailed', message: 'it broke', hint: 'fix it' },
      });
      expect(steps.b?.status).toBe('succeeded');
      expect(Object.keys(output)).toEqual(['outputs', 'steps']);
    });

    it('records any other error’s name and cause when onFailure is continue', async () => {
      const { definition } = compileYaml(runbookYaml(single('a', '    onFailure: continue')));
      const crash: LocalHandler = () => {
        const error = new Error('Task timed out after 900.00 seconds');
        error.name = 'Sandbox.Timedout';
        throw error;
      };

      const output = await runLocal(definition, {}, { a: crash });

      expect((output.steps as Steps).a).toEqual({
        status: 'failed',
        exitCode: null,
        outputs: {},
        error: { name: 'Sandbox.Timedout', message: 'Task timed out after 900.00 seconds' },
      });
    });

    it('runs the onFailure steps with the failed step’s value, then the next step', async () => {
      const source = runbookYaml(
        `${single(
          'a',
          `    onFailure:
      - id: tell
        exec: { target: { service: api }, command: 'echo \${{ steps.a.exitCode }}' }
`,
        )}${single('b')}`,
      );
      const events: unknown[] = [];
      const tell: LocalHandler = (event) => {
        events.push(event);
        return { status: 'succeeded', exitCode: 0, outputs: {} };
      };

      const output = await runLocal(
        compileYaml(source).definition,
        {},
        { a: failing('ExecTimeout', null), tell, b: ok },
      );

      expect(events).toMatchObject([{ env: { RB_E_1: null } }]);
      expect((output.steps as Steps).b?.status).toBe('succeeded');
    });

    it('retries a retryable error and succeeds on a later attempt', async () => {
      const { definition } = compileYaml(
        runbookYaml(single('a', '    retry: { attempts: 3, interval: 1s }')),
      );
      let attempts = 0;
      const flaky: LocalHandler = () => {
        attempts++;
        if (attempts < 3) failing('SessionInterrupted', null)(undefined as never);
        return { status: 'succeeded', exitCode: 0, outputs: {} };
      };

      const output = await runLocal(definition, {}, { a: flaky });

      expect(attempts).toBe(3);
      expect((output.steps as Steps).a?.status).toBe('succeeded');
    });

    it('does not retry an error that fails the same way again', async () => {
      const { definition } = compileYaml(runbookYaml(single('a', '    retry: 3\n    onFailure: continue')));
      let attempts = 0;
      const denied: LocalHandler = () => {
        attempts++;
        return failing('AccessDeniedException', null)(undefined as never);
      };

      await runLocal(definition, {}, { a: denied });

      expect(attempts).toBe(1);
    });

    it('records NoTargets with zero counts for a fan-out that continues', async () => {
      const source = runbookYaml(`  - id: f
    exec: { target: { service: api, pick: all }, command: "true" }
    onFailure: continue`);
      const targets: LocalHandler = () => {
        throw taskError('NoTargets', {
          status: 'failed',
          exitCode: null,
          outputs: { total: 0, succeeded: 0, failed: 0 },
          error: { name: 'NoTargets', message: 'no RUNNING task of service api', hint: '' },
        });
      };

      const output = await runLocal(compileYaml(source).definition, {}, { f: targets });

      expect((output.steps as Steps).f).toMatchObject({
        status: 'failed',
        outputs: { total: 0 },
        error: { name: 'NoTargets' },
      });
    });
  });

  describe('approvals', () => {
    const source = runbookYaml(`  - id: ok
    approval: { message: go, timeout: 1m }`);

    it('fails the run with ApprovalRejected when AWS times the approval out', async () => {
      const timeout: LocalHandler = () => {
        const error = new Error('');
        error.name = 'States.Timeout';
        throw error;
      };

      const run = runLocal(compileYaml(source).definition, {}, { ok: timeout });

      await expect(run).rejects.toThrow(/no decision within 1m/);
    });

    it('records a rejection’s value when onFailure is continue', async () => {
      const rejected = {
        status: 'failed',
        exitCode: null,
        outputs: { approvedBy: 'arn:aws:iam::1:user/b', comment: 'not now' },
        error: { name: 'ApprovalRejected', message: 'rejected by b' },
      };
      const reject: LocalHandler = () => {
        throw taskError('ApprovalRejected', rejected);
      };

      const output = await runLocal(
        compileYaml(`${source}    onFailure: continue\n`).definition,
        {},
        { ok: reject },
      );

      expect((output.steps as Steps).ok).toEqual(rejected);
    });
  });

  describe('control flow', () => {
    it('merges the steps of every parallel branch into the state', async () => {
      const source = runbookYaml(`  - id: both
    parallel:
      branches:
        - steps:
${single('a').replace(/^/gm, '          ')}
        - steps:
${single('b').replace(/^/gm, '          ')}
${single('after')}`);
      const a: LocalHandler = () => ({
        status: 'succeeded',
        exitCode: 0,
        outputs: {},
        result: { taskId: 'a' },
      });
      const b: LocalHandler = () => ({ status: 'succeeded', exitCode: 3, outputs: {} });

      const output = await runLocal(compileYaml(source).definition, {}, { a, b, after: ok });

      const steps = output.steps as Steps;
      expect(steps.a).toEqual({ status: 'succeeded', exitCode: 0, outputs: {}, result: { taskId: 'a' } });
      expect(steps.b?.exitCode).toBe(3);
      expect(steps.both?.status).toBe('succeeded');
      expect(steps.after?.status).toBe('succeeded');
    });

    it('marks a parallel step failed when a branch fails and onFailure is continue', async () => {
      const source = runbookYaml(`  - id: both
    onFailure: continue
    parallel:
      branches:
        - steps:
${single('a').replace(/^/gm, '          ')}
        - steps:
            - id: stop
              fail: { error: Broken, cause: nope }`);

      const output = await runLocal(compileYaml(source).definition, {}, { a: ok });

      expect((output.steps as Steps).both).toEqual({
        status: 'failed',
        exitCode: null,
        outputs: {},
        error: { name: 'Broken', message: 'nope' },
      });
    });

    it('fails the run with a fail step’s error and formatted cause', async () => {
      const source = runbookYaml(
        `  - id: stop
    fail: { error: DiskFull, cause: "disk at \${{ params.p }}%" }`,
        'parameters: { p: { type: integer, default: 97 } }',
      );

      await expect(runLocal(compileYaml(source).definition, {}, {})).rejects.toThrow(/disk at 97%/);
    });

    it('skips the remaining steps after a succeed step and still builds the outputs', async () => {
      const source = runbookYaml(
        `  - id: done
    when: \${{ params.stop }}
    succeed: nothing to do
${single('never')}`,
        'parameters: { stop: { type: boolean, default: true } }',
      ).replace('\nsteps:', '\noutputs: { s: "${{ steps.never.status }}" }\nsteps:');
      const calls: string[] = [];
      const never: LocalHandler = () => {
        calls.push('never');
        return {};
      };

      const output = await runLocal(compileYaml(source).definition, {}, { never });

      expect(calls).toEqual([]);
      expect(output.outputs).toEqual({ s: 'skipped' });
      expect((output.steps as Steps).done).toEqual({
        status: 'succeeded',
        exitCode: null,
        outputs: {},
        message: 'nothing to do',
      });
    });

    it('waits until a timestamp parameter and records the wait as succeeded', async () => {
      const source = runbookYaml(
        `  - id: pause
    wait: { until: "\${{ params.at }}" }`,
        'parameters: { at: { type: string, default: "2030-01-01T00:00:00Z" } }',
      );

      const output = await runLocal(compileYaml(source).definition, {}, {}, { pause: 0 });

      expect((output.steps as Steps).pause?.status).toBe('succeeded');
    });

    it('reads a called runbook’s outputs from its execution output', async () => {
      const source = runbookYaml(
        `  - id: call
    runbook: { name: other, parameters: { n: 2 } }`,
        '',
      ).replace('\nsteps:', '\noutputs: { v: "${{ steps.call.outputs.v }}" }\nsteps:');
      const inputs: unknown[] = [];
      const call: LocalHandler = (input) => {
        inputs.push(input);
        return { Output: { outputs: { v: 'from child' }, steps: {} }, Status: 'SUCCEEDED' };
      };

      const output = await runLocal(
        compileYaml(source).definition,
        { trigger: { type: 'api', api: { caller: 'me' } } },
        { call },
      );

      expect(output.outputs).toEqual({ v: 'from child' });
      expect(inputs).toMatchObject([
        {
          StateMachineArn: '${Runbook_other_Arn}',
          Input: { params: { n: 2 }, trigger: { type: 'api', api: { caller: 'me' } } },
        },
      ]);
    });
  });
});
