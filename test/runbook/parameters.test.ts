import { describe, expect, it } from 'vitest';
import {
  checkParameters,
  ParameterError,
  type ParameterSpec,
  parameterProblems,
  parseParameterArguments,
  parseRunbook,
  type Runbook,
} from '../../lib/runbook/index.ts';
import { ParameterError as RunnerParameterError } from '../../lib/runner/errors.ts';

const source = `
name: params-demo
parameters:
  count: { type: integer, minimum: 1, maximum: 5 }
  mode: { type: enum, values: [fast, slow], default: fast }
  service: { type: string, pattern: "[a-z]+" }
  dryRun: { type: boolean, default: false }
steps:
  - id: done
    succeed: {}
`;

function runbook(): Runbook {
  const parsed = parseRunbook(source, { file: 'params-demo.yaml' });
  expect(parsed.diagnostics).toEqual([]);
  if (!parsed.runbook) throw new Error('params-demo did not validate');
  return parsed.runbook;
}

describe('parameterProblems', () => {
  it('returns nothing when the values are accepted', () => {
    expect(parameterProblems(runbook(), { count: 3, service: 'api', dryRun: true })).toEqual([]);
  });

  it('reports every problem at once, in the order given, then the missing parameters', () => {
    // Act
    const problems = parameterProblems(runbook(), { mode: 'medium', extra: 1, dryRun: 'yes' });

    // Assert
    expect(problems.map((p) => [p.code, p.parameter])).toEqual([
      ['INVALID_PARAMETER', 'mode'],
      ['UNKNOWN_PARAMETER', 'extra'],
      ['INVALID_PARAMETER', 'dryRun'],
      ['MISSING_PARAMETER', 'count'],
      ['MISSING_PARAMETER', 'service'],
    ]);
    expect(problems[0]).toMatchObject({ value: 'medium', accepted: 'one of fast, slow' });
    expect(problems[0]?.message).toBe(
      'parameter mode: "medium" is not accepted; accepted: one of fast, slow',
    );
    expect(problems[1]?.message).toMatch(
      /has no parameter "extra"; its parameters: count, mode, service, dryRun/,
    );
    expect(problems[3]).toMatchObject({ accepted: 'an integer from 1 to 5' });
    expect(problems[3]).not.toHaveProperty('value');
  });

  it.each([
    [{ count: 0, service: 'api' }, 'count'],
    [{ count: 2.5, service: 'api' }, 'count'],
    [{ count: 2, service: 'API' }, 'service'],
    [{ count: 2, service: null }, 'service'],
  ])('reports a rejected value in %j', (values, parameter) => {
    expect(parameterProblems(runbook(), values)).toMatchObject([{ code: 'INVALID_PARAMETER', parameter }]);
  });

  it('reports a required parameter named like an Object property as missing', () => {
    const [count] = runbook().parameters;
    if (!count) throw new Error('params-demo has no parameters');
    const spec: ParameterSpec = { name: 'x', parameters: [{ ...count, name: 'constructor' }] };
    expect(parameterProblems(spec, {})).toMatchObject([
      { code: 'MISSING_PARAMETER', parameter: 'constructor' },
    ]);
  });
});

describe('checkParameters', () => {
  it('throws the first problem parameterProblems reports', () => {
    const values = { count: 9, extra: 1 };
    const error = (() => {
      try {
        checkParameters(runbook(), values);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ParameterError);
    const [first] = parameterProblems(runbook(), values);
    expect(error).toMatchObject({
      name: 'ParameterError',
      code: first?.code,
      parameter: first?.parameter,
      message: first?.message,
    });
  });

  it('throws one error naming every missing parameter', () => {
    expect(() => checkParameters(runbook(), {})).toThrow(
      'runbook params-demo needs count (an integer from 1 to 5), service (a string matching /[a-z]+/); pass --param count=… --param service=…',
    );
  });

  it('returns the values when they are accepted', () => {
    expect(checkParameters(runbook(), { count: 1, service: 'web' })).toEqual({ count: 1, service: 'web' });
  });
});

describe('parseParameterArguments', () => {
  it('types NAME=VALUE text per the declarations', () => {
    expect(parseParameterArguments(runbook(), ['count=4', 'service=api', 'dryRun=TRUE'])).toEqual({
      count: 4,
      service: 'api',
      dryRun: true,
    });
  });

  it.each([
    [['count=x', 'service=a'], 'INVALID_PARAMETER', 'count'],
    [['=1'], 'INVALID_PARAMETER', ''],
    [['count=1', 'count=2', 'service=a'], 'INVALID_PARAMETER', 'count'],
    [['nope=1'], 'UNKNOWN_PARAMETER', 'nope'],
    [['count=1'], 'MISSING_PARAMETER', 'service'],
  ])('throws ParameterError for %j', (args, code, parameter) => {
    expect(() => parseParameterArguments(runbook(), args)).toThrow(
      expect.objectContaining({ code, parameter }),
    );
  });

  it('throws the same class the runner exports', () => {
    expect(RunnerParameterError).toBe(ParameterError);
  });
});
