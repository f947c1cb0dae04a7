// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
/**
 * A runbook whose last step is an unconditional `fail` never reaches Runbook.Outputs; the
 * compiler leaves that state out, since Step Functions and the local engine refuse a definition
 * with an unreachable state (MISSING_TRANSITION_TARGET).
 */
import { describe, expect, it } from 'vitest';
import { compileYaml, runbookYaml, runLocal, validate } from './helpers.ts';

describe('unreachable states', () => {
  it('leaves Runbook.Outputs out when the last step is an unconditional fail', async () => {
    // Arrange
    const { definition } = compileYaml(
      runbookYaml('  - id: w\n    wait: 1s\n  - id: stop\n    fail: { error: Stopped, cause: "on purpose" }'),
    );

    // Act
    const verdict = validate(definition);
    const error = await runLocal(definition, {}, {}, { w: 0 }).then(
      () => undefined,
      (e: Error) => e.cause as Error,
    );

    // Assert
    expect(verdict).toEqual({ isValid: true, text: expect.any(String) });
    expect(Object.keys(definition.States)).not.toContain('Runbook.Outputs');
    expect(error?.name).toBe('Stopped');
  });

  it('keeps Runbook.Outputs when a conditional fail may let the run go on', () => {
    const { definition } = compileYaml(
      runbookYaml(
        '  - id: stop\n    when: "${{ params.x }}"\n    fail: broken',
        'parameters: { x: { type: boolean, default: false } }',
      ),
    );

    expect(validate(definition).isValid).toBe(true);
    expect(Object.keys(definition.States)).toContain('Runbook.Outputs');
  });
});
