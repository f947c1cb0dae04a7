/**
 * Parameter values reach commands as data, never as script text: thousands of generated values
 * (quotes, `$(…)`, backticks, newlines, `{{`, unicode, escapes, 100 KB) through the real exec
 * path — the compiler's rewritten script, the exec handler, runExec, the local ECS API and
 * agent, a PTY, a real sh. Each command prints its 50 values NUL-separated and hex-dumped, so
 * the check is byte-exact and any stray output (something else that ran) shows.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AslState } from '../../lib/compiler/asl.ts';
import { compileRunbook } from '../../lib/compiler/compile.ts';
import type { ExecEvent } from '../../lib/handlers/events.ts';
import { runExecStep } from '../../lib/handlers/exec-step.ts';
import { taskIdFor } from '../../lib/local/cluster-file.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import { closeHarnesses, startHarness } from './harness.ts';

afterEach(closeHarnesses);

const VALUES_PER_EXEC = 50;
const EXECS = 40;
const TASKS = 8;
const PARALLEL = 8;

const SPECIALS = [
  "'",
  '"',
  '\\',
  '`',
  '$(touch pwned)',
  '`touch pwned`',
  '; touch pwned',
  '&& touch pwned #',
  '$((6*7))',
  '\u0024{HOME}',
  '$RB_P_v1',
  '"\u0024{RB_P_v2}"',
  '\n',
  '\r\n',
  '\r',
  '\t',
  '{{',
  '}}',
  '{{ ssm:secret }}',
  '{{{',
  "{'{",
  '%s',
  '%n',
  '-n',
  '-e',
  '--',
  '*',
  '?',
  '[a]',
  '~',
  '#',
  '|',
  '>',
  '<',
  '!',
  ' ',
  'é',
  '日本',
  '🎉',
  '\u001b[31m',
  '\u007f',
  '\u0001',
  '',
];

/** No NUL (no argv can carry it) and no lone surrogate (it has no UTF-8 form). */
const sendable = (value: string): boolean => !value.includes('\0') && !/[\uD800-\uDFFF]/u.test(value);

const value = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom(...SPECIALS),
    fc.array(fc.constantFrom(...SPECIALS, 'a', 'b c'), { maxLength: 8 }).map((parts) => parts.join('')),
  )
  .filter(sendable);

/** The compiled exec state of a runbook whose command prints 50 parameters NUL-separated, in hex. */
function compiledExec(): { script: string; envNames: string[] } {
  const names = Array.from({ length: VALUES_PER_EXEC }, (_, i) => `v${i}`);
  const source = [
    'name: param-values',
    'parameters:',
    ...names.map((n) => `  ${n}: { type: string }`),
    'steps:',
    '  - id: echo',
    '    exec:',
    '      target: { cluster: wide, service: many }',
    '      command: >-',
    `        printf '%s\\000' ${names.map((n) => `\${{ params.${n} }}`).join(' ')}`,
    "        | od -An -v -tx1 | tr -d ' \\n'",
  ].join('\n');
  const { runbook, diagnostics } = parseRunbook(source, { file: 'param-values.yaml' });
  if (!runbook) throw new Error(`test runbook invalid: ${JSON.stringify(diagnostics)}`);
  const state = compileRunbook(runbook).definition.States.echo as AslState;
  const parameters = state.Parameters as { script: string; env: Record<string, string> };
  const envNames = Object.keys(parameters.env).map((k) => k.replace(/\.\$$/, ''));
  // The rewritten command reads each value from its variable, in the order of the parameters.
  expect(Object.values(parameters.env)).toEqual(names.map((n) => `$.params.${n}`));
  return { script: parameters.script, envNames };
}

function decode(hex: string): Buffer[] {
  const bytes = Buffer.from(hex, 'hex');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      parts.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

describe('parameter values through the exec path', () => {
  it('reach the command exactly, and nothing else runs, for thousands of generated values', async () => {
    // Arrange
    const harness = await startHarness({
      region: 'eu-west-1',
      accountId: '000000000000',
      clusters: [{ name: 'wide', services: [{ name: 'many', count: TASKS, containers: [{ name: 'app' }] }] }],
    });
    const { script, envNames } = compiledExec();
    const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const samples = fc.sample(fc.array(value, { minLength: VALUES_PER_EXEC, maxLength: VALUES_PER_EXEC }), {
      numRuns: EXECS,
      seed,
    });
    // One very long value, with the characters that need quoting.
    (samples[0] as string[])[0] = `${'x'.repeat(100_000)}'"$(touch pwned){{\`touch pwned\``;

    // Act: PARALLEL execs at a time, each on its own task.
    const outputs: string[] = new Array(EXECS);
    for (let first = 0; first < EXECS; first += PARALLEL) {
      await Promise.all(
        samples.slice(first, first + PARALLEL).map(async (values, offset) => {
          const index = first + offset;
          const event: ExecEvent = {
            kind: 'exec',
            runbook: 'param-values',
            stepId: `echo${index}`,
            execution: 'arn:aws:states:local:000000000000:execution:param-values:property',
            target: { cluster: 'wide', task: taskIdFor('wide', 'many', index % TASKS) },
            script,
            env: Object.fromEntries(envNames.map((name, i) => [name, values[i] as string])),
            timeoutMs: 30_000,
            captures: [],
            stateTailBytes: 64,
            outputBucket: 'local',
          };
          const result = await runExecStep(event, harness.deps);
          outputs[index] = await readFile(fileURLToPath(result.result?.output.uri as string), 'utf8');
        }),
      );
    }

    // Assert
    samples.forEach((values, index) => {
      const output = outputs[index] as string;
      const context = `seed ${seed} (FC_SEED=${seed} to repeat), exec ${index}`;
      expect(output, context).toMatch(/^[0-9a-f]*$/);
      const received = decode(output);
      expect(received.length, context).toBe(VALUES_PER_EXEC);
      values.forEach((sent, i) => {
        if (!received[i]?.equals(Buffer.from(sent, 'utf8'))) {
          expect(received[i]?.toString('utf8'), `${context}, value ${i}: ${JSON.stringify(sent)}`).toBe(sent);
        }
      });
    });
    const pwned = readdirSync(harness.local.sandboxDir, { recursive: true }).filter((f) =>
      String(f).endsWith('pwned'),
    );
    expect(pwned).toEqual([]);
  }, 60_000);
});
