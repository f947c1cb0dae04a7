// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are ${{ … }}
/**
 * What the validator says about values in the positions where a shell, or an interpreter it
 * starts, reads text as code; and the positions where a value used to change silently.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import { SH_SHELLS } from '../shells.ts';
import { canaryDir, compiledScript, runbookWith, runWrapped } from './attacks.ts';

function diagnosticsOf(command: string) {
  return parseRunbook(runbookWith(command), { file: 'attack.yaml' }).diagnostics.map((d) => ({
    code: d.code,
    line: d.range.start.line,
    col: d.range.start.col,
  }));
}

const S = '${{ params.s }}';

describe('VALUE_IN_CODE_POSITION', () => {
  it.each([
    ['[[ -eq ]]', `[[ ${S} -eq 1 ]] || true`],
    ['$[ ]', `echo $[ ${S} ]`],
    ['${s:offset}', `x=abc; echo "\${x:${S}}"`],
    ['an array subscript', `arr[${S}]=1`],
    ['let', `let x=${S}`],
    ['declare', `declare -i x=${S}`],
    ['read', `echo 1 | read "${S}"`],
    ['printf -v', `printf -v "${S}" %s 1`],
    ['eval', `eval "echo ${S}"`],
    ['trap', `trap "echo ${S}" EXIT`],
    ['sh -c', `sh -c "echo ${S}"`],
    ['bash -c', `bash -c "echo ${S}"`],
    ['find -exec sh -c', `find . -name x -exec sh -c "echo ${S}" \\;`],
    ['a sed script', `sed 's/a/'"${S}"'/' f`],
    ['an awk program', `awk '{ print "'"${S}"'" }' f`],
    ['awk -v', `awk -v x=${S} '{ print x }' f`],
    ['after a separator', `true; eval ${S}`],
    ['after &&', `true && sh -c ${S}`],
  ])('warns for a string in %s', (_name, command) => {
    expect(diagnosticsOf(command).map((d) => d.code)).toContain('VALUE_IN_CODE_POSITION');
  });

  it.each([
    ['an integer in [[ ]]', '[[ ${{ params.n }} -eq 1 ]]'],
    ['an enum in eval', 'eval "echo ${{ params.e }}"'],
    ['a string as a plain argument', `echo ${S}`],
    ['a string passed to sh -c as an argument', `sh -c 'echo "$1"' sh ${S}`],
    ['a string passed to awk through the environment', `X=${S} awk 'BEGIN { print ENVIRON["X"] }'`],
    ['a string after -- in rm', `rm -f -- ${S}`],
  ])('says nothing for %s', (_name, command) => {
    expect(diagnosticsOf(command).map((d) => d.code)).not.toContain('VALUE_IN_CODE_POSITION');
  });
});

it('refuses a string in (( )) as in $(( )): EXPRESSION_IN_ARITHMETIC', () => {
  expect(diagnosticsOf(`(( ${S} )) || true`).map((d) => d.code)).toContain('EXPRESSION_IN_ARITHMETIC');
});

describe('positions that used to change a value silently', () => {
  let box: ReturnType<typeof canaryDir>;
  beforeEach(() => {
    box = canaryDir();
  });
  afterEach(() => box.remove());

  it('reports "$${{ x }}" (the PID, then the value) as EXPRESSION_AFTER_DOLLAR at its position', () => {
    expect(diagnosticsOf(`echo "$${S}"`)).toContainEqual({
      code: 'EXPRESSION_AFTER_DOLLAR',
      line: 14,
      col: 25,
    });
  });

  it.each([
    ['a backslash before it', `cat <<EOF\n\\${S}\nEOF`, 'EXPRESSION_IN_SINGLE_QUOTES'],
    ['backticks', `cat <<EOF\n\`echo ${S}\`\nEOF`, 'EXPRESSION_IN_BACKTICKS'],
    ['single quotes inside $( )', `cat <<EOF\n$(echo '${S}')\nEOF`, 'EXPRESSION_IN_SINGLE_QUOTES'],
  ])('classifies a heredoc body with %s', (_name, command, code) => {
    expect(diagnosticsOf(command).map((d) => d.code)).toContain(code);
  });

  describe.each(SH_SHELLS)('under $name', (shell) => {
    const hostile = () => [
      'a*',
      '*',
      '?',
      '[ab]',
      ' two  words ',
      `$(touch ${box.canary})`,
      `\`touch ${box.canary}\``,
      `'"\\`,
      '-n',
      '\n',
    ];

    it.each([
      [
        '"${s##${{ x }}}" (a pattern in double quotes)',
        `v=prefix-rest; printf '%s|' "\${v##${S}}"`,
        (v: string) => `${'prefix-rest'.startsWith(v) ? 'prefix-rest'.slice(v.length) : 'prefix-rest'}|`,
      ],
      ['${v:-${{ x }}} (a default outside quotes)', `printf '%s|' \${unset_v:-${S}}`, (v: string) => `${v}|`],
      [
        '"${v:-${{ x }}}" (a default in double quotes)',
        `printf '%s|' "\${unset_v:-${S}}"`,
        (v: string) => `${v}|`,
      ],
      [
        '$( … ) in a heredoc body',
        `cat <<EOF\n$(printf '%s|' ${S})\nEOF`,
        (v: string) => `${v}|`.replace(/\n+$/, ''),
      ],
      [
        'a case pattern inside "$( … )"',
        `printf '%s' "$(case ${S} in *) printf '%s|' ${S};; esac)"`,
        (v: string) => `${v}|`,
      ],
    ])('keeps the value exact in %s', (_name, command, expected) => {
      const { script } = compiledScript(command);

      for (const value of hostile()) {
        const run = runWrapped(
          shell,
          script,
          { RB_P_s: value, RB_P_n: '1', RB_P_f: '1', RB_P_b: 'true', RB_P_e: 'red' },
          box.dir,
        );
        expect({ value, output: run.output.replace(/\n$/, '') }).toEqual({ value, output: expected(value) });
      }
      expect(box.ran()).toBe(false);
    });
  });
});
