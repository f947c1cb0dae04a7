// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are ${Name} and runbook expressions ${{ … }}
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../lib/compiler/index.ts';
import type { LocalHandler } from './helpers.ts';
import { model, runLocal, taskError } from './helpers.ts';

/** A runbook whose step `x` (a wait) has the given `when`. */
function runbookWith(when: string): string {
  return `name: t
parameters:
  n: { type: integer, default: 1 }
  m: { type: integer, default: 2 }
  r: { type: number, default: 0.5 }
  s: { type: string, default: a }
  b: { type: boolean, default: false }
  e: { type: enum, values: [x, y], default: x }
steps:
  - id: first
    exec: { target: { service: api }, command: "true" }
    capture: { c: { regex: '(\\d+)', type: integer, default: 0 } }
    onFailure: continue
  - id: child
    runbook: other
  - id: x
    when: "${when.replaceAll('"', '\\"')}"
    wait: 1s
`;
}

function ruleOf(when: string): unknown {
  const { definition } = compileRunbook(model(runbookWith(when)));
  const choice = definition.States['x.When'];
  if (!choice) return 'no Choice';
  const [rule] = choice.Choices as Record<string, unknown>[];
  const { Next, ...rest } = rule as Record<string, unknown>;
  expect(Next).toBe('x');
  expect(choice.Default).toBe('Runbook.Outputs');
  return rest;
}

const exit = '$.steps.first.exitCode';
const child = '$.steps.child.outputs.v';

