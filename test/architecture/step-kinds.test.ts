/**
 * The step-kind recipe (docs/architecture.md): every kind of the runbook model has its file in
 * each room that must know it. A kind added to STEP_KINDS fails here until each place has it.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../lib/compiler/compile.ts';
import { STEP_LOWERERS } from '../../lib/compiler/lower/steps.ts';
import { type TaskStateKind, taskStatesOf } from '../../lib/compiler/task-states.ts';
import { STEP_KINDS, type StepKind } from '../../lib/runbook/model.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import { STEP_KIND_VALIDATORS } from '../../lib/runbook/validate/steps.ts';
import { allSteps } from '../../lib/runbook/walk.ts';
import { PROGRESS_STEP_KINDS, planOf } from '../../lib/runner/progress.ts';
import { exists, ROOT } from './repo.ts';

/** One or more steps of each kind, with the id `s` (YAML list items under `steps:`). */
const SAMPLES: Readonly<Record<StepKind, readonly string[]>> = {
  exec: [
    '  - id: s\n    exec: { target: { service: api }, command: echo one }',
    '  - id: s\n    exec: { target: { service: api, pick: all }, command: echo all }',
  ],
  approval: ['  - id: s\n    approval: { message: go? }'],
  notify: ['  - id: s\n    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:ops", message: hi }'],
  wait: ['  - id: s\n    wait: 5s'],
  parallel: [
    '  - id: s\n    parallel:\n      branches:\n        - steps:\n            - { id: w, wait: 1s }',
  ],
  runbook: ['  - id: s\n    runbook: other-runbook'],
  fail: ['  - id: s\n    fail: broken'],
  succeed: ['  - id: s\n    succeed: ~'],
};

/**
 * Where the code behind each kind of Task state lives. Any one existing file of a list will do;
 * an empty list is a Step Functions service integration, which needs no handler of ours.
 */
const HANDLER_FILES: { readonly [K in TaskStateKind]: readonly string[] } = {
  checkInput: ['lib/handlers/check-input.ts'],
  exec: ['lib/handlers/exec-step.ts'],
  batch: ['lib/handlers/batch.ts'],
  targets: ['lib/handlers/targets.ts'],
  summary: ['lib/handlers/fan-out-summary.ts'],
  approval: ['lib/handlers/approval-request.ts'],
  notify: [],
  runbook: [],
};

function compiled(steps: string) {
  const source = `name: t\nsteps:\n${steps}\n`;
  const { runbook, diagnostics } = parseRunbook(source, { file: 'sample.yaml' });
  if (!runbook) throw new Error(`the sample does not validate: ${JSON.stringify(diagnostics)}`);
  return { runbook, definition: compileRunbook(runbook).definition };
}

function kindFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => name.slice(0, -3))
    .sort();
}

describe('step kinds', () => {
  it('has a sample step for every kind of the model', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...STEP_KINDS].sort());
  });

  it.each(STEP_KINDS)('reads %s steps in its own file of lib/runbook/validate/kinds/', (kind) => {
    expect(exists(`lib/runbook/validate/kinds/${kind}.ts`)).toBe(true);
    expect(STEP_KIND_VALIDATORS[kind]?.validate).toBeTypeOf('function');
  });

  it.each(STEP_KINDS)('lowers %s steps in its own file of lib/compiler/lower/kinds/', (kind) => {
    expect(exists(`lib/compiler/lower/kinds/${kind}.ts`)).toBe(true);
    expect(STEP_LOWERERS[kind]).toBeTypeOf('function');
  });

  it.each(STEP_KINDS)('has a handler in lib/handlers for each Task state a %s step compiles to', (kind) => {
    for (const sample of SAMPLES[kind] ?? []) {
      // Arrange
      const { runbook, definition } = compiled(sample);
      expect([...allSteps(runbook.steps)].find((s) => s.id === 's')?.kind).toBe(kind);

      // Act
      const tasks = taskStatesOf(definition).filter((task) => task.stepId === 's');

      // Assert
      for (const task of tasks) {
        const homes = HANDLER_FILES[task.kind];
        expect(homes, `no handler is listed for the ${task.kind} Task state of a ${kind} step`).toBeDefined();
        if (homes && homes.length > 0) {
          expect(homes.some(exists), `none of ${homes.join(', ')} exists`).toBe(true);
        }
      }
    }
  });

  it.each(STEP_KINDS)("lets the runner's progress read %s steps", (kind) => {
    expect(PROGRESS_STEP_KINDS[kind]).toBeDefined();
    for (const sample of SAMPLES[kind] ?? []) {
      const planned = planOf(compiled(sample).runbook).find((step) => step.id === 's');
      expect(planned?.kind === kind || (kind === 'exec' && planned?.kind === 'fan-out')).toBe(true);
    }
  });

  it('has no file in a kinds/ folder for a kind the model lacks', () => {
    expect(kindFiles('lib/runbook/validate/kinds')).toEqual([...STEP_KINDS].sort());
    expect(kindFiles('lib/compiler/lower/kinds')).toEqual([...STEP_KINDS].sort());
  });

  it('lists no handler for a kind of Task state the compiler does not emit', () => {
    const emitted = new Set(
      Object.values(SAMPLES)
        .flat()
        .flatMap((sample) => taskStatesOf(compiled(sample).definition).map((task) => task.kind)),
    );
    expect([...emitted].sort()).toEqual(Object.keys(HANDLER_FILES).sort());
  });
});
