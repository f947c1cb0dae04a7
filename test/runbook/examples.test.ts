// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allSteps,
  type ExecStep,
  extractCapture,
  parseRunbook,
  type Runbook,
  rewriteCommand,
} from '../../lib/runbook/index.ts';

const root = join(import.meta.dirname, '..', '..');
const EXAMPLES = ['nightly-maintenance', 'incident-api-5xx', 'flush-cache'];

function load(name: string): Runbook {
  const file = join(root, 'runbooks', `${name}.yaml`);
  const result = parseRunbook(readFileSync(file, 'utf8'), { file });
  expect(result.diagnostics).toEqual([]);
  if (!result.runbook) throw new Error(`${name} did not validate`);
  return result.runbook;
}

function execSteps(runbook: Runbook): ExecStep[] {
  return [...allSteps(runbook.steps)].filter((s): s is ExecStep => s.kind === 'exec');
}

/** The value a variable gets in these tests: a parameter's default, else a sample string. */
function sampleEnv(runbook: Runbook, step: ExecStep): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of rewriteCommand(step.command).variables) {
    const ref = variable.reference;
    const parameter = ref.kind === 'param' ? runbook.parameters.find((p) => p.name === ref.name) : undefined;
    env[variable.name] = String(parameter?.default ?? `sample "${ref.path}" $(not run) 'quoted'`);
  }
  return env;
}

describe('example runbooks', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it.each(EXAMPLES)('validates %s with no diagnostics', (name) => {
    const runbook = load(name);

    expect(runbook.name).toBe(name);
    expect(runbook.steps.length).toBeGreaterThan(2);
  });

  it.each(EXAMPLES)('rewrites every command of %s into a script sh accepts', (name) => {
    const runbook = load(name);

    for (const step of execSteps(runbook)) {
      const { script } = rewriteCommand(step.command);
      const check = spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8' });
      expect(check.stderr, step.id).toBe('');
      expect(check.status, step.id).toBe(0);
    }
  });

  it.each(EXAMPLES)('captures every output of %s from what its commands really print', (name) => {
    // Arrange
    const runbook = load(name);
    dataDir = mkdtempSync(join(tmpdir(), 'rb-example-'));
    const withCaptures = execSteps(runbook).filter((s) => s.captures.length > 0);

    for (const step of withCaptures) {
      // Act
      const { script } = rewriteCommand(step.command);
      const run = spawnSync('sh', ['-c', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...sampleEnv(runbook, step) },
        timeout: 10_000,
      });

      // Assert
      expect(run.status, `${step.id}: ${run.stderr}`).toBe(0);
      for (const capture of step.captures) {
        expect(
          extractCapture(run.stdout, capture),
          `${step.id}.${capture.name} from ${run.stdout}`,
        ).toMatchObject({
          ok: true,
        });
      }
    }
  });

  it('resolves defaults, fan-out settings and the schedule of nightly-maintenance', () => {
    const runbook = load('nightly-maintenance');
    const [usage, purge] = execSteps(runbook);

    expect(runbook.triggers.schedule).toMatchObject({
      expression: 'cron(0 3 * * ? *)',
      timezone: 'Europe/Berlin',
    });
    expect(usage?.target).toMatchObject({ selector: 'service', fanOut: false, pick: { kind: 'one' } });
    expect(usage?.target.container?.parts).toEqual([{ kind: 'text', text: 'app' }]);
    expect(usage?.timeout.ms).toBe(300_000);
    expect(purge?.target).toMatchObject({
      fanOut: true,
      concurrency: 2,
      batchSize: 25,
      toleratedFailures: { kind: 'count', count: 1 },
    });
    expect(purge?.retry).toMatchObject({ attempts: 3, intervalMs: 2_000, backoff: 2 });
    expect(rewriteCommand(purge?.command ?? { script: '', expressions: [] }).script).toContain(
      '-mtime +"${RB_P_maxAgeDays}" -delete',
    );
  });

  it('reads trigger fields of incident-api-5xx into numbered variables', () => {
    const runbook = load('incident-api-5xx');
    const record = execSteps(runbook).find((s) => s.id === 'record');

    const rewritten = rewriteCommand(record?.command ?? { script: '', expressions: [] });

    expect(rewritten.variables.map((v) => [v.name, v.reference.path])).toEqual([
      ['RB_E_1', 'trigger.alarm.name'],
      ['RB_E_2', 'trigger.alarm.state'],
      ['RB_E_3', 'trigger.alarm.reason'],
    ]);
    expect(rewritten.script).toContain(`"\${RB_E_1}" "\${RB_E_2}" "\${RB_E_3}"`);
    expect(runbook.triggers.alarm).toMatchObject({ alarms: ['api-5xx-high'], states: ['ALARM'] });
  });

  it('types the parameters and outputs of flush-cache', () => {
    const runbook = load('flush-cache');

    expect(runbook.parameters.map((p) => [p.name, p.type, p.required])).toEqual([
      ['cluster', 'string', false],
      ['service', 'enum', false],
      ['olderThanMinutes', 'integer', false],
      ['reason', 'string', true],
    ]);
    const outputs = Object.fromEntries(
      runbook.outputs.map((o) => [
        o.name,
        o.value.kind === 'template' ? o.value.template.type.base : 'literal',
      ]),
    );
    expect(outputs).toEqual({ entriesBefore: 'integer', entriesAfter: 'integer', flushedTasks: 'integer' });
    expect(runbook.triggers.api).toBeDefined();
  });
});
