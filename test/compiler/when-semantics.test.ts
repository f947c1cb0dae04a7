// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../lib/compiler/index.ts';
import type { LocalHandler } from './helpers.ts';
import { model, runLocal, taskError } from './helpers.ts';

/** Step `x` runs when `when` holds; `first` and `off` come before it. */
function runbookWith(when: string): string {
  return `name: t
triggers: { alarm: { alarms: [a] } }
parameters:
  n: { type: integer, default: 1 }
  m: { type: integer, default: 2 }
  r: { type: number, default: 0.5 }
  s: { type: string, default: a }
  t: { type: string, default: "" }
  b: { type: boolean, default: false }
  c: { type: boolean, default: true }
  e: { type: enum, values: [x, y], default: x }
steps:
  - id: first
    exec: { target: { service: api }, command: "true" }
    capture: { k: { regex: '(\\d+)', type: integer, default: 0 }, w: { regex: '(\\w+)', type: string, default: none } }
    onFailure: continue
  - id: off
    when: \${{ params.b }}
    exec: { target: { service: api }, command: "true" }
    capture: { k: { regex: '(\\d+)', type: integer, default: 5 } }
  - id: x
    when: "${when.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"
    wait: 1s
`;
}

const succeeded =
  (exitCode: number, k = 7): LocalHandler =>
  () => ({
    status: 'succeeded',
    exitCode,
    outputs: { k, w: 'word' },
  });
const failed =
  (exitCode: number | null): LocalHandler =>
  () => {
    throw taskError('CommandFailed', {
      status: 'failed',
      exitCode,
      outputs: { k: 0, w: 'none' },
      error: { name: 'CommandFailed', message: 'boom' },
    });
  };

type Case = [expression: string, first: LocalHandler, params: Record<string, unknown>, runs: boolean];

const ok = succeeded(0);
const nullExit = failed(null);
const exit3 = failed(3);