describe('lowerCondition', () => {
  it.each([
    ['params.n >= 3', { Variable: '$.params.n', NumericGreaterThanEquals: 3 }],
    ['params.n > 3', { Variable: '$.params.n', NumericGreaterThan: 3 }],
    ['params.n <= 3', { Variable: '$.params.n', NumericLessThanEquals: 3 }],
    ['params.n < 3', { Variable: '$.params.n', NumericLessThan: 3 }],
    ['params.n == 3', { Variable: '$.params.n', NumericEquals: 3 }],
    ['params.n != 3', { Not: { Variable: '$.params.n', NumericEquals: 3 } }],
    ['params.r <= 1.5', { Variable: '$.params.r', NumericLessThanEquals: 1.5 }],
    ["params.s == 'a'", { Variable: '$.params.s', StringEquals: 'a' }],
    ["params.s < 'b'", { Variable: '$.params.s', StringLessThan: 'b' }],
    ["params.s >= 'b'", { Variable: '$.params.s', StringGreaterThanEquals: 'b' }],
    ["params.e != 'y'", { Not: { Variable: '$.params.e', StringEquals: 'y' } }],
    ['params.b == true', { Variable: '$.params.b', BooleanEquals: true }],
    ['params.b', { Variable: '$.params.b', BooleanEquals: true }],
    ['!params.b', { Not: { Variable: '$.params.b', BooleanEquals: true } }],
    ["steps.first.status == 'failed'", { Variable: '$.steps.first.status', StringEquals: 'failed' }],
    ["trigger.alarm.state == 'ALARM'", { Variable: '$.trigger.alarm.state', StringEquals: 'ALARM' }],
  ])('maps %s to one comparison on the literal’s type', (expression, rule) => {
    expect(ruleOf(`\${{ ${expression} }}`)).toEqual(rule);
  });

  it.each([
    ['3 < params.n', { Variable: '$.params.n', NumericGreaterThan: 3 }],
    ['3 >= params.n', { Variable: '$.params.n', NumericLessThanEquals: 3 }],
    ["'a' == params.s", { Variable: '$.params.s', StringEquals: 'a' }],
  ])('flips %s so the reference is the Variable', (expression, rule) => {
    expect(ruleOf(`\${{ ${expression} }}`)).toEqual(rule);
  });

  it.each([
    ['params.n < params.m', { Variable: '$.params.n', NumericLessThanPath: '$.params.m' }],
    ['params.n == params.m', { Variable: '$.params.n', NumericEqualsPath: '$.params.m' }],
    ['params.s >= params.e', { Variable: '$.params.s', StringGreaterThanEqualsPath: '$.params.e' }],
    ['params.b != params.b', { Not: { Variable: '$.params.b', BooleanEqualsPath: '$.params.b' } }],
  ])('uses the Path variant for reference %s', (expression, rule) => {
    expect(ruleOf(`\${{ ${expression} }}`)).toEqual(rule);
  });

  it.each([
    ['steps.first.exitCode == null', { Variable: exit, IsNull: true }],
    ['steps.first.exitCode != null', { Not: { Variable: exit, IsNull: true } }],
    ['null == steps.first.exitCode', { Variable: exit, IsNull: true }],
  ])('maps %s to IsNull', (expression, rule) => {
    expect(ruleOf(`\${{ ${expression} }}`)).toEqual(rule);
  });

  it.each([
    [
      'steps.first.exitCode == 0',
      {
        And: [
          { Variable: exit, IsNumeric: true },
          { Variable: exit, NumericEquals: 0 },
        ],
      },
    ],
    [
      'steps.first.exitCode != 0',
      {
        Not: {
          And: [
            { Variable: exit, IsNumeric: true },
            { Variable: exit, NumericEquals: 0 },
          ],
        },
      },
    ],
    [
      'steps.first.exitCode > params.n',
      {
        And: [
          { Variable: exit, IsNumeric: true },
          { Variable: exit, NumericGreaterThanPath: '$.params.n' },
        ],
      },
    ],
    [
      "steps.child.outputs.v == 'ok'",
      {
        And: [
          { Variable: child, IsString: true },
          { Variable: child, StringEquals: 'ok' },
        ],
      },
    ],
  ])('guards %s with a type test when the reference may hold another type', (expression, rule) => {
    expect(ruleOf(`\${{ ${expression} }}`)).toEqual(rule);
  });

  it('compares two references of unknown type for each type and for both null', () => {
    const rule = ruleOf('${{ steps.child.outputs.v == steps.child.outputs.w }}') as { Or: unknown[] };
    expect(rule.Or).toHaveLength(4);
    expect(rule.Or[0]).toEqual({
      And: [
        { Variable: child, IsNull: true },
        { Variable: '$.steps.child.outputs.w', IsNull: true },
      ],
    });
    expect(JSON.stringify(rule)).toContain('"NumericEqualsPath"');
    expect(JSON.stringify(rule)).toContain('"BooleanEqualsPath"');
  });

  it('flattens nested && and || into one And or Or', () => {
    expect(ruleOf("${{ params.b || params.n > 1 || params.s == 'z' }}")).toEqual({
      Or: [
        { Variable: '$.params.b', BooleanEquals: true },
        { Variable: '$.params.n', NumericGreaterThan: 1 },
        { Variable: '$.params.s', StringEquals: 'z' },
      ],
    });
    expect(ruleOf('${{ params.b && (params.n > 1 && !params.b) }}')).toEqual({
      And: [
        { Variable: '$.params.b', BooleanEquals: true },
        { Variable: '$.params.n', NumericGreaterThan: 1 },
        { Not: { Variable: '$.params.b', BooleanEquals: true } },
      ],
    });
  });

  it('folds constant parts of a condition away', () => {
    expect(ruleOf('${{ true && params.b }}')).toEqual({ Variable: '$.params.b', BooleanEquals: true });
    expect(ruleOf('${{ 1 < 2 || params.b }}')).toBe('no Choice');
  });

  it('leaves a step whose condition is always false out of the definition', () => {
    const { definition } = compileRunbook(model(runbookWith('${{ 1 == 2 }}')));
    expect(Object.keys(definition.States)).not.toContain('x');
    expect(definition.States.child?.Next).toBe('Runbook.Outputs');
  });

  describe('in aws-local-stepfunctions', () => {
    const first: LocalHandler = () => ({ status: 'succeeded', exitCode: 0, outputs: { c: 7 } });
    const failedFirst: LocalHandler = () => {
      throw taskError('SessionInterrupted', {
        status: 'failed',
        exitCode: null,
        outputs: { c: 0 },
        error: { name: 'SessionInterrupted', message: 'cut' },
      });
    };
    const childRun: LocalHandler = () => ({ Output: { outputs: { v: 'ok', w: 'ok' }, steps: {} } });

    it.each([
      ['${{ params.n >= 3 }}', { n: 3 }, 'succeeded', first],
      ['${{ params.n >= 3 }}', { n: 2 }, 'skipped', first],
      ["${{ params.s != 'a' || params.b }}", {}, 'skipped', first],
      ["${{ params.s != 'a' || params.b }}", { b: true }, 'succeeded', first],
      ['${{ steps.first.exitCode == 0 }}', {}, 'succeeded', first],
      ['${{ steps.first.exitCode == 0 }} (first failed)', {}, 'skipped', failedFirst],
      ['${{ steps.first.exitCode != 0 }} (first failed)', {}, 'succeeded', failedFirst],
      ['${{ steps.first.exitCode < 1 }} (first failed)', {}, 'skipped', failedFirst],
      ['${{ steps.first.outputs.c > params.n }}', {}, 'succeeded', first],
      ["${{ steps.first.status == 'failed' }} (first failed)", {}, 'succeeded', failedFirst],
      ['${{ steps.child.outputs.v == steps.child.outputs.w }}', {}, 'succeeded', first],
    ] as const)('routes %s with params %j to status %s', async (label, params, status, firstHandler) => {
      const when = label.replace(/ \(first failed\)$/, '');
      const { definition } = compileRunbook(model(runbookWith(when)));

      const output = await runLocal(
        definition,
        { params },
        { first: firstHandler, child: childRun },
        { x: 0 },
      );

      expect((output.steps as Record<string, { status: string }>).x?.status).toBe(status);
    });
  });
});
