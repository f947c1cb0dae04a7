// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
import { describe, expect, it } from 'vitest';
import {
  type ParseRunbookOptions,
  parseRunbook,
  parseYaml,
  type Runbook,
  type RunbookSignature,
  signatureOf,
  validateRunbook,
} from '../../lib/runbook/index.ts';

const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

function codes(source: string, options: Partial<ParseRunbookOptions> = {}): string[] {
  return parseRunbook(source, { file: 't.yaml', ...options }).diagnostics.map((d) => d.code);
}

function valid(source: string, options: Partial<ParseRunbookOptions> = {}): Runbook {
  const result = parseRunbook(source, { file: 't.yaml', ...options });
  expect(result.diagnostics).toEqual([]);
  if (!result.runbook) throw new Error('no runbook');
  return result.runbook;
}

const CAPTURING = [
  '    exec: { target: { service: api }, command: echo 1 }',
  "    capture: { n: { regex: '(\\d+)', type: integer } }",
];
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops';

describe('validateRunbook: which steps a reference may read', () => {
  it('accepts outputs of an earlier unconditional step', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        ...CAPTURING,
        '  - id: b',
        '    when: ${{ steps.a.outputs.n > 1 }}',
        '    wait: 1s',
      ),
    );
  });

  it('reports an output of a step that continues on failure', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      ...CAPTURING,
      '    onFailure: continue',
      '  - id: b',
      '    when: ${{ steps.a.outputs.n > 1 }}',
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['OUTPUT_MAY_BE_UNSET']);
  });

  it('accepts such an output when the capture has a default', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        '    exec: { target: { service: api }, command: echo 1 }',
        "    capture: { n: { regex: '(\\d+)', type: integer, default: 0 } }",
        '    onFailure: continue',
        '  - id: b',
        '    when: ${{ steps.a.outputs.n > 1 }}',
        '    wait: 1s',
      ),
    );
  });

  it('accepts the status and exit code of any earlier step, even a conditional one', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        '    when: false',
        '    exec: { target: { service: api }, command: echo 1 }',
        '  - id: b',
        "    when: ${{ steps.a.status == 'skipped' || steps.a.exitCode != 0 }}",
        '    wait: 1s',
      ),
    );
  });

  it('keeps a step guaranteed when its onFailure steps end with a fail', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        ...CAPTURING,
        '    onFailure:',
        '      - id: cleanup',
        '        when: ${{ steps.a.exitCode == 2 }}',
        '        wait: 1s',
        '      - id: stop',
        '        fail: { error: CheckFailed, cause: "exit code ${{ steps.a.exitCode }}" }',
        '  - id: b',
        '    when: ${{ steps.a.outputs.n > 1 }}',
        '    wait: 1s',
      ),
    );
  });

  it('reports the failed step’s own output inside its onFailure steps', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      ...CAPTURING,
      '    onFailure:',
      '      - id: h',
      `        notify: { topic: "${TOPIC}", message: "\${{ steps.a.outputs.n }}" }`,
    );

    expect(codes(source)).toEqual(['OUTPUT_MAY_BE_UNSET']);
  });

  it('exposes steps of parallel branches after the parallel step', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: p',
        '    parallel:',
        '      branches:',
        '        - steps:',
        '            - id: a',
        '              exec: { target: { service: api }, command: echo 1 }',
        "              capture: { n: { regex: '(\\d+)', type: integer } }",
        '        - steps: [ { id: w, wait: 1s } ]',
        '  - id: b',
        "    when: ${{ steps.a.outputs.n > 1 && steps.w.status == 'succeeded' }}",
        '    wait: 1s',
      ),
    );
  });

  it('reads the counts of a fan-out step wherever the step is in scope', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        '    when: false',
        '    exec: { target: { service: api, pick: all }, command: "true" }',
        '  - id: b',
        '    when: ${{ steps.a.outputs.failed > 0 || steps.a.outputs.total == steps.a.outputs.succeeded }}',
        '    wait: 1s',
      ),
    );
  });

  it('reports the exit code of a fan-out step', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      '    exec: { target: { service: api, pick: 3 }, command: "true" }',
      '  - id: b',
      '    when: ${{ steps.a.exitCode == 0 }}',
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['UNKNOWN_OUTPUT']);
  });

  it('reports a status that never occurs', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      '    wait: 1s',
      '  - id: b',
      "    when: ${{ steps.a.status == 'done' }}",
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['EXPRESSION_TYPE']);
  });

  it('keeps references to a duplicated id bound to the first step', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      ...CAPTURING,
      '  - id: a',
      '    wait: 1s',
      '  - id: b',
      '    when: ${{ steps.a.outputs.n > 1 }}',
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['DUPLICATE_STEP_ID']);
  });
});

