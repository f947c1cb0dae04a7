/**
 * Quoting for the two parsers a command passes through: POSIX `sh` and the SSM agent's shlex.
 */

/** Words sh reads as themselves unquoted: no expansion, no operator, no assignment, no comment. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Words sh reserves at the start of a command; quoted they run as ordinary command names. */
const RESERVED_WORDS = new Set([
  '!',
  '{',
  '}',
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
]);

/**
 * Quotes a value as one POSIX sh word that expands to exactly `value`: single quotes, each `'`
 * written `'\''`.
 */
export function quotePosix(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** Like {@link quotePosix}, but leaves plain words bare so the script stays readable. */
export function quotePosixWord(word: string): string {
  return PLAIN_WORD.test(word) && !RESERVED_WORDS.has(word) ? word : quotePosix(word);
}

/**
 * Quotes a text as one word for the SSM agent's shlex, in single quotes, and keeps `{{` out of
 * the result.
 *
 * Each `'` is written `'"'"'` (close, a double-quoted quote, reopen): shlex single quotes take
 * everything literally, while backslashes in shlex double quotes differ from POSIX, so they are
 * avoided. The agent resolves `{{ … }}` in command text (`{{ssm:…}}` reads Parameter Store), so
 * every `{` followed by `{` gets an empty `''` after it: `{''{`, which shlex joins back to `{{`.
 *
 * @see docs/protocol.md §9
 */
export function quoteShlex(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`).replace(/\{(?=\{)/g, "{''")}'`;
}
