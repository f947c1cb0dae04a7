// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findExpressions } from '../../lib/runbook/expressions.ts';
import { classifyCommand, parseRunbook, rewriteCommand } from '../../lib/runbook/index.ts';
import type { Command, ShellContext } from '../../lib/runbook/model.ts';
import { TYPE_GUARD_EXIT_CODE } from '../../lib/runbook/type-guards.ts';

const X = '${{ params.x }}';

function contexts(script: string): (ShellContext | 'escaped')[] {
  return [...classifyCommand(script, findExpressions(script)).contexts];
}

/** A validated command with a string parameter `x` and an integer `n`, or the diagnostics. */
function command(script: string): { command?: Command; codes: string[] } {
  const source = [
    'name: t',
    'parameters:',
    '  x: { type: string, default: v }',
    '  n: { type: integer, default: 1 }',
    'triggers:',
    '  alarm: { alarms: [a] }',
    'steps:',
    '  - id: first',
    '    exec: { target: { service: api }, command: "true" }',
    '  - id: s',
    '    exec:',
    '      target: { service: api }',
    `      command: ${JSON.stringify(script)}`,
  ].join('\n');
  const result = parseRunbook(source, { file: 'c.yaml' });
  const step = result.runbook?.steps[1];
  return {
    command: step?.kind === 'exec' ? step.command : undefined,
    codes: result.diagnostics.map((d) => d.code),
  };
}

function sh(script: string, env: Record<string, string>): { stdout: string; status: number | null } {
  const run = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { stdout: run.stdout, status: run.status };
}

describe('classifyCommand', () => {
  it.each<[string, string, (ShellContext | 'escaped')[]]>([
    ['outside quotes', `echo ${X}`, ['unquoted']],
    ['glued to a word', `find -mtime +${X} -delete`, ['unquoted']],
    ['in double quotes', `echo "a ${X} b"`, ['double-quotes']],
    ['in single quotes', `echo 'a ${X}'`, ['single-quotes']],
    ['after a closed single quote', `echo 'a' ${X}`, ['unquoted']],
    ["in $'…'", `echo $'a ${X}'`, ['ansi-c-quotes']],
    ['after an escaped single quote', `echo \\' ${X}`, ['unquoted']],
    ['after an escaped double quote inside double quotes', `echo "a \\" ${X}"`, ['double-quotes']],
    ['with quotes inside the expression', `echo ${'${{'} params.x == 'a"b' }}`, ['unquoted']],
    ['in single quotes inside $( ) inside double quotes', `echo "$(printf '${X}')"`, ['single-quotes']],
    ['after single quotes inside $( ) inside double quotes', `echo "$(printf '%s' ${X})"`, ['unquoted']],
    ['in $( ) inside double quotes', `echo "$(basename ${X})"`, ['unquoted']],
    ['in double quotes inside $( )', `x=$(echo "${X}")`, ['double-quotes']],
    ['in ${ } outside quotes', `echo \${A:-${X}}`, ['unquoted']],
    ['in ${ } inside double quotes', `echo "\${A:-${X}}"`, ['unquoted']],
    ['in backticks', `echo \`basename ${X}\``, ['backticks']],
    ['in arithmetic', `echo $(( ${X} + 1 ))`, ['arithmetic']],
    ['in a comment', `true # ${X}`, ['comment']],
    ['after a # inside a word', `echo a#${X}`, ['unquoted']],
    ['in a comment with an apostrophe before it', `true # don't ${X}\necho ${X}`, ['comment', 'unquoted']],
    ['in an unquoted heredoc', `cat <<EOF\n'${X}' "x"\nEOF\necho ${X}`, ['heredoc', 'unquoted']],
    ['in a quoted heredoc', `cat <<'EOF'\n${X}\nEOF`, ['literal-heredoc']],
    ['in a heredoc quoted with a backslash', `cat <<\\EOF\n${X}\nEOF`, ['literal-heredoc']],
    [
      'in a <<- heredoc closed by a tab-indented line',
      `cat <<-EOF\n\t${X}\n\tEOF\necho ${X}`,
      ['heredoc', 'unquoted'],
    ],
    ['in two heredocs on one line', `cat <<A <<'B'\n${X}\nA\n${X}\nB`, ['heredoc', 'literal-heredoc']],
    ['after a here-string', `cat <<< "s" ${X}`, ['unquoted']],
    ['escaped by a backslash', `echo \\${X}`, ['escaped']],
  ])('classifies an expression %s', (_title, script, expected) => {
    expect(contexts(script)).toEqual(expected);
  });

  it.each([
    ['an unterminated single quote', "echo 'oops", 5],
    ['an unterminated double quote', 'echo "oops', 5],
    ['an unterminated $(', 'echo $(date', 5],
    ['an unclosed heredoc', 'cat <<EOF\nline', 4],
  ])('reports %s at its opening', (_title, script, offset) => {
    const { problems } = classifyCommand(script, findExpressions(script));

    expect(problems.map((p) => p.start)).toEqual([offset]);
  });

  it('reports nothing for a balanced script', () => {
    const script = 'for f in "$D"/*; do\n  case "$f" in *.tmp) rm -f "$f";; esac\ndone';

    expect(classifyCommand(script, []).problems).toEqual([]);
  });
});

