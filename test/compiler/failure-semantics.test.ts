// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../lib/compiler/index.ts';
import type { LocalHandler } from './helpers.ts';
import { model, runLocal, taskError } from './helpers.ts';

type Steps = Record<string, { status: string; exitCode: number | null; outputs: Record<string, unknown> }>;

const ok: LocalHandler = () => ({ status: 'succeeded', exitCode: 0, outputs: { v: 4 } });
const broken: LocalHandler = () => {
  throw taskError('CommandFailed', {
    status: 'failed',
    exitCode: 3,
    outputs: { v: 1 },
    error: { name: 'CommandFailed', message: 'boom' },
  });
};

const exec = (indent: string, id: string, extra = '') =>
  `${indent}- id: ${id}
${indent}  exec: { target: { service: api }, command: "true" }
${indent}  capture: { v: { regex: '(\\d+)', type: integer, default: 1 } }
${extra ? `${indent}  ${extra}\n` : ''}`;

describe('failures and skipped steps in aws-local-stepfunctions', () => {
  it('records a branch step that fails with onFailure continue and runs on', async () => {
    const source = `name: t
steps:
  - id: both
    parallel:
      branches:
        - steps:
${exec('            ', 'a', 'onFailure: continue')}${exec('            ', 'a2', "when: ${{ steps.a.status == 'failed' }}")}        - steps:
${exec('            ', 'b')}${exec('  ', 'after', 'when: ${{ steps.a.exitCode == 3 && steps.a2.outputs.v == 4 }}')}outputs:
  a: \${{ steps.a.status }}
  av: \${{ steps.a.outputs.v }}
  both: \${{ steps.both.status }}
`;
    const output = await runLocal(
      compileRunbook(model(source)).definition,
      {},
      { a: broken, a2: ok, b: ok, after: ok },
    );

    const steps = output.steps as Steps;
    expect(steps.after?.status).toBe('succeeded');
    expect(output.outputs).toEqual({ a: 'failed', av: 1, both: 'succeeded' });
  });

  it('gives a skipped step’s capture default and status to the outputs', async () => {
    const source = `name: t
parameters: { go: { type: boolean, default: false } }
steps:
${exec('  ', 'a', 'when: ${{ params.go }}')}outputs:
  v: \${{ steps.a.outputs.v }}
  s: "\${{ steps.a.status }}/\${{ steps.a.exitCode }}"
`;
    const output = await runLocal(compileRunbook(model(source)).definition, {}, { a: ok });

    expect(output.outputs).toEqual({ v: 1, s: 'skipped/null' });
  });

  it('runs the onFailure steps of a failed step, then the next step, keeping the failure', async () => {
    const source = `name: t
steps:
${exec(
  '  ',
  'a',
  `onFailure:
    - id: tell
      when: \${{ steps.a.exitCode != 0 }}
      succeed: told`,
)}${exec('  ', 'next')}`;
    const calls: string[] = [];
    const next: LocalHandler = () => {
      calls.push('next');
      return { status: 'succeeded', exitCode: 0, outputs: { v: 2 } };
    };
    const output = await runLocal(compileRunbook(model(source)).definition, {}, { a: broken, next });

    const steps = output.steps as Steps;
    expect(steps.a).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(steps.tell?.status).toBe('succeeded');
    expect(calls).toEqual([]);
  });
});
