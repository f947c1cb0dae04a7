/**
 * Splits a command string into words the way the SSM agent does in container mode.
 *
 * The agent uses google/shlex (not POSIX sh): whitespace separates words; `'…'` is literal;
 * inside `"…"` a backslash makes the next character literal, whatever it is; outside quotes a
 * backslash escapes the next character; a `#` at the start of a word starts a comment to the end
 * of the line; `''` and `""` yield an empty word; an unterminated quote or a trailing backslash
 * is an error. No expansion, no operators.
 *
 * @see docs/protocol.md §9
 */
export class ShlexError extends Error {
  override readonly name = 'ShlexError';
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Splits `input` into argv words; throws {@link ShlexError} on unterminated input. */
export function shlexSplit(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (WHITESPACE.has(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === '#' && !inWord) {
      while (i < input.length && input[i] !== '\n') i++;
    } else if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('EOF found when expecting closing quote');
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= input.length) throw new ShlexError('EOF found when expecting closing quote');
        const c = input[i] as string;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          if (i + 1 >= input.length) throw new ShlexError('EOF found after escape character');
          word += input[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
    } else if (ch === '\\') {
      if (i + 1 >= input.length) throw new ShlexError('EOF found after escape character');
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
