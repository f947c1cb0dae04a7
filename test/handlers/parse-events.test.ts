/**
 * The parsers at the handlers' edge: a good event passes unchanged, a bad one is refused with
 * every wrong field named, the value received and what is accepted.
 */
import { describe, expect, it } from 'vitest';
import type { BatchEvent, ExecEvent, SummaryEvent, TargetsEvent } from '../../lib/handlers/events.ts';
import { parseExecFnEvent, parseSummaryEvent, parseTargetsEvent } from '../../lib/handlers/parse-events.ts';
import { InvalidInputError } from '../../lib/handlers/parse-input.ts';

const BASE = {
  runbook: 'rb',
  stepId: 'step1',
  execution: 'arn:aws:states:eu-west-1:000000000000:execution:rb:run-1',
} as const;

const EXEC: ExecEvent = {
  ...BASE,
  kind: 'exec',
  target: { cluster: 'demo', service: 'api', pick: 'one', container: 'app' },
  script: 'echo "$RB_P_x"',
  env: { RB_P_x: 'a', RB_E_1: 3, RB_E_2: true, RB_E_3: null },
  timeoutMs: 600_000,
  captures: [
    { name: 'n', type: 'integer', extract: { kind: 'regex', pattern: '^(\\d+)$', group: 1 }, default: 0 },
    { name: 'j', type: 'string', extract: { kind: 'json', path: '.a[0]', segments: ['a', 0] } },
  ],
  stateTailBytes: 2048,
  outputBucket: 'bucket',
};

const BATCH: BatchEvent = {
  ...BASE,
  kind: 'batch',
  cluster: 'arn:aws:ecs:eu-west-1:000000000000:cluster/demo',
  container: 'app',
  taskIds: ['t1', 't2'],
  script: 'true',
  env: {},
  timeoutMs: 1000,
  concurrency: 2,
  ratePerSecond: 0.5,
  retry: { attempts: 3, intervalMs: 2000, backoff: 2, maxIntervalMs: 10_000 },
  outputBucket: 'bucket',
};

const TARGETS: TargetsEvent = {
  ...BASE,
  kind: 'targets',
  target: { service: 'api', pick: 'all' },
  batchSize: 25,
  distributedThreshold: 1000,
  outputBucket: 'bucket',
};

const SUMMARY: SummaryEvent = {
  ...BASE,
  kind: 'summary',
  fanOut: { results: [[{ taskId: 't1', exitCode: 0, status: 'succeeded', uri: 's3://b/k' }], []] },
  toleratedFailures: { percent: 10 },
  maxListedFailures: 20,
};

/** Each problem a parser reports for `input`, as `{ path, received, accepted }`. */
function refusal(
  parse: (input: unknown) => unknown,
  input: unknown,
): { error: InvalidInputError; issues: { path: string; received: string; accepted: string }[] } {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const invalid = error as InvalidInputError;
    const issues = invalid.problems.map((p) => ({
      path: p.field,
      received: p.message.slice(`${p.field}: received `.length, p.message.indexOf('; accepted: ')),
      accepted: p.accepted,
    }));
    return { error: invalid, issues };
  }
  throw new Error('expected the parser to refuse the event');
}

