// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
import { describe, expect, it } from 'vitest';
import type { LocalHandler } from './helpers.ts';
import { compileYaml, findState, runbookYaml, runLocal, taskError, validate } from './helpers.ts';

type Steps = Record<string, Record<string, unknown>>;

const single = (id: string, extra = '') =>
  `- id: ${id}\n  exec: { target: { service: api }, command: "true" }\n${extra}`;
const indent = (text: string, by: string) => text.replace(/^(?=.)/gm, by);

const ok: LocalHandler = () => ({ status: 'succeeded', exitCode: 0, outputs: {} });
const broken: LocalHandler = () => {
  throw taskError('CommandFailed', {
    status: 'failed',
    exitCode: 3,
    outputs: {},
    error: { name: 'CommandFailed', message: 'exit 3' },
  });
};

function parallelYaml(onFailure: string, second = single('b')): string {
  return runbookYaml(`  - id: both
    onFailure: ${onFailure}
    parallel:
      branches:
        - steps:
${indent(single('a'), '            ')}
        - steps:
${indent(second, '            ')}
${indent(single('after'), '  ')}`);
}

describe('a parallel step that catches its branches’ failures', () => {
  it('catches unhandled failures inside each branch and checks them after the branches', () => {
    const { definition } = compileYaml(parallelYaml('continue'));

    expect(validate(definition)).toEqual({ isValid: true, text: '' });
    const s = definition.States;
    expect(s.both?.ResultSelector).toEqual({
      steps: {
        both: { status: 'succeeded', exitCode: null, outputs: {} },
        'a.$': '$[0].steps.a',
        'b.$': '$[1].steps.b',
      },
      failures: { 'b1.$': '$[0].steps.both', 'b2.$': '$[1].steps.both' },
    });
    expect(s.both?.Next).toBe('both.Check');
    expect(s['both.Check']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.steps.both.failures.b1.status', StringEquals: 'failed', Next: 'both.Failure1' },
        { Variable: '$.steps.both.failures.b2.status', StringEquals: 'failed', Next: 'both.Failure2' },
      ],
      Default: 'both.Merge',
    });
    expect(s['both.MergeFailed']?.Next).toBe('after');
    const b = findState(definition, 'b');
    expect((b.Catch as { Next: string }[]).map((c) => c.Next)).toEqual(['b.Caught', 'b.Errored']);
    expect(findState(definition, 'b.Unhandled')).toEqual({
      Type: 'Pass',
      Comment: 'Unhandled: fails both once its branches have ended.',
      Parameters: { status: 'failed', exitCode: null, outputs: {}, 'error.$': '$.steps.b.error' },
      ResultPath: '$.steps.both',
      Next: 'both.Branch2',
    });
  });

  it('keeps the Step Functions shape when a branch failure fails the run', () => {
    const { definition } = compileYaml(parallelYaml('fail'));

    expect(definition.States.both?.Catch).toBeUndefined();
    expect(definition.States.both?.Next).toBe('both.Merge');
    expect(findState(definition, 'b').Catch).toBeUndefined();
  });

  it('records the values of every branch and the failed step’s error when onFailure is continue', async () => {
    const output = await runLocal(
      compileYaml(parallelYaml('continue')).definition,
      {},
      { a: ok, b: broken, after: ok },
    );

    const steps = output.steps as Steps;
    expect(steps.a?.status).toBe('succeeded');
    expect(steps.b).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(steps.both).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: {},
      error: { name: 'CommandFailed', message: 'exit 3' },
    });
    expect(steps.after?.status).toBe('succeeded');
  });

  it('records a succeeded parallel when no branch fails', async () => {
    const output = await runLocal(
      compileYaml(parallelYaml('continue')).definition,
      {},
      { a: ok, b: ok, after: ok },
    );

    expect((output.steps as Steps).both).toEqual({ status: 'succeeded', exitCode: null, outputs: {} });
  });

  it('escalates a nested parallel’s failure with the branch step’s error name', async () => {
    const nested = `- id: inner
  parallel:
    branches:
      - steps:
${indent(single('b'), '          ')}
- id: skipped_after
  exec: { target: { service: api }, command: "true" }`;
    const { definition } = compileYaml(parallelYaml('continue', nested));
    expect(validate(definition).isValid).toBe(true);

    const output = await runLocal(definition, {}, { a: ok, b: broken, skipped_after: ok, after: ok });

    const steps = output.steps as Steps;
    expect(steps.b).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(steps.inner).toMatchObject({ status: 'failed', error: { name: 'CommandFailed' } });
    expect(steps.skipped_after?.status).toBe('skipped');
    expect(steps.both).toMatchObject({
      status: 'failed',
      error: { name: 'CommandFailed', message: 'exit 3' },
    });
  });

  it('records a fail step in a branch and runs the onFailure steps', async () => {
    const stop = '- id: stop\n  fail: { error: Broken, cause: "at ${{ params.p }}" }';
    const source = parallelYaml('\n      - id: tell\n        succeed: told', stop).replace(
      '\nsteps:',
      '\nparameters: { p: { type: integer, default: 7 } }\nsteps:',
    );
    const { definition } = compileYaml(source);
    expect(validate(definition).isValid).toBe(true);
    expect(findState(definition, 'stop').Type).toBe('Pass');

    const output = await runLocal(definition, {}, { a: ok });

    const steps = output.steps as Steps;
    expect(steps.stop).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: {},
      error: { name: 'Broken', message: 'at 7' },
    });
    expect(steps.both).toMatchObject({ status: 'failed', error: { name: 'Broken', message: 'at 7' } });
    expect(steps.tell?.status).toBe('succeeded');
    expect(steps.a?.status).toBe('succeeded');
  });
});
