import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildApp,
  fixedContainers,
  InfraError,
  loadRunbookSet,
  notifyTopics,
  RunbookDiagnosticsError,
  readRunbookDir,
  SettingsError,
} from '../../lib/infra/index.ts';
import { parseRunbook } from '../../lib/runbook/index.ts';
import { FIXTURE_LAMBDAS } from './helpers.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'infra');

function runbook(source: string) {
  const parsed = parseRunbook(source, { file: 'inline.yaml' });
  if (!parsed.runbook) throw new Error(JSON.stringify(parsed.diagnostics));
  return parsed.runbook;
}

const execStep = (container?: string) => `
  - id: s
    exec:
      target: { task: abc, cluster: demo${container ? `, container: ${container}` : ''} }
      command: echo hi
`;

describe('loadRunbookSet', () => {
  it('orders callees before their callers and records the calls', () => {
    const set = loadRunbookSet(readRunbookDir(path.join(FIXTURES, 'calls')));
    expect(set.map((d) => [d.runbook.name, d.calls])).toEqual([
      ['restart-service', []],
      ['on-call', ['restart-service']],
    ]);
    expect(set[1]?.compiled.placeholders).toContain('Runbook_restart_service_Arn');
  });

  it('reports every error diagnostic of every file, formatted with file:line:col', () => {
    // Act
    let caught: unknown;
    try {
      loadRunbookSet(readRunbookDir(path.join(FIXTURES, 'broken')));
    } catch (error) {
      caught = error;
    }
    // Assert
    expect(caught).toBeInstanceOf(RunbookDiagnosticsError);
    const error = caught as RunbookDiagnosticsError;
    expect(error.files).toEqual([path.join(FIXTURES, 'broken', 'bad.yaml')]);
    expect(error.message).toContain('bad.yaml:6:32: error UNKNOWN_PARAMETER');
    expect(error.message).toContain('bad.yaml:7:9: error DUPLICATE_STEP_ID');
    expect(error.message).not.toContain('good.yaml');
  });

  it('rejects runbooks that call each other in a cycle', () => {
    const a = `name: a\nsteps:\n  - id: call\n    runbook: b\n`;
    const b = `name: b\nsteps:\n  - id: call\n    runbook: a\n`;
    expect(() =>
      loadRunbookSet([
        { file: 'a.yaml', source: a },
        { file: 'b.yaml', source: b },
      ]),
    ).toThrow(/cycle \(a → b → a\)/);
  });

  it('rejects two files that name the same runbook', () => {
    const source = `name: same\nsteps:${execStep('app')}`;
    expect(() =>
      loadRunbookSet([
        { file: 'one.yaml', source },
        { file: 'two.yaml', source },
      ]),
    ).toThrow(InfraError);
  });
});

describe('fixedContainers', () => {
  it('lists the containers when every exec step names one literally', () => {
    expect(
      fixedContainers([
        runbook(`name: a\nsteps:${execStep('app')}`),
        runbook(`name: b\nsteps:${execStep('worker')}`),
      ]),
    ).toEqual(['app', 'worker']);
  });

  it('is undefined when one exec step leaves the container open', () => {
    expect(
      fixedContainers([
        runbook(`name: a\nsteps:${execStep('app')}`),
        runbook(`name: b\nsteps:${execStep()}`),
      ]),
    ).toBeUndefined();
  });

  it('is undefined when a container comes from a parameter', () => {
    const source = `name: a
parameters: { c: { type: string, default: app } }
steps:
  - id: s
    exec:
      target: { task: abc, cluster: demo, container: "\${{ params.c }}" }
      command: echo hi
`;
    expect(fixedContainers([runbook(source)])).toBeUndefined();
  });
});

describe('notifyTopics', () => {
  it('throws for a topic written as an expression, pointing at it', () => {
    const source = `name: a
parameters: { topic: { type: string, default: "arn:aws:sns:eu-west-1:111122223333:t" } }
steps:
  - id: tell
    notify: { topic: "\${{ params.topic }}", message: hi }
`;
    expect(() => notifyTopics(runbook(source), 'a.yaml')).toThrow(
      /a\.yaml:5:\d+: step tell .* write the topic ARN/,
    );
  });
});

describe('buildApp', () => {
  it('stops before synth when a runbook does not validate', () => {
    expect(() =>
      buildApp({
        app: { context: { ecsRunbooks: { clusters: ['demo'] } } },
        runbooksDir: path.join(FIXTURES, 'broken'),
        lambdasDir: FIXTURE_LAMBDAS,
      }),
    ).toThrow(RunbookDiagnosticsError);
  });

  it('stops before synth on a bad setting, naming it', () => {
    expect(() =>
      buildApp({
        app: { context: { ecsRunbooks: { clusters: ['demo'], retentionDays: 31 } } },
        lambdasDir: FIXTURE_LAMBDAS,
      }),
    ).toThrow(SettingsError);
  });
});