describe('validateRunbook: forms of values', () => {
  it.each([
    ['a bare expression', 'params.go'],
    ['one ${{ }}', '${{ params.go }}'],
    ['one ${{ }} with spaces around', '"  ${{ !params.go }} "'],
    ['a YAML boolean', 'true'],
  ])('accepts a when written as %s', (_title, when) => {
    valid(
      y(
        'name: t',
        'parameters:',
        '  go: { type: boolean, default: true }',
        'steps:',
        '  - id: a',
        `    when: ${when}`,
        '    wait: 1s',
      ),
    );
  });

  it('reports a when that mixes text and expressions', () => {
    const source = y(
      'name: t',
      'parameters:',
      '  go: { type: boolean, default: true }',
      'steps:',
      '  - id: a',
      '    when: yes ${{ params.go }}',
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['WHEN_NOT_BOOLEAN']);
  });

  it('accepts the shorthand forms of retry, wait, fail, succeed and runbook', () => {
    const runbook = valid(
      y(
        'name: t',
        'steps:',
        '  - id: a',
        '    exec: { target: { task: abc }, command: "true" }',
        '    retry: 3',
        '  - id: b',
        '    wait: 30s',
        '  - id: c',
        '    runbook: other-book',
        '  - id: d',
        '    when: false',
        '    fail: disk full',
        '  - id: e',
        '    succeed:',
      ),
    );

    expect(runbook.steps.map((s) => s.kind)).toEqual(['exec', 'wait', 'runbook', 'fail', 'succeed']);
    expect(runbook.steps[0]).toMatchObject({ retry: { attempts: 3, intervalMs: 1000, backoff: 2 } });
    expect(runbook.steps[1]).toMatchObject({ wait: { kind: 'duration', duration: { ms: 30_000 } } });
    expect(runbook.steps[3]).toMatchObject({
      error: 'RunbookFailed',
      cause: { parts: [{ kind: 'text', text: 'disk full' }] },
    });
  });

  it('splits templates into text and typed references', () => {
    const runbook = valid(
      y(
        'name: t',
        'parameters:',
        '  n: { type: integer, default: 1 }',
        'steps:',
        '  - id: a',
        `    notify: { topic: "${TOPIC}", message: "n=\${{ params.n }}!" }`,
      ),
    );
    const step = runbook.steps[0];

    expect(
      step?.kind === 'notify' &&
        step.message.parts.map((p) => (p.kind === 'text' ? p.text : p.reference.path)),
    ).toEqual(['n=', 'params.n', '!']);
    expect(step?.kind === 'notify' && step.message.type.base).toBe('string');
  });

  it('expands aliases and merge keys', () => {
    const runbook = valid(
      y(
        'name: t',
        'defaults: &d { container: app }',
        'steps:',
        '  - id: a',
        '    exec:',
        '      target: { <<: *d, service: api, pick: all, concurrency: 4 }',
        '      command: "true"',
        '  - id: b',
        '    exec:',
        '      target: { <<: *d, container: side, service: api }',
        '      command: "true"',
      ),
    );
    const [a, b] = runbook.steps;

    expect(a?.kind === 'exec' && a.target.container?.parts).toEqual([{ kind: 'text', text: 'app' }]);
    expect(b?.kind === 'exec' && b.target.container?.parts).toEqual([{ kind: 'text', text: 'side' }]);
  });

  it('points into a block scalar at the expression', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      '    exec:',
      '      target: { service: api }',
      '      command: |',
      '        echo start',
      "        echo '${{ params.nope }}'",
    );

    const [d] = parseRunbook(source, { file: 't.yaml' }).diagnostics;

    expect(d).toMatchObject({ code: 'UNKNOWN_PARAMETER', range: { start: { line: 8, col: 26 } } });
  });

  it('points into a double-quoted scalar with escapes at the expression', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: a',
      '    exec: { target: { service: api }, command: "a\\tb\\u00e9 ${{ params.nope }}" }',
    );

    const [d] = parseRunbook(source, { file: 't.yaml' }).diagnostics;

    expect(d).toMatchObject({ code: 'UNKNOWN_PARAMETER', range: { start: { line: 4, col: 71 } } });
  });

  it('reports every problem at once', () => {
    const source = y(
      'name: Bad Name',
      'parameters:',
      '  n: { type: integr }',
      'steps:',
      '  - id: a',
      '    wait: soon',
      '  - id: a',
      '    notify: { topic: nope, message: hi }',
      '    retry: { attempts: 0 }',
    );

    expect(codes(source)).toEqual([
      'INVALID_NAME',
      'INVALID_VALUE',
      'INVALID_DURATION',
      'DUPLICATE_STEP_ID',
      'INVALID_ARN',
      'VALUE_OUT_OF_RANGE',
    ]);
  });

  it('applies defaults to exec steps and leaves explicit settings alone', () => {
    const runbook = valid(
      y(
        'name: t',
        'defaults: { cluster: prod, timeout: 2m, retry: { attempts: 2 } }',
        'steps:',
        '  - id: a',
        '    exec: { target: { service: api }, command: "true" }',
        '  - id: b',
        '    timeout: 10s',
        '    retry: 5',
        '    exec: { target: { service: api, cluster: other }, command: "true" }',
        '  - id: c',
        '    exec: { target: { service: api }, command: "true" }',
      ),
    );
    const [a, b] = runbook.steps;

    expect(a).toMatchObject({
      timeout: { ms: 120_000 },
      retry: { attempts: 2 },
      target: { cluster: { parts: [{ text: 'prod' }] } },
    });
    expect(b).toMatchObject({
      timeout: { ms: 10_000 },
      retry: { attempts: 5 },
      target: { cluster: { parts: [{ text: 'other' }] } },
    });
  });

  it('uses the built-in exec timeout of 10 minutes without defaults', () => {
    const [a] = valid(
      y('name: t', 'steps:', '  - id: a', '    exec: { target: { service: api }, command: "true" }'),
    ).steps;

    expect(a).toMatchObject({ timeout: { ms: 600_000 } });
    expect(a && 'retry' in a).toBe(false);
  });

  it('reports only the first unreachable step of a list and none after a conditional end', () => {
    expect(
      codes(
        y(
          'name: t',
          'steps:',
          '  - id: a',
          '    succeed: {}',
          '  - id: b',
          '    wait: 1s',
          '  - id: c',
          '    wait: 1s',
        ),
      ),
    ).toEqual(['UNREACHABLE_STEP']);
    valid(
      y('name: t', 'steps:', '  - id: a', '    when: false', '    succeed: {}', '  - id: b', '    wait: 1s'),
    );
  });

  it('checks trigger parameter values against the declared types', () => {
    const runbook = valid(
      y(
        'name: t',
        'parameters:',
        '  service: { type: string }',
        '  days: { type: integer, default: 1 }',
        'triggers:',
        '  schedule: { cron: "cron(0/15 8-18 ? * MON-FRI *)", parameters: { service: api, days: 3 } }',
        '  alarm: { alarms: [a, b], states: [ALARM, OK], parameters: { service: web } }',
        '  api:',
        'steps:',
        '  - id: a',
        '    wait: 1s',
      ),
    );

    expect(runbook.triggers.schedule).toMatchObject({
      cron: '0/15 8-18 ? * MON-FRI *',
      expression: 'cron(0/15 8-18 ? * MON-FRI *)',
      timezone: 'UTC',
      parameters: [
        { name: 'service', value: 'api' },
        { name: 'days', value: 3 },
      ],
    });
    expect(runbook.triggers.alarm).toMatchObject({ alarms: ['a', 'b'], states: ['ALARM', 'OK'] });
    expect(runbook.triggers.api).toBeDefined();
  });
});

