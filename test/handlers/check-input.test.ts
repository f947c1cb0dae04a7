import { describe, expect, it } from 'vitest';
import { checkRunbookInput } from '../../lib/handlers/check-input.ts';
import type { CheckInputEvent, CheckInputFailure, CheckInputParameter } from '../../lib/handlers/events.ts';
import { TaskError } from '../../lib/shared/errors.ts';

const PARAMETERS: readonly CheckInputParameter[] = [
  { name: 'days', type: 'integer', required: false, minimum: 1 },
  { name: 'ratio', type: 'number', required: false },
  { name: 'dry', type: 'boolean', required: false },
  { name: 'env', type: 'enum', required: false, values: ['prod', 'dev'] },
  { name: 'service', type: 'string', required: true, maxLength: 20 },
];

function event(input: unknown): CheckInputEvent {
  return { kind: 'checkInput', runbook: 'purge', parameters: PARAMETERS, input };
}

async function failure(input: unknown): Promise<CheckInputFailure> {
  try {
    await checkRunbookInput(event(input));
  } catch (error) {
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).name).toBe('InvalidInput');
    return JSON.parse((error as TaskError).message) as CheckInputFailure;
  }
  throw new Error('checkRunbookInput accepted the input');
}

describe('checkRunbookInput', () => {
  it('returns params and trigger when they are what the runbook declares', async () => {
    const input = {
      params: { days: 3, ratio: 0.5, dry: true, env: 'dev', service: 'api' },
      trigger: { type: 'alarm', alarm: { name: 'a', state: 'ALARM', reason: 'x\u001b]52;c;aGk=\u0007' } },
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:parent',
    };

    await expect(checkRunbookInput(event(input))).resolves.toEqual({
      params: input.params,
      trigger: input.trigger,
    });
  });

  it.each([
    ['a string in an integer', { days: 'a[$(touch /tmp/x)]' }, 'params.days', 'INVALID_PARAMETER'],
    ['a numeric string in an integer', { days: '3' }, 'params.days', 'INVALID_PARAMETER'],
    ['a fraction in an integer', { days: 1.5 }, 'params.days', 'INVALID_PARAMETER'],
    ['an integer below the minimum', { days: 0 }, 'params.days', 'INVALID_PARAMETER'],
    ['a string in a number', { ratio: '1e5' }, 'params.ratio', 'INVALID_PARAMETER'],
    ['a string in a boolean', { dry: 'true' }, 'params.dry', 'INVALID_PARAMETER'],
    ['a value outside an enum', { env: 'prod; rm -rf /' }, 'params.env', 'INVALID_PARAMETER'],
    ['an object in a string', { service: { x: 1 } }, 'params.service', 'INVALID_PARAMETER'],
    ['a string over maxLength', { service: 'x'.repeat(21) }, 'params.service', 'INVALID_PARAMETER'],
    ['an undeclared parameter', { other: 1 }, 'params.other', 'UNKNOWN_PARAMETER'],
  ])('rejects %s with InvalidInput naming the field', async (_name, params, field, code) => {
    const result = await failure({ params: { service: 'api', ...params } });

    expect(result.runbook).toBe('purge');
    expect(result.problems).toEqual([expect.objectContaining({ code, field })]);
  });

  it('reports a missing required parameter', async () => {
    const result = await failure({});

    expect(result.problems).toEqual([
      expect.objectContaining({ code: 'MISSING_PARAMETER', field: 'params.service' }),
    ]);
  });

  it.each([
    ['an array input', [1], '$'],
    ['a string input', 'x', '$'],
    ['an unknown top-level key', { params: { service: 'a' }, parms: {} }, 'parms'],
    ['params that are not an object', { params: [1] }, 'params'],
    ['a trigger that is not an object', { params: { service: 'a' }, trigger: 'alarm' }, 'trigger'],
    ['an unknown trigger type', { params: { service: 'a' }, trigger: { type: 'cron' } }, 'trigger.type'],
    [
      'an alarm field that is not a string',
      { params: { service: 'a' }, trigger: { alarm: { name: 'a', state: 'OK', reason: 1 } } },
      'trigger.alarm.reason',
    ],
    [
      'an alarm without all its fields',
      { params: { service: 'a' }, trigger: { alarm: { name: 'a' } } },
      'trigger.alarm.state',
    ],
    [
      'an unknown trigger field',
      { params: { service: 'a' }, trigger: { api: { caller: 'x', extra: 1 } } },
      'trigger.api.extra',
    ],
    ['an unknown trigger kind', { params: { service: 'a' }, trigger: { webhook: {} } }, 'trigger.webhook'],
  ])('rejects %s', async (_name, input, field) => {
    const result = await failure(input);

    expect(result.problems.map((p) => p.field)).toContain(field);
  });

  it('lists every problem at once', async () => {
    const result = await failure({ params: { days: 'x', dry: 1 }, trigger: { type: 'nope' } });

    expect(result.problems.map((p) => p.field)).toEqual([
      'params.days',
      'params.dry',
      'params.service',
      'trigger.type',
    ]);
  });

  it('treats a null input as empty, as Step Functions starts an execution without input', async () => {
    const result = await failure(null);

    expect(result.problems.map((p) => p.code)).toEqual(['MISSING_PARAMETER']);
  });
});
