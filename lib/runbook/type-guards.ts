/**
 * The type-guard prologue of a rewritten command: before the user's first line, every typed
 * value the script reads is checked with a POSIX `case` pattern, and the script stops unless
 * the text is what the type promises.
 *
 * Why at the top of the script and for every typed value, whatever its position: a declared
 * type is only a promise of whoever started the run (a state machine started directly can put
 * any text in an `integer` parameter), and bash evaluates a string as arithmetic in places no
 * classifier can list (`[[ v -eq 0 ]]`, `${s:v}`, `let`, `read`, `printf -v`, array subscripts,
 * `$(( ))` after a copy into a variable …), running the command substitutions hidden in
 * `a[$(cmd)]`. A value that passes its guard holds only digits, `-`, `.`, `e`/`E`, `+`,
 * `true`/`false` or one of an enum's declared values, none of which any shell can run.
 *
 * The guards are pure POSIX (`case`, `${v#…}`, `printf`), with no arithmetic, `test` or `[[`, so
 * they hold the same way under dash, bash (as `sh` or not), busybox ash and zsh.
 */
import type { Reference, ValueType } from './model.ts';

/**
 * The exit status of a script whose guard refused a value (sysexits' `EX_DATAERR`): distinct
 * from 2 (a usage or syntax error), 126/127 (a command that cannot run) and 128+n (a signal).
 */
export const TYPE_GUARD_EXIT_CODE = 65;

/** The line a guard prints on stderr, without its newline: what tests and docs quote. */
export function typeGuardMessage(variable: string, path: string, expected: string): string {
  return `runbook: ${variable} (${path}) is not ${expected}; the script did not run`;
}

/** What a guard accepts: the kind of check and its words. */
type Check =
  | { readonly kind: 'integer' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'oneOf'; readonly values: readonly string[] };

/** A value a script reads, for {@link typeGuards}. */
export interface GuardedVariable {
  readonly name: string;
  readonly reference: Reference;
  /** The variable sits inside `$(( … ))` somewhere in the script: it must be an integer. */
  readonly arithmetic: boolean;
}

/**
 * The guard lines for `variables`, one per variable that has a type to check (integer, number,
 * boolean, a closed set of strings, or any value used in `$(( … ))`), in order; the empty string
 * when none has.
 *
 * @example
 * typeGuards([{ name: 'RB_P_n', reference: nRef, arithmetic: false }]);
 * // "case \"${RB_P_n#-}\" in ''|*[!0123456789]*) { printf …; exit 65; };; esac\n"
 */
export function typeGuards(variables: readonly GuardedVariable[]): string {
  let out = '';
  for (const variable of variables) {
    const check = checkFor(variable.reference.type, variable.arithmetic);
    if (check === undefined) continue;
    // In $(( )) an empty value is 0 to dash and a syntax error to bash: refuse it.
    const nullable = variable.reference.type.nullable && !variable.arithmetic;
    out += `${guardLine(variable.name, variable.reference.path, check, nullable)}\n`;
  }
  return out;
}

function checkFor(type: ValueType, arithmetic: boolean): Check | undefined {
  if (arithmetic) return { kind: 'integer' };
  switch (type.base) {
    case 'integer':
      return { kind: 'integer' };
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return type.values && type.values.length > 0 ? { kind: 'oneOf', values: type.values } : undefined;
    default:
      return undefined;
  }
}

const EXPECTED: Readonly<Record<Check['kind'], string>> = {
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  oneOf: 'one of its declared values',
};

/** POSIX single quoting: the text exactly, whatever it holds. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function guardLine(name: string, path: string, check: Check, nullable: boolean): string {
  const refuse = `{ printf '%s\\n' ${quote(typeGuardMessage(name, path, EXPECTED[check.kind]))} >&2; exit ${TYPE_GUARD_EXIT_CODE}; }`;
  const ref = `\${${name}}`;
  let test: string;
  switch (check.kind) {
    case 'integer':
      // Digits with an optional leading "-": no "+", no spaces, no base prefix, no subscript.
      test = `case "\${${name}#-}" in ''|*[!0123456789]*) ${refuse};; esac`;
      break;
    case 'number': {
      // JavaScript's String(n) of a finite number: -?D+(.D+)?(e[+-]D+)?; RB_G_m is the
      // mantissa, RB_G_e the exponent's digits.
      test =
        `RB_G_m="\${${name}#-}"; case "$RB_G_m" in *[eE]*) RB_G_e="\${RB_G_m#*[eE]}"; RB_G_e="\${RB_G_e#[+-]}"; RB_G_m="\${RB_G_m%%[eE]*}";; *) RB_G_e=0;; esac; ` +
        `case "$RB_G_m" in ''|.*|*.|*.*.*|*[!0123456789.]*) ${refuse};; esac; ` +
        `case "$RB_G_e" in ''|*[!0123456789]*) ${refuse};; esac; unset RB_G_m RB_G_e`;
      break;
    }
    case 'boolean':
      test = `case "${ref}" in true|false) ;; *) ${refuse};; esac`;
      break;
    case 'oneOf':
      test = `case "${ref}" in ${check.values.map(quote).join('|')}) ;; *) ${refuse};; esac`;
      break;
  }
  return nullable ? `case "${ref}" in '') ;; *) ${test};; esac` : test;
}