describe('validateRunbook: runbook steps with a resolver', () => {
  const child = valid(
    y(
      'name: child',
      'parameters:',
      '  service: { type: string }',
      '  n: { type: integer, default: 1, maximum: 5 }',
      'steps:',
      '  - id: a',
      ...CAPTURING,
      'outputs:',
      '  count: ${{ steps.a.outputs.n }}',
      '  label: fixed',
    ),
  );
  const resolveRunbook = (name: string): RunbookSignature | undefined =>
    name === 'child' ? signatureOf(child) : undefined;

  it('types the outputs of the called runbook', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: call',
      '    runbook: { name: child, parameters: { service: api, n: 2 } }',
      '  - id: b',
      '    when: ${{ steps.call.outputs.count > 1 }}',
      '    wait: 1s',
    );

    expect(codes(source, { resolveRunbook })).toEqual([]);
    expect(codes(source.replace('outputs.count > 1', 'outputs.label == 1'), { resolveRunbook })).toEqual([
      'EXPRESSION_TYPE',
    ]);
  });

  it.each([
    ['an unknown runbook', '    runbook: { name: nobody }', 'UNKNOWN_RUNBOOK'],
    ['a missing required parameter', '    runbook: { name: child }', 'MISSING_PARAMETER'],
    [
      'an undeclared parameter',
      '    runbook: { name: child, parameters: { service: a, nope: 1 } }',
      'UNKNOWN_PARAMETER',
    ],
    [
      'a value out of range',
      '    runbook: { name: child, parameters: { service: a, n: 9 } }',
      'VALUE_OUT_OF_RANGE',
    ],
  ])('reports %s', (_title, line, code) => {
    expect(codes(y('name: t', 'steps:', '  - id: call', line), { resolveRunbook })).toEqual([code]);
  });

  it('lets any output of a called runbook through, untyped, without a resolver', () => {
    valid(
      y(
        'name: t',
        'steps:',
        '  - id: call',
        '    runbook: child',
        '  - id: b',
        '    when: ${{ steps.call.outputs.whatever == 1 }}',
        '    wait: 1s',
      ),
    );
  });
});

describe('the stages alone', () => {
  it('parses YAML into nodes with ranges, then validates the nodes', () => {
    // Arrange
    const source = y('name: t', 'steps:', '  - id: a', '    wait: 1s');

    // Act
    const parsed = parseYaml(source, { file: 't.yaml' });
    const validated = validateRunbook(parsed, { file: 't.yaml' });

    // Assert
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.root).toMatchObject({
      kind: 'map',
      entries: [{ key: 'name', keyRange: { start: { line: 1, col: 1, offset: 0 } } }, { key: 'steps' }],
    });
    expect(validated.runbook?.steps[0]).toMatchObject({ id: 'a', idRange: { start: { line: 3, col: 9 } } });
  });

  it('reports the exit code of a runbook step even without a resolver', () => {
    const source = y(
      'name: t',
      'steps:',
      '  - id: call',
      '    runbook: child',
      '  - id: b',
      '    when: ${{ steps.call.exitCode == 0 }}',
      '    wait: 1s',
    );

    expect(codes(source)).toEqual(['UNKNOWN_OUTPUT']);
  });
});