describe('parseExecFnEvent', () => {
  it.each([
    ['a single-target step', EXEC],
    ['a batch', BATCH],
  ])('returns %s unchanged', (_, event) => {
    expect(parseExecFnEvent(structuredClone(event))).toEqual(event);
  });

  it('reports every wrong field with its path, the value received and what is accepted', () => {
    // Arrange
    const event = {
      ...EXEC,
      target: { ...EXEC.target, pick: 'all' },
      timeoutMs: 0,
      env: { RB_P_x: { nested: true } },
      captures: [{ ...EXEC.captures[0], extract: { kind: 'xpath', pattern: 'x', group: 1 } }],
      extra: 1,
    };

    // Act
    const { error, issues } = refusal(parseExecFnEvent, event);

    // Assert
    expect(error.what).toBe('exec event');
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'target.pick', received: '"all"', accepted: 'one of "one", "random"' },
        { path: 'timeoutMs', received: '0', accepted: 'a number ≥ 1' },
        {
          path: 'env.RB_P_x',
          received: '{"nested":true}',
          accepted: 'a string or a number or a boolean or null',
        },
        { path: 'captures[0].extract.kind', received: '"xpath"', accepted: 'one of "regex", "json"' },
        { path: 'extra', received: 'an unknown key', accepted: 'no other keys' },
      ]),
    );
    expect(error.message).toContain('target.pick: received "all"; accepted: one of "one", "random"');
  });

  it('reports a missing field as missing', () => {
    const { script: _, ...event } = BATCH;
    expect(refusal(parseExecFnEvent, event).issues).toEqual([
      { path: 'script', received: 'nothing', accepted: 'a string' },
    ]);
  });

  it('reports an unknown kind with the kinds it serves', () => {
    expect(refusal(parseExecFnEvent, { ...EXEC, kind: 'targets' }).issues).toEqual([
      { path: 'kind', received: '"targets"', accepted: 'one of "exec", "batch"' },
    ]);
  });

  it('reports an event that is not an object', () => {
    expect(refusal(parseExecFnEvent, 'exec').issues).toEqual([
      { path: '(root)', received: '"exec"', accepted: 'an object' },
    ]);
  });

  it('reports a target with no selector or two', () => {
    for (const target of [{ pick: 'one' }, { service: 'api', task: 't1' }]) {
      expect(refusal(parseExecFnEvent, { ...EXEC, target }).issues).toEqual([
        {
          path: 'target',
          received: JSON.stringify(target),
          accepted: 'exactly one of task, service, family, startedBy, group',
        },
      ]);
    }
  });

  it('keeps a resolved value the core turns into a task error, such as an empty service', () => {
    const event = { ...EXEC, target: { service: '', pick: 'one' } };
    expect(parseExecFnEvent(event)).toEqual(event);
  });

  it('reports every wrong field, in the order of the contract', () => {
    const { issues } = refusal(parseExecFnEvent, { ...EXEC, script: 7, stepId: 'x'.repeat(10), runbook: [] });
    expect(issues.map((i) => i.path)).toEqual(['runbook', 'script']);
  });
});

describe('parseTargetsEvent', () => {
  it('returns a good event unchanged', () => {
    expect(parseTargetsEvent(structuredClone(TARGETS))).toEqual(TARGETS);
  });

  it('accepts a count pick and refuses one', () => {
    expect(parseTargetsEvent({ ...TARGETS, target: { service: 'api', pick: 5 } }).target.pick).toBe(5);
    const error = refusal(parseTargetsEvent, { ...TARGETS, target: { service: 'api', pick: 'one' } });
    expect(error.issues).toEqual([{ path: 'target.pick', received: '"one"', accepted: '"all" or a number' }]);
  });

  it('refuses a batch size of 2.5', () => {
    expect(refusal(parseTargetsEvent, { ...TARGETS, batchSize: 2.5 }).issues).toEqual([
      { path: 'batchSize', received: '2.5', accepted: 'an integer' },
    ]);
  });
});

describe('parseSummaryEvent', () => {
  it('returns inline results and a ResultWriter location unchanged', () => {
    expect(parseSummaryEvent(structuredClone(SUMMARY))).toEqual(SUMMARY);
    const distributed = {
      ...SUMMARY,
      fanOut: { resultWriterDetails: { Bucket: 'b', Key: 'p/manifest.json' } },
    };
    expect(parseSummaryEvent(distributed)).toEqual(distributed);
  });

  it('reports a target result with an unknown status', () => {
    const event = {
      ...SUMMARY,
      fanOut: { results: [[{ taskId: 't1', exitCode: 0, status: 'ok' }]] },
    };
    expect(refusal(parseSummaryEvent, event).issues[0]?.accepted).toContain('"succeeded", "failed"');
  });

  it('refuses a tolerated percentage over 100', () => {
    const error = refusal(parseSummaryEvent, { ...SUMMARY, toleratedFailures: { percent: 150 } });
    expect(error.issues).toEqual([
      { path: 'toleratedFailures.percent', received: '150', accepted: 'a number ≤ 100' },
    ]);
  });
});
