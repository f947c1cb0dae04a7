/**
 * Builds the command string sent to the SSM agent for one run: a `sh -c` wrapper that makes the
 * user's script non-interactive and reports its exit status through a marker.
 *
 * In ECS the agent runs no shell: it splits the command with google/shlex and execs `argv[0]`
 * under a PTY. So the whole run is one `sh -c '<wrapped>'` word pair, and `<wrapped>` is:
 *
 * ```sh
 * export PAGER=cat GIT_PAGER=cat MANPAGER=cat SYSTEMD_PAGER= AWS_PAGER= NO_COLOR=1 TERM=dumb
 * export RB_P_name='value'                     # each env entry, POSIX single-quoted
 * (eval '<script>') </dev/null                 # the user's script, POSIX single-quoted
 * printf "__RB_%s%s__:%s\n" <nonce half> <nonce half> "$?"
 * ```
 *
 * Why each piece:
 * - Pagers and colour are off because the PTY makes every program see a terminal. `TERM=dumb`
 *   overrides the agent's `xterm-256color`: programs then skip colours, progress bars and cursor
 *   movement, so the output reads as a log; full-screen programs (`top` without `-b`) fail or
 *   fall back to plain output, which is right for a command nobody watches. An `env` entry or
 *   the script itself can set `TERM` back.
 * - The script runs in a subshell so `exit 3`, `exec` or `set -e` end only the subshell and the
 *   marker still prints. It is `eval`ed from a quoted string rather than pasted into the
 *   subshell, so a syntax error in it is reported by `eval` as status 2, as `sh -c` would, instead
 *   of stopping the outer shell before the marker; and no text of the script (a trailing `\`, an
 *   unclosed here-document, a stray `)`) can reach the wrapper's own syntax.
 * - stdin is `/dev/null`, so a program that reads it gets EOF instead of waiting on the PTY.
 * - The marker is assembled by `printf` from pieces and never appears whole in the command text:
 *   the text can reach the output (the script's own `set -v`, `ps` or `/proc/<pid>/cmdline`, a
 *   terminal echo) and must not be read as the marker there.
 * - The marker follows the script's last byte directly, with no newline before it: `printf hello`
 *   arrives as `hello__RB_…__:0\r\n`, `echo hello` as `hello\r\n__RB_…`. The collector finds the
 *   marker anywhere in the stream (its 128-bit nonce cannot turn up in output by chance), so the
 *   output is exactly the script's bytes, and a line is complete, and streamed live, as soon as
 *   its own newline arrives. A leading `\n` would make every trailing newline a possible start of
 *   the marker line, held back until more output came: `echo started; sleep 20` would show
 *   nothing for 20 s.
 * - ONLCR stays on (no `stty -onlcr`): the collector's CRLF→LF is its exact inverse.
 * - The agent resolves `{{ … }}` in command text, so every `{{` of the final command is written
 *   `{''{` inside the single-quoted word; shlex joins the pieces back into `{{` for sh.
 *
 * `$?` is the subshell's status: the script's exit status, 127 for a command sh cannot find,
 * 128+n when the script's last command was killed by signal n. A signal that kills the outer
 * shell itself leaves no marker, and the collector reports the exit code as unknown.
 *
 * @see docs/architecture.md, "The exec layer"
 * @see docs/protocol.md §9
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { ExecUsageError } from './errors.ts';
import { MARKER_PREFIX, MARKER_SUFFIX, markerFor, NONCE_BYTES } from './internal/marker.ts';
import { quotePosix, quotePosixWord, quoteShlex } from './internal/quote.ts';

/**
 * Environment variables that keep programs from paging, colouring or drawing for a terminal.
 *
 * Values are plain words: the wrapper writes them unquoted.
 */
export const NON_INTERACTIVE_ENV: Readonly<Record<string, string>> = {
  PAGER: 'cat',
  GIT_PAGER: 'cat',
  MANPAGER: 'cat',
  SYSTEMD_PAGER: '',
  AWS_PAGER: '',
  NO_COLOR: '1',
  TERM: 'dumb',
};

