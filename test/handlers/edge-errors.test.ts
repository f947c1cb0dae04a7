/**
 * toTaskError: whatever escapes a core leaves as a task error of the closed set whose message is
 * a step value as JSON, with the reason kept.
 */
import { describe, expect, it } from 'vitest';
import { ExecError } from '../../lib/exec/index.ts';
import { InvalidInputError, toTaskError } from '../../lib/handlers/index.ts';
import { InvocationDeadline, TASK_ERROR_NAMES, TaskError } from '../../lib/shared/index.ts';

const execEvent = {
  kind: 'exec',
  captures: [
    { name: 'percent', type: 'integer', extract: { kind: 'regex', pattern: 'x', group: 1 }, default: 7 },
  ],
};

function stepValueOf(error: TaskError) {
  expect(error).toBeInstanceOf(TaskError);
  expect(TASK_ERROR_NAMES).toContain(error.name);
  return JSON.parse(error.message);
}

/** An error as the AWS SDK v3 throws it. */
function sdkError(name: string, status: number, fault: 'client' | 'server') {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

describe('toTaskError', () => {
  it('keeps a TaskError of the closed set with its JSON message as it is', () => {
    const error = new TaskError('CommandFailed', JSON.stringify({ status: 'failed' }));
    expect(toTaskError(error, execEvent)).toBe(error);
  });

  it('wraps a named error whose message is text (an ExecError) in a step value, hint kept', () => {
    const mapped = toTaskError(new ExecError('NoTargets', 'nothing matched', 'list the tasks'), execEvent);
    expect(mapped.name).toBe('NoTargets');
    expect(stepValueOf(mapped)).toEqual({
      status: 'failed',
      exitCode: null,
      outputs: { percent: 7 },
      error: { name: 'NoTargets', message: 'nothing matched', hint: 'list the tasks' },
    });
  });

  it('maps an event that does not parse to InvalidInput, with every problem', () => {
    const problems = [
      { field: 'target', accepted: 'an object', message: 'target: received nothing; accepted: an object' },
      { field: 'timeoutMs', value: -1, accepted: '≥ 1', message: 'timeoutMs: received -1; accepted: ≥ 1' },
    ];
    const mapped = toTaskError(new InvalidInputError('exec event', problems), { kind: 'exec' });
    expect(mapped.name).toBe('InvalidInput');
    const value = stepValueOf(mapped);
    expect(value.error.message).toContain('timeoutMs: received -1');
    expect(value.problems.map((p: { field: string }) => p.field)).toEqual(['target', 'timeoutMs']);
  });

  it.each([
    ['a server fault', sdkError('InternalError', 500, 'server'), 'ServerException'],
    ['S3 throttling', sdkError('SlowDown', 503, 'server'), 'ServerException'],
    ['a client fault', sdkError('NoSuchBucket', 404, 'client'), 'ClientException'],
    ["one of ECS's names", sdkError('AccessDeniedException', 400, 'client'), 'AccessDeniedException'],
  ])('maps an AWS SDK error (%s) by lib/exec’s classification, AWS’s message kept', (_, error, name) => {
    const mapped = toTaskError(error, { kind: 'summary' });
    expect(mapped.name).toBe(name);
    const value = stepValueOf(mapped);
    expect(value.error.message).toContain(`${error.name} happened`);
    expect(value.outputs).toEqual({ total: 0, succeeded: 0, failed: 0 });
  });

  it('maps anything else (a bug) to ServerException, its name and message kept', () => {
    const mapped = toTaskError(new TypeError("Cannot read properties of undefined (reading 'x')"), 'junk');
    expect(mapped.name).toBe('ServerException');
    const value = stepValueOf(mapped);
    expect(value.error.message).toBe(
      "Internal error: TypeError: Cannot read properties of undefined (reading 'x')",
    );
    expect(value.outputs).toEqual({});
  });

  it('maps what escapes after the invocation’s deadline to ExecTimeout, and a thrown non-Error too', () => {
    const controller = new AbortController();
    controller.abort(new InvocationDeadline(15_000));
    const late = toTaskError(new Error('socket hang up'), execEvent, controller.signal);
    expect(late.name).toBe('ExecTimeout');
    expect(stepValueOf(late).error.message).toContain('socket hang up');
    expect(toTaskError('a string', execEvent).name).toBe('ServerException');
  });
});