const cases: Case[] = [
  // integers and numbers, literal and reference
  ['params.n == 1', ok, {}, true],
  ['params.n != 1', ok, {}, false],
  ['params.n < 1', ok, {}, false],
  ['params.n <= 1', ok, {}, true],
  ['params.n > 0.5', ok, {}, true],
  ['params.n >= 1.5', ok, {}, false],
  ['params.r == 0.5', ok, {}, true],
  ['params.r < params.n', ok, {}, true],
  ['params.n == params.m', ok, { m: 1 }, true],
  ['params.n != params.m', ok, {}, true],
  ['params.n >= params.m', ok, {}, false],
  ['params.n <= params.m', ok, {}, true],
  ['-1 < params.n', ok, {}, true],
  ['2e3 > params.n', ok, {}, true],
  // strings, enums and empty strings
  ["params.s == 'a'", ok, {}, true],
  ["params.s != 'a'", ok, {}, false],
  ["params.s < 'b'", ok, {}, true],
  ["params.s > 'B'", ok, {}, true],
  ["params.t == ''", ok, {}, true],
  ["params.t < 'a'", ok, {}, true],
  ["params.e == 'y'", ok, { e: 'y' }, true],
  ["params.e != 'y'", ok, {}, true],
  ['params.s == params.t', ok, { t: 'a' }, true],
  ['params.s > params.t', ok, {}, true],
  ['params.e >= params.s', ok, {}, true],
  ["params.s == 'it''s'", ok, { s: "it's" }, true],
  ['params.s == "a\\\\b"', ok, { s: 'a\\b' }, true],
  ["params.s == 'ü😀'", ok, { s: 'ü😀' }, true],
  // booleans
  ['params.b', ok, {}, false],
  ['params.c', ok, {}, true],
  ['!params.b', ok, {}, true],
  ['!!params.c', ok, {}, true],
  ['params.b == false', ok, {}, true],
  ['params.b != true', ok, {}, true],
  ['params.b == params.c', ok, {}, false],
  ['params.b != params.c', ok, {}, true],
  ['!(params.b == params.c)', ok, {}, true],
  // && / || nesting
  ['params.b || params.c && params.n == 1', ok, {}, true],
  ['(params.b || params.c) && params.n == 2', ok, {}, false],
  ['!(params.b || params.c) || params.n == 1', ok, {}, true],
  ['!(params.b || !params.c)', ok, {}, true],
  ['!(params.c && params.n == 1)', ok, {}, false],
  ['params.c && (params.b || (params.n == 1 && !params.b))', ok, {}, true],
  // exit codes: numbers and null
  ['steps.first.exitCode == 0', ok, {}, true],
  ['steps.first.exitCode == 0', exit3, {}, false],
  ['steps.first.exitCode != 0', exit3, {}, true],
  ['steps.first.exitCode > 2', exit3, {}, true],
  ['steps.first.exitCode == 0', nullExit, {}, false],
  ['steps.first.exitCode != 0', nullExit, {}, true],
  ['steps.first.exitCode < 1', nullExit, {}, false],
  ['steps.first.exitCode <= 1', nullExit, {}, false],
  ['steps.first.exitCode > 1', nullExit, {}, false],
  ['steps.first.exitCode >= 1', nullExit, {}, false],
  ['1 > steps.first.exitCode', nullExit, {}, false],
  ['steps.first.exitCode < params.n', nullExit, {}, false],
  ['params.n > steps.first.exitCode', nullExit, {}, false],
  ['params.n <= steps.first.exitCode', nullExit, {}, false],
  ['params.n != steps.first.exitCode', nullExit, {}, true],
  ['params.n == steps.first.exitCode', nullExit, {}, false],
  ['steps.first.exitCode == null', nullExit, {}, true],
  ['steps.first.exitCode != null', nullExit, {}, false],
  ['steps.first.exitCode == null', ok, {}, false],
  ['steps.first.exitCode != null', ok, {}, true],
  ['null == steps.first.exitCode', nullExit, {}, true],
  ['null != steps.first.exitCode', ok, {}, true],
  ['!(steps.first.exitCode < 1)', nullExit, {}, true],
  ['steps.first.exitCode == steps.off.exitCode', nullExit, {}, true],
  ['steps.first.exitCode != steps.off.exitCode', nullExit, {}, false],
  ['steps.first.exitCode == steps.off.exitCode', ok, {}, false],
  ['steps.first.exitCode != steps.off.exitCode', ok, {}, true],
  ['steps.first.exitCode < steps.off.exitCode', ok, {}, false],
  // statuses, a skipped step, captures with defaults
  ["steps.first.status == 'succeeded'", ok, {}, true],
  ["steps.first.status == 'failed'", exit3, {}, true],
  ["steps.off.status == 'skipped'", ok, {}, true],
  ["steps.off.status != 'skipped'", ok, {}, false],
  ["steps.off.status == 'skipped'", ok, { b: true }, false],
  ['steps.off.exitCode == null', ok, {}, true],
  ['steps.off.outputs.k == 5', ok, {}, true],
  ['steps.first.outputs.k == 0', exit3, {}, true],
  ["steps.first.outputs.w == 'none'", nullExit, {}, true],
  ['steps.first.outputs.k > params.n', ok, {}, true],
  ['steps.first.outputs.k > steps.off.outputs.k', ok, {}, true],
  // trigger fields of a manual start are empty strings
  ["trigger.type == 'manual'", ok, {}, true],
  ["trigger.alarm.name == ''", ok, {}, true],
  ["trigger.alarm.name != ''", ok, {}, false],
  ["trigger.alarm.state < 'A'", ok, {}, true],
  ['trigger.alarm.reason == params.t', ok, {}, true],
  ['trigger.alarm.reason == null', ok, {}, false],
];

describe('when conditions in aws-local-stepfunctions', () => {
  it.each(cases)('evaluates %s (%#) as the language says', async (expression, first, params, runs) => {
    const { definition } = compileRunbook(model(runbookWith(`\${{ ${expression} }}`)));
    const off: LocalHandler = () => ({ status: 'succeeded', exitCode: 0, outputs: { k: 9 } });

    const output = await runLocal(definition, { params }, { first, off }, { x: 0 });

    const steps = output.steps as Record<string, { status: string }>;
    expect(steps.x?.status).toBe(runs ? 'succeeded' : 'skipped');
  });
});