/** Names accepted in `env`: shell identifiers. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Options shared by both forms of {@link BuildCommandInput}. */
export interface BuildCommandOptions {
  /**
   * Values exported at the top of the script, before it runs (`RB_P_<name>`, `RB_E_<n>`), so
   * runbook values reach commands only as data. Names must match {@link ENV_NAME_PATTERN}; an
   * entry may override {@link NON_INTERACTIVE_ENV}.
   * @default - nothing exported beyond NON_INTERACTIVE_ENV
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The random source for the marker's nonce; must return `size` bytes.
   * @default - node:crypto randomBytes
   */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** One string that is a shell script, as with `aws ecs execute-command --command` and ssh. */
export interface ScriptCommandInput extends BuildCommandOptions {
  readonly script: string;
  readonly argv?: undefined;
}

/** Words run as one command, each quoted, as with kubectl exec (`grep 'a b' f`). */
export interface ArgvCommandInput extends BuildCommandOptions {
  readonly argv: readonly string[];
  readonly script?: undefined;
}

/** What {@link buildCommand} takes: a script or an argv, plus options. */
export type BuildCommandInput = ScriptCommandInput | ArgvCommandInput;

/** A command ready for `ecs:ExecuteCommand`, and the marker its output collector looks for. */
export interface BuiltCommand {
  /** `sh -c '<wrapped>'`: shlex splits it into exactly `['sh', '-c', wrapped]`; it holds no `{{`. */
  readonly command: string;
  /** The per-run marker, `__RB_<32 hex digits>__:`, for `OutputCollector`. */
  readonly marker: string;
}

const INPUT_KEYS: ReadonlySet<string> = new Set(['script', 'argv', 'env', 'randomBytes']);

/**
 * Builds the command for one run of a script or an argv.
 *
 * Throws {@link ExecUsageError} for input that cannot be sent as given: neither or both of
 * `script` and `argv`, an empty argv, an env name that is not an identifier, or a character no argv
 * can carry (NUL, a lone UTF-16 surrogate).
 *
 * @example
 * const { command, marker } = buildCommand({
 *   script: 'grep -c "$RB_P_pattern" /var/log/app.log',
 *   env: { RB_P_pattern: userInput },
 * });
 * // command: sh -c '… export RB_P_pattern='"'"'…'"'"' … (eval '"'"'grep -c …'"'"') </dev/null …'
 */
export function buildCommand(input: BuildCommandInput): BuiltCommand {
  const script = scriptOf(input);
  const env = checkedEnv(input.env);
  const nonce = makeNonce(input.randomBytes ?? nodeRandomBytes);
  const half = nonce.length / 2;
  const wrapped = [
    `export ${Object.entries(NON_INTERACTIVE_ENV)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
    ...Object.entries(env).map(([name, value]) => `export ${name}=${quotePosix(value)}`),
    `(eval ${quotePosix(script)}) </dev/null`,
    `printf "${MARKER_PREFIX}%s%s${MARKER_SUFFIX}%s\\n" ${nonce.slice(0, half)} ${nonce.slice(half)} "$?"`,
  ].join('\n');
  return { command: `sh -c ${quoteShlex(wrapped)}`, marker: markerFor(nonce) };
}

function scriptOf(input: BuildCommandInput): string {
  if (typeof input !== 'object' || input === null) {
    throw new ExecUsageError(`buildCommand: expected { script } or { argv }, received ${String(input)}`);
  }
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.has(key)) {
      throw new ExecUsageError(
        `buildCommand: unknown option "${key}"; accepted: ${[...INPUT_KEYS].join(', ')}`,
      );
    }
  }
  const { script, argv } = input;
  if ((script === undefined) === (argv === undefined)) {
    throw new ExecUsageError(
      'buildCommand: give exactly one of script (a shell script) and argv (words to quote); ' +
        `received ${script === undefined ? 'neither' : 'both'}`,
    );
  }
  if (script !== undefined) {
    if (typeof script !== 'string') {
      throw new ExecUsageError(`buildCommand: script must be a string, received ${typeof script}`);
    }
    rejectUnsendable('the script', script);
    return script;
  }
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((word) => typeof word !== 'string')) {
    throw new ExecUsageError(
      `buildCommand: argv must be a non-empty array of strings, received ${JSON.stringify(argv)}`,
    );
  }
  argv.forEach((word, index) => {
    rejectUnsendable(`argv[${index}]`, word);
  });
  return argv.map(quotePosixWord).join(' ');
}

function checkedEnv(env: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (env === undefined) return {};
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new ExecUsageError(`buildCommand: env must be an object of name → string, received ${String(env)}`);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME_PATTERN.test(name)) {
      throw new ExecUsageError(
        `buildCommand: env name ${JSON.stringify(name)} is not a shell identifier; ` +
          'names must match [A-Za-z_][A-Za-z0-9_]*',
      );
    }
    if (typeof value !== 'string') {
      throw new ExecUsageError(
        `buildCommand: env value of ${name} must be a string, received ${typeof value}`,
      );
    }
    rejectUnsendable(`env value of ${name}`, value);
  }
  return env;
}

/** Characters no argv can carry: NUL ends a C string, a lone surrogate has no UTF-8 form. */
const UNSENDABLE = /\0|[\uD800-\uDFFF]/u;

function rejectUnsendable(what: string, text: string): void {
  const found = UNSENDABLE.exec(text);
  if (found) {
    const which = found[0] === '\0' ? 'a NUL character' : 'a lone UTF-16 surrogate (it has no UTF-8 form)';
    throw new ExecUsageError(
      `buildCommand: ${what} contains ${which} at index ${found.index}; a command can carry any ` +
        'other Unicode text',
    );
  }
}

function makeNonce(randomBytes: (size: number) => Uint8Array): string {
  const bytes = randomBytes(NONCE_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length !== NONCE_BYTES) {
    throw new ExecUsageError(
      `buildCommand: randomBytes(${NONCE_BYTES}) returned ${bytes instanceof Uint8Array ? `${bytes.length} bytes` : String(bytes)}; expected ${NONCE_BYTES} bytes`,
    );
  }
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
