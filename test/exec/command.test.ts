import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCommand, ENV_NAME_PATTERN, NON_INTERACTIVE_ENV } from '../../lib/exec/command.ts';
import { ExecUsageError } from '../../lib/exec/errors.ts';
import { quotePosix } from '../../lib/exec/internal/quote.ts';
import { agentArgv, runBuilt, SHELLS } from './command-run.ts';

const fixedRandom = (byte: number) => (size: number) => new Uint8Array(size).fill(byte);

const HUNDRED_KB = `${'a\'b"c\\d$(e)`f`{{g}}\n'.repeat((100 * 1024) / 20)}`;

/** Scripts that each break a naive quoting, with what they print. */
const NASTY_SCRIPTS: ReadonlyArray<readonly [string, string, string]> = [
  ['single and double quotes', `echo "it's" 'a "b"' "'"'"'`, `it's a "b" '"\n`],
  ['backslashes', String.raw`printf '%s|' 'a\b' "c\\d" e\ f '\'`, String.raw`a\b|c\d|e f|\|`],
  [
    'command substitution and backticks',
    "echo \"$(echo sub)\" `echo tick` '$(no)' '`no`'",
    'sub tick $(no) `no`\n',
  ],
  ['newlines and a trailing one', "printf '%s\\n' one\nprintf '%s\\n' two\n", 'one\ntwo\n'],
  [
    '{{ and {{{ the agent would resolve',
    "echo '{{ssm:/secret}}' {{x}} '{{{y}}}' {{{{",
    '{{ssm:/secret}} {{x}} {{{y}}} {{{{\n',
  ],
  ['# at word starts', "# comment line\necho '#one' #two\necho a#b", '#one\na#b\n'],
  ['unicode', 'echo \'héllo ✓ 😀\' "日本語"', 'héllo ✓ 😀 日本語\n'],
  ['a here-document without a final newline', "cat <<'EOF'\nline $x\nEOF", 'line $x\n'],
  ['a trailing backslash (kept, as plain sh -c keeps it)', 'echo a \\', 'a \\\n'],
  ['a stray closing parenthesis in a case', 'case x in x) echo matched;; esac', 'matched\n'],
  ['the empty script', '', ''],
  ['100 KB of quotes, substitutions and braces', `cat <<'RB_END'\n${HUNDRED_KB}RB_END`, HUNDRED_KB],
];

