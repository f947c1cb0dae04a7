/**
 * Text from runbook values (parameters, `--alarm-reason`, approval and notify messages, error
 * messages quoting them) made safe to print on a terminal: every control character but the
 * newline and the tab is shown as an escape, so a value cannot set the window title, erase or
 * rewrite lines (CR, `ESC [ K`), ring the bell, or write the clipboard (OSC 52).
 */

// C0 controls but \t and \n, DEL, and the C1 controls (U+0080–U+009F: U+009B is a one-character
// CSI, U+009D an OSC on terminals that read C1); also the bidirectional overrides and isolates,
// which reorder what a line appears to say.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = {
  '\r': '\\r',
  '\u001b': '\\e',
  '\u0007': '\\a',
  '\b': '\\b',
};

/**
 * `text` with each unsafe character written as an escape: `\e`, `\r`, `\a`, `\b`, else `\xHH`
 * (or `\uHHHH` above U+00FF). Printable text, newlines and tabs are kept as they are.
 *
 * @example
 * terminalSafe('deploy\u001b]52;c;cm0gLXJm\u0007 done\r'); // 'deploy\\e]52;c;cm0gLXJm\\a done\\r'
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
