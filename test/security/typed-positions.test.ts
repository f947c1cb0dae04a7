// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
/**
 * Typed values in every position bash evaluates as arithmetic, or re-parses, with hostile text
 * in them, as a state machine started directly (or a parent runbook on AWS) can put there. The
 * type-guard prologue must refuse each before the user's first line, under dash and under bash
 * as `sh`, whatever the position; nothing may run (the canary file), and valid values pass
 * through exactly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TYPE_GUARD_EXIT_CODE } from '../../lib/runbook/type-guards.ts';
import { HAS_BASH, MISSING_SHELLS, SH_SHELLS } from '../shells.ts';
import { canaryDir, compiledScript, payloads, runWrapped } from './attacks.ts';

const N = '${{ params.n }}';

/** Positions where bash evaluates `n` as arithmetic (or dash re-reads it), one per row. */
const INTEGER_POSITIONS: readonly (readonly [string, string])[] = [
  ['[[ -eq ]]', `[[ ${N} -eq 0 ]] || true`],
  ['(( ))', `(( ${N} )) || true`],
  ['$(( ))', `echo $(( ${N} + 1 ))`],
  ['$[ ]', `echo $[ ${N} ] || true`],
  ['${s:v}', `s=abcdef; echo "\${s:${N}}" || true`],
  ['let', `let "x = ${N}" || true`],
  ['declare -i', `declare -i x=${N} || true`],
  ['printf -v', `printf -v "arr[${N}]" %s 1 || true`],
  ['read into a[]', `echo 1 | read "arr[${N}]" || true`],
  ['arr[v]=', `arr[${N}]=1 || true`],
  ['$(( )) in a heredoc', `cat <<EOF\n$(( ${N} + 1 ))\nEOF`],
  ['$(( )) after a copy', `v=${N}; echo $(( v + 1 ))`],
  ['$(( )) after (( 1 << 2 ))', `(( 1 << 2 )) || true; echo $(( ${N} + 1 ))`],
  ['test -eq', `[ ${N} -eq 0 ] || true`],
  ['eval', `eval "x=${N}"; echo "$x"`],
];

describe('the type-guard prologue', () => {
  let box: ReturnType<typeof canaryDir>;
  beforeEach(() => {
    box = canaryDir();
  });
  afterEach(() => box.remove());

  it.runIf(MISSING_SHELLS !== undefined)(`reports the shells it could not test: ${MISSING_SHELLS}`, () => {
    // bash is the shell these attacks target; without it the security tests prove little.
    expect(HAS_BASH).toBe(true);
  });

  describe.each(SH_SHELLS)('under $name', (shell) => {
    it.each(INTEGER_POSITIONS)(
      'refuses every hostile integer in %s before anything runs',
      (_name, command) => {
        // Arrange
        const { script } = compiledScript(command);
        const hostile = payloads(box.canary).filter((v) => !/^-?[0-9]+$/.test(v));

        for (const value of hostile) {
          // Act
          const run = runWrapped(
            shell,
            script,
            { RB_P_n: value, RB_P_f: '1.5', RB_P_b: 'true', RB_P_e: 'red', RB_P_s: 'x' },
            box.dir,
          );

          // Assert
          expect({ value, ran: box.ran() }).toEqual({ value, ran: false });
          expect({ value, exitCode: run.exitCode }).toEqual({ value, exitCode: TYPE_GUARD_EXIT_CODE });
          expect(run.output).toBe('');
        }
      },
    );

    it.each(INTEGER_POSITIONS)('lets an integer through %s', (_name, command) => {
      const { script } = compiledScript(command);

      for (const value of ['0', '7', '-42', '9007199254740991']) {
        const run = runWrapped(shell, script, { RB_P_n: value }, box.dir);

        expect({ value, exitCode: run.exitCode }).not.toEqual({ value, exitCode: TYPE_GUARD_EXIT_CODE });
        expect(box.ran()).toBe(false);
      }
    });

    it.each([
      [
        'f',
        'a number',
        ['1.5', '-2', '1e+21', '1.5e-7', '0', '5e-324'],
        ['1.5e', '.5', '5.', 'e5', '1e5e5', '--1', 'NaN', 'Infinity', '1,5', 'a[$(touch C)]'],
      ],
      ['b', 'true or false', ['true', 'false'], ['True', '1', '', 'true ', 'a[$(touch C)]']],
      ['e', 'one of its declared values', ['red', 'green'], ['blue', 'red ', '', 'a[$(touch C)]', "red'"]],
    ] as const)('checks params.%s as %s', (name, _what, good, bad) => {
      const { script } = compiledScript(
        `[[ \${{ params.${name} }} -eq 1 ]] || true; echo "\${{ params.${name} }}"`,
      );
      const env = (value: string) => ({
        RB_P_n: '1',
        RB_P_f: '1',
        RB_P_b: 'true',
        RB_P_e: 'red',
        [`RB_P_${name}`]: value.replace('C', box.canary),
      });

      for (const value of good) {
        const run = runWrapped(shell, script, env(value), box.dir);
        expect({ value, output: run.output }).toEqual({ value, output: `${value}\n` });
      }
      for (const value of bad) {
        const run = runWrapped(shell, script, env(value), box.dir);
        expect({ value, exitCode: run.exitCode }).toEqual({ value, exitCode: TYPE_GUARD_EXIT_CODE });
        expect(run.stderr).toContain(`runbook: RB_P_${name} (params.${name}) is not`);
      }
      expect(box.ran()).toBe(false);
    });

    it('accepts an empty text for a nullable integer (an exit code of a step that did not run)', () => {
      const { script } = compiledScript('echo "[${{ steps.first.exitCode }}]"');

      expect(runWrapped(shell, script, { RB_E_1: '' }, box.dir).output).toBe('[]\n');
      expect(runWrapped(shell, script, { RB_E_1: '3' }, box.dir).output).toBe('[3]\n');
      expect(runWrapped(shell, script, { RB_E_1: `a[$(touch ${box.canary})]` }, box.dir).exitCode).toBe(
        TYPE_GUARD_EXIT_CODE,
      );
      expect(box.ran()).toBe(false);
    });
  });
});

describe.runIf(HAS_BASH)('without the prologue (the control)', () => {
  it('bash as sh runs the payload of an integer in [[ -eq ]]: the attack is real', () => {
    // Arrange
    const box = canaryDir();
    const bash = SH_SHELLS.find((s) => s.name === 'bash as sh');
    const { script } = compiledScript(`[[ ${N} -eq 0 ]] || true`);
    const unguarded = script
      .split('\n')
      .filter((line) => !line.startsWith('case ') && !line.startsWith('RB_G_m='))
      .join('\n');

    // Act
    if (bash) runWrapped(bash, unguarded, { RB_P_n: `a[$(touch ${box.canary})]` }, box.dir);

    // Assert
    const ran = box.ran();
    box.remove();
    expect(ran).toBe(true);
  });
});