describe('buildCommand', () => {
  it.each(NASTY_SCRIPTS)(
    'splits into exactly sh, -c and a script holding the text when it has %s',
    (_name, script) => {
      // Arrange
      const built = buildCommand({ script, randomBytes: fixedRandom(7) });

      // Act
      const argv = agentArgv(built.command);

      // Assert
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      expect(argv).toHaveLength(3);
      expect(argv[2]).toContain(`(eval ${quotePosix(script)}) </dev/null`);
      if (!script.includes("'")) expect(argv[2]).toContain(script);
      expect(built.command).not.toContain('{{');
    },
  );

  it.each(NASTY_SCRIPTS)('runs the script exactly when it has %s', (_name, script, expected) => {
    const run = runBuilt(buildCommand({ script }));

    expect(run.output).toBe(expected);
    expect(run.exitCode).toBe(0);
  });

  it("writes each {{ in the command as {''{", () => {
    const built = buildCommand({ script: 'echo {{{x', randomBytes: fixedRandom(1) });

    expect(built.command).toContain("{''{''{x");
    expect(agentArgv(built.command)[2]).toContain('echo {{{x');
  });

  it('returns a marker of the documented form that the command text never holds whole', () => {
    const built = buildCommand({ script: 'true', randomBytes: fixedRandom(0xab) });
    const wrapped = agentArgv(built.command)[2] as string;

    expect(built.marker).toBe(`__RB_${'ab'.repeat(16)}__:`);
    expect(built.command).not.toContain(built.marker);
    expect(wrapped).not.toContain(built.marker);
    expect(wrapped).not.toContain('ab'.repeat(16));
  });

  it.each(
    SHELLS.flatMap((shell) => [
      [shell.name, 'printf hello', 'hello', shell.argv0] as const,
      [shell.name, 'echo hello', 'hello\n', shell.argv0] as const,
      [shell.name, 'true', '', shell.argv0] as const,
    ]),
  )(
    'prints under %s the marker right after the last byte of %j, with no newline of its own',
    (_shell, script, output, argv0) => {
      const built = buildCommand({ script });

      const run = runBuilt(built, { argv0 });

      expect(run.raw.toString('utf8')).toBe(`${output}${built.marker}0\n`);
      expect(run.output).toBe(output);
      expect(run.exitCode).toBe(0);
    },
  );

  it('makes a new marker for every run when no random source is given', () => {
    const markers = new Set(Array.from({ length: 20 }, () => buildCommand({ script: 'true' }).marker));

    expect(markers.size).toBe(20);
  });

  it('reads the exit code right when the script prints its own command line and source', () => {
    // /proc/$$/cmdline is the outer shell's argv: the whole wrapper, nonce halves included.
    const run = runBuilt(
      buildCommand({ script: "tr '\\0' ' ' </proc/$$/cmdline; echo\nset -v\necho after; exit 4" }),
    );

    expect(run.exitCode).toBe(4);
    expect(run.output).toContain('printf');
    expect(run.output).toContain('after\n');
  });

  describe('with argv', () => {
    it('quotes each word so sh sees the same words', () => {
      const run = runBuilt(
        buildCommand({ argv: ['printf', '%s|', 'a b', "it's", '$HOME', '*', '', 'x=y', '#c', '{{z}}', 'é'] }),
      );

      expect(run.output).toBe("a b|it's|$HOME|*||x=y|#c|{{z}}|é|");
      expect(run.exitCode).toBe(0);
    });

    it('keeps a grep pattern with a space one word, as kubectl exec does', () => {
      const built = buildCommand({ argv: ['grep', 'a b', 'f'], randomBytes: fixedRandom(2) });

      expect(agentArgv(built.command)[2]).toContain(`(eval ${quotePosix("grep 'a b' f")})`);
    });

    it.each([
      ['a reserved word', ['if']],
      ['an assignment', ['FOO=bar']],
    ])('runs %s as a command name', (_name, argv) => {
      const run = runBuilt(buildCommand({ argv }));

      expect(run.exitCode).toBe(127);
    });
  });

  describe('exit codes', () => {
    const cases: ReadonlyArray<readonly [string, string, number]> = [
      ['success', 'true', 0],
      ['failure', 'false', 1],
      ['exit 2', 'exit 2', 2],
      ['a command sh cannot find', 'rb_no_such_command_here', 127],
      ['exit 130', 'exit 130', 130],
      ['exit 255', 'exit 255', 255],
      ['SIGINT of the last command', "sh -c 'kill -INT $$'", 130],
      ['SIGTERM of the last command', "sh -c 'kill -TERM $$'", 143],
      ['SIGKILL of the last command', "sh -c 'kill -KILL $$'", 137],
      ['a syntax error in the script', 'echo before\nif then fi (', 2],
      ['set -e', 'set -e; false; echo not reached', 1],
      ['exec of a failing program', "exec sh -c 'exit 9'", 9],
    ];
    const table = SHELLS.flatMap((shell) =>
      cases.map(([name, script, code]) => [shell.name, name, script, code, shell.argv0] as const),
    );

    it.each(table)('reports under %s the status of %s', (_shell, _name, script, code, argv0) => {
      const run = runBuilt(buildCommand({ script }), { argv0 });

      expect(run.exitCode).toBe(code);
      expect(run.output).not.toContain('__RB_');
      expect(run.processStatus).toBe(0);
    });

    it('reports no exit code when the outer shell itself is killed', () => {
      // In a subshell $$ is still the outer shell's pid.
      const run = runBuilt(buildCommand({ script: 'echo partial; kill -KILL $$' }));

      expect(run.exitCode).toBeNull();
      expect(run.exitCodeReason).toMatch(/without the exit-code marker/);
      expect(run.output).toBe('partial\n');
    });
  });

  describe('the environment', () => {
    it('turns paging and colour off and exports the values given', () => {
      const script =
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        'printf \'%s|\' "$PAGER" "$GIT_PAGER" "$TERM" "$NO_COLOR" "${AWS_PAGER-unset}"; sh -c \'printf %s "$RB_P_x"\'';

      const run = runBuilt(buildCommand({ script, env: { RB_P_x: "it's $(a) `b` {{c}}\nd" } }));

      expect(run.output).toBe("cat|cat|dumb|1||it's $(a) `b` {{c}}\nd");
    });

    it('lets an env entry override a non-interactive default', () => {
      const run = runBuilt(buildCommand({ script: 'printf %s "$TERM"', env: { TERM: 'xterm-256color' } }));

      expect(run.output).toBe('xterm-256color');
      expect(NON_INTERACTIVE_ENV.TERM).toBe('dumb');
    });

    it('reads stdin from /dev/null', () => {
      const run = runBuilt(buildCommand({ script: 'readlink /proc/self/fd/0; cat; echo done' }));

      expect(run.output).toBe('/dev/null\ndone\n');
    });
  });

  describe('bad input', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it.each(['1abc', 'a-b', 'a b', '', 'RB_P_x;touch canary', 'é'])(
      'throws naming the env name %j and the rule',
      (name) => {
        expect(() => buildCommand({ script: 'true', env: { [name]: 'v' } })).toThrow(ExecUsageError);
        expect(() => buildCommand({ script: 'true', env: { [name]: 'v' } })).toThrow(
          `env name ${JSON.stringify(name)} is not a shell identifier; names must match [A-Za-z_][A-Za-z0-9_]*`,
        );
        expect(ENV_NAME_PATTERN.test(name)).toBe(false);
      },
    );

    it.each([
      ['a NUL in the script', { script: 'a\0b' }, 'the script contains a NUL character at index 1'],
      [
        'a NUL in an env value',
        { script: 'true', env: { X: '\0' } },
        'env value of X contains a NUL character',
      ],
      ['a NUL in an argv word', { argv: ['echo', 'x\0'] }, 'argv[1] contains a NUL character'],
      ['a lone surrogate', { script: 'echo \ud800' }, 'a lone UTF-16 surrogate'],
      ['neither script nor argv', {}, 'received neither'],
      ['both script and argv', { script: 'a', argv: ['a'] }, 'received both'],
      ['an empty argv', { argv: [] }, 'argv must be a non-empty array of strings, received []'],
      ['an unknown option', { script: 'a', enviroment: {} }, 'unknown option "enviroment"'],
      [
        'a short random source',
        { script: 'a', randomBytes: () => new Uint8Array(3) },
        'returned 3 bytes; expected 16',
      ],
    ])('throws for %s', (_name, input, message) => {
      expect(() => buildCommand(input as Parameters<typeof buildCommand>[0])).toThrow(message);
    });

    it('runs nothing an env value holds', () => {
      dir = mkdtempSync(join(tmpdir(), 'rb-command-'));
      const value = '\'; touch canary; \' $(touch canary) `touch canary` "; touch canary"';

      const run = runBuilt(buildCommand({ script: 'printf %s "$RB_P_v"', env: { RB_P_v: value } }), {
        cwd: dir,
      });

      expect(run.output).toBe(value);
      expect(existsSync(join(dir, 'canary'))).toBe(false);
    });
  });
});
