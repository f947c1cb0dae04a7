// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
/**
 * An execution started directly (a schedule, the console, a parent runbook on AWS) is checked
 * by the state machine's first state, Runbook.CheckInput, before any step runs: a string in an
 * integer parameter fails the run with InvalidInput and reaches no command.
 */
import { describe, expect, it } from 'vitest';
import type { CheckInputFailure } from '../../lib/handlers/events.ts';
import { compileYaml, runLocal } from '../compiler/helpers.ts';

const SOURCE = `name: direct
parameters:
  n: { type: integer, default: 1 }
  mode: { type: enum, values: [fast, slow], default: fast }
steps:
  - id: run
    exec:
      target: { service: api }
      command: '[[ \${{ params.n }} -eq 1 ]] && echo \${{ params.mode }}'
`;

describe('a directly started execution', () => {
  it.each([
    ['a string in an integer', { n: 'a[$(touch /tmp/pwned)]' }, 'params.n'],
    ['a numeric string in an integer', { n: '1' }, 'params.n'],
    ['a value outside an enum', { mode: 'fast; touch /tmp/pwned' }, 'params.mode'],
    ['an undeclared parameter', { RB_P_n: 'x' }, 'params.RB_P_n'],
  ])('fails with InvalidInput before any step runs when given %s', async (_name, params, field) => {
    // Arrange
    const { definition } = compileYaml(SOURCE);
    const ran: unknown[] = [];

    // Act
    const outcome = runLocal(definition, { params }, { run: (input) => ran.push(input) });

    // Assert
    const error = await outcome.then(
      () => undefined,
      (e: Error) => e.cause as Error,
    );
    expect(error?.name).toBe('InvalidInput');
    const envelope = JSON.parse(error?.message ?? '{}') as { errorMessage: string };
    const failure = JSON.parse(envelope.errorMessage) as CheckInputFailure;
    expect(failure.problems.map((p) => p.field)).toEqual([field]);
    expect(ran).toEqual([]);
  });

  it('runs with values of the declared types', async () => {
    const { definition } = compileYaml(SOURCE);
    const ran: unknown[] = [];

    await runLocal(
      definition,
      { params: { n: 7, mode: 'slow' } },
      {
        run: (input) => {
          ran.push(input);
          return { status: 'succeeded', exitCode: 0, outputs: {} };
        },
      },
    );

    expect(ran).toHaveLength(1);
  });
});
