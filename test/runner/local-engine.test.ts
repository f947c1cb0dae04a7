/**
 * The local engine's intrinsic functions give AWS's strings: backslashes kept, escapes of
 * string literals read, Base64 over UTF-8; and the context object has `State`, as on AWS
 * (scripts/patch-aws-local-stepfunctions.mjs).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

async function evaluate(expression: string, input: unknown): Promise<unknown> {
  const machine = new StateMachine(
    {
      StartAt: 'Eval',
      States: { Eval: { Type: 'Pass', Parameters: { 'value.$': expression }, End: true } },
    } as never,
    { validationOptions: { checkPaths: false, checkArn: false } } as never,
  );
  const { result } = machine.run(input as never);
  return ((await result) as { value: unknown }).value;
}

describe('aws-local-stepfunctions as patched', () => {
  it.each([
    [
      'a value with backslashes through States.Format',
      "States.Format('[{}]', $.s)",
      { s: 'C:\\a\\\\b\\' },
      '[C:\\a\\\\b\\]',
    ],
    [
      'escaped quote and braces in a Format template',
      "States.Format('it\\'s \\{\\} {}', $.s)",
      { s: 'x' },
      "it's {} x",
    ],
    ['an escaped backslash in a Format template', "States.Format('a\\\\b{}', $.s)", { s: '' }, 'a\\b'],
    [
      'a Base64Decode of UTF-8 text with a backslash',
      `States.Base64Decode('${Buffer.from('ü\\😀', 'utf8').toString('base64')}')`,
      {},
      'ü\\😀',
    ],
    [
      'a Base64Encode of UTF-8 text',
      'States.Base64Encode($.s)',
      { s: 'ü\\😀' },
      Buffer.from('ü\\😀', 'utf8').toString('base64'),
    ],
    [
      'a nested Base64Decode inside States.Format',
      `States.Format('{}-{}', States.Base64Decode('${Buffer.from('\\"x\\"', 'utf8').toString('base64')}'), $.s)`,
      { s: '\\' },
      '\\"x\\"-\\',
    ],
    [
      'a JsonToString of text with backslashes',
      'States.JsonToString($.o)',
      { o: { p: 'a\\b' } },
      '{"p":"a\\\\b"}',
    ],
  ])('keeps %s exact', async (_name, expression, input, expected) => {
    expect(await evaluate(expression, input)).toBe(expected);
  });

  it('gives each try of a state $$.State.RetryCount, counted from 0 for each entry of the state', async () => {
    const seen: { name: string; retryCount: number; entered: string }[] = [];
    const machine = new StateMachine(
      {
        StartAt: 'Flaky',
        States: {
          Flaky: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:flaky',
            Parameters: {
              'name.$': '$$.State.Name',
              'retryCount.$': '$$.State.RetryCount',
              'entered.$': '$$.State.EnteredTime',
            },
            Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 3, IntervalSeconds: 1 }],
            Next: 'Again',
          },
          Again: {
            Type: 'Pass',
            Parameters: { 'name.$': '$$.State.Name', 'retryCount.$': '$$.State.RetryCount' },
            End: true,
          },
        },
      } as never,
      { validationOptions: { checkPaths: false, checkArn: false } } as never,
    );
    const { result } = machine.run(
      {} as never,
      {
        overrides: {
          retryIntervalOverrides: { Flaky: 0 },
          taskResourceLocalHandlers: {
            Flaky: async (event: { name: string; retryCount: number; entered: string }) => {
              seen.push(event);
              if (seen.length < 3) throw Object.assign(new Error('boom'), { name: 'Boom' });
              return {};
            },
          },
        },
      } as never,
    );
    expect(await result).toEqual({ name: 'Again', retryCount: 0 });
    expect(seen.map((e) => [e.name, e.retryCount])).toEqual([
      ['Flaky', 0],
      ['Flaky', 1],
      ['Flaky', 2],
    ]);
    // EnteredTime is when the state was entered, the same for every try.
    expect(new Set(seen.map((e) => e.entered)).size).toBe(1);
  });

  it('is patched once however often the patch runs (idempotent)', () => {
    const file = join(ROOT, 'node_modules', 'aws-local-stepfunctions', 'build', 'main.node.esm.js');
    const before = readFileSync(file, 'utf8');

    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'patch-aws-local-stepfunctions.mjs')], {
      encoding: 'utf8',
    });

    expect(run.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(before.startsWith('/* ecs-runbooks: patched')).toBe(true);
  });
});