describe('rewriteCommand', () => {
  it('quotes outside quotes and does not inside double quotes', () => {
    const { command: c } = command(`printf '%s|%s' ${X} "[${X}]"`);

    const rewritten = rewriteCommand(c as Command);

    expect(rewritten.script).toBe(`printf '%s|%s' "\${RB_P_x}" "[\${RB_P_x}]"`);
    expect(rewritten.variables.map((v) => v.name)).toEqual(['RB_P_x']);
  });

  it('numbers step and trigger references in order of first appearance and reuses them', () => {
    const { command: c } = command(
      'echo ${{ trigger.alarm.name }} ${{ steps.first.exitCode }} "${{ trigger.alarm.name }}" ${{ params.n }}',
    );

    const rewritten = rewriteCommand(c as Command);

    expect(rewritten.script.split('\n').at(-1)).toBe('echo "${RB_E_1}" "${RB_E_2}" "${RB_E_1}" "${RB_P_n}"');
    expect(rewritten.variables.map((v) => [v.name, v.reference.path])).toEqual([
      ['RB_E_1', 'trigger.alarm.name'],
      ['RB_E_2', 'steps.first.exitCode'],
      ['RB_P_n', 'params.n'],
    ]);
  });

  it('rewrites heredoc and arithmetic expressions without quotes', () => {
    const { command: c } = command(`cat <<EOF\nx=${X}\nEOF\necho $(( \${{ params.n }} * 2 ))`);

    expect(rewriteCommand(c as Command).script).toBe(
      `case "\${RB_P_n#-}" in ''|*[!0123456789]*) { printf '%s\\n' 'runbook: RB_P_n (params.n) is not an integer; the script did not run' >&2; exit 65; };; esac\n` +
        'cat <<EOF\nx=${RB_P_x}\nEOF\necho $(( ${RB_P_n} * 2 ))',
    );
  });

  it('leaves a command without expressions unchanged', () => {
    const { command: c } = command('df -P "$DATA_DIR" | awk \'{ print $5 }\'');

    expect(rewriteCommand(c as Command)).toEqual({
      script: 'df -P "$DATA_DIR" | awk \'{ print $5 }\'',
      variables: [],
    });
  });

  it.each([
    ['single quotes', `echo '${X}'`, 'EXPRESSION_IN_SINGLE_QUOTES'],
    ["$'…'", `echo $'${X}'`, 'EXPRESSION_IN_SINGLE_QUOTES'],
    ['a quoted heredoc', `cat <<"EOF"\n${X}\nEOF`, 'EXPRESSION_IN_SINGLE_QUOTES'],
    ['an escaped $', `echo \\${X}`, 'EXPRESSION_IN_SINGLE_QUOTES'],
    ['backticks', `echo \`echo ${X}\``, 'EXPRESSION_IN_BACKTICKS'],
    ['arithmetic on a string', `echo $(( ${X} ))`, 'EXPRESSION_IN_ARITHMETIC'],
  ])('reports an expression in %s and gives no model', (_title, script, code) => {
    const result = command(script);

    expect(result.codes).toContain(code);
    expect(result.command).toBeUndefined();
  });

  it('delivers any value to sh unchanged in every rewritable context', () => {
    const { command: c } = command(
      `printf '<%s>' ${X}; printf '<%s>' "${X}"; cat <<EOF\n<${X}>\nEOF\nprintf '<%s>' "\${UNSET:-${X}}"`,
    );
    const { script } = rewriteCommand(c as Command);
    // Environment values cannot hold NUL; everything else must arrive byte for byte.
    const value = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/\0/g, ''));

    fc.assert(
      fc.property(
        fc.oneof(
          value,
          fc.constantFrom(
            "a'b",
            '$(id)',
            '`id`',
            '"; rm -rf x; "',
            '${HOME}',
            '{{ssm:x}}',
            ' spaced  out ',
            '*',
            '\\n\\',
          ),
        ),
        (v) => {
          const { stdout, status } = sh(script, { RB_P_x: v });
          expect(status).toBe(0);
          // The heredoc body ends with its own newline; the quoted rewrite keeps even an empty value a word.
          expect(stdout).toBe(`<${v}><${v}><${v}>\n<${v}>`);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('rewriteCommand in $(( … ))', () => {
  const source = [
    'name: t',
    'parameters:',
    '  n: { type: integer, default: 3 }',
    'steps:',
    '  - id: a',
    '    exec:',
    '      target: { service: api }',
    '      command: echo $(( ${{ params.n }} * 2 ))',
    '',
  ].join('\n');
  const { runbook } = parseRunbook(source, { file: 't.yaml' });
  const step = runbook?.steps[0];
  const script = step?.kind === 'exec' ? rewriteCommand(step.command).script : '';

  it.each(['bash', 'dash'])('computes with an integer under %s', (shell) => {
    const run = spawnSync(shell, ['-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, RB_P_n: '-21' },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('-42\n');
  });

  it.each([
    ['bash', 'a[$(echo PWNED >&2)]'],
    ['dash', 'a[$(echo PWNED >&2)]'],
    ['bash', '1+1'],
    ['bash', ''],
    ['bash', '-'],
    ['bash', '2.5'],
  ])('refuses a value that is not an integer under %s before the shell evaluates it: %j', (shell, value) => {
    const run = spawnSync(shell, ['-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, RB_P_n: value },
    });
    expect(run.status).toBe(TYPE_GUARD_EXIT_CODE);
    expect(run.stdout).toBe('');
    // (bash may add noise of its own startup files here; the guard's line must be there, PWNED not.)
    expect(run.stderr).toContain('runbook: RB_P_n (params.n) is not an integer; the script did not run\n');
    expect(run.stderr).not.toContain('PWNED');
  });
});
