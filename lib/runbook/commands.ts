/**
 * Expressions in shell commands: where each `${{ … }}` sits (outside quotes, in double quotes,
 * in single quotes …) and the rewrite that turns it into a reference to an exported variable,
 * so values reach the script as data, never as script text (docs/architecture.md, "The exec layer").
 *
 * The scanner is a conservative POSIX sh lexer: it tracks quotes, `$'…'`, backslash escapes,
 * comments, `$( … )`, `$(( … ))`, `${ … }`, backticks and heredocs. It is not a full parser:
 * `case` patterns with a lone `)` inside `$( … )` can confuse its parenthesis count. When in
 * doubt it classifies a position as a context the validator rejects, never as one where a
 * rewrite could change the meaning of the script.
 */
import type { ExpressionSpan } from './expressions.ts';
import type { Command, Reference, RewritableShellContext, ShellContext } from './model.ts';
import { typeGuards } from './type-guards.ts';

/** A problem in the script itself (an unterminated quote), offsets into the script. */
export interface ShellProblem {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/** Where each span sits, plus problems found in the script. */
export interface ShellClassification {
  /** One per span, in order; `escaped` when a backslash escapes the `$` of `${{`. */
  readonly contexts: readonly (ShellContext | 'escaped')[];
  readonly problems: readonly ShellProblem[];
}

type Frame =
  | { kind: 'code'; closer: 'none' | 'paren'; parens: number; start: number }
  | { kind: 'dq'; start: number }
  | { kind: 'sq'; start: number }
  | { kind: 'ansi'; start: number }
  | { kind: 'backtick'; start: number }
  | { kind: 'arith'; parens: number; start: number }
  | { kind: 'param'; braces: number; start: number };

interface Heredoc {
  readonly delimiter: string;
  readonly literal: boolean;
  readonly stripTabs: boolean;
  readonly start: number;
}

const FRAME_NAMES: Record<Frame['kind'], string> = {
  code: '"$("',
  dq: 'double quote',
  sq: 'single quote',
  ansi: '"$\'" quote',
  backtick: 'backtick',
  arith: '"$(("',
  param: '"${"',
};

const WORD_BREAK = /[\s;&|()<>]/;

/**
 * Classifies each expression span of `script` by the shell context it sits in. `spans` must be
 * `findExpressions(script)`; each span is treated as an opaque part of a word.
 */
export function classifyCommand(script: string, spans: readonly ExpressionSpan[]): ShellClassification {
  const contexts: (ShellContext | 'escaped')[] = spans.map(() => 'unquoted');
  const problems: ShellProblem[] = [];
  const spanAt = new Map<number, number>();
  spans.forEach((span, index) => {
    spanAt.set(span.start, index);
  });
  const stack: Frame[] = [{ kind: 'code', closer: 'none', parens: 0, start: 0 }];
  const pending: Heredoc[] = [];
  const top = (): Frame => stack[stack.length - 1] as Frame;

  const contextOfStack = (): ShellContext => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const frame = stack[k] as Frame;
      switch (frame.kind) {
        case 'param':
          continue;
        case 'code':
          return 'unquoted';
        case 'dq':
          return 'double-quotes';
        case 'sq':
          return 'single-quotes';
        case 'ansi':
          return 'ansi-c-quotes';
        case 'backtick':
          return 'backticks';
        case 'arith':
          return 'arithmetic';
      }
    }
    return 'unquoted';
  };

  /** Marks every span in [from, to) with `context`; returns nothing. */
  const markRange = (from: number, to: number, context: ShellContext): void => {
    spans.forEach((span, index) => {
      if (span.start >= from && span.start < to) contexts[index] = context;
    });
  };

  /** Skips a span starting at `i`, if any; returns the index after it. */
  const skipSpan = (i: number): number | undefined => {
    const index = spanAt.get(i);
    if (index === undefined) return undefined;
    contexts[index] = contextOfStack();
    return (spans[index] as ExpressionSpan).end;
  };

  const readHeredocBodies = (from: number): number => {
    let i = from;
    while (pending.length > 0) {
      const doc = pending.shift() as Heredoc;
      const bodyStart = i;
      let closed = false;
      while (i < script.length) {
        let lineEnd = script.indexOf('\n', i);
        if (lineEnd < 0) lineEnd = script.length;
        const line = script.slice(i, lineEnd);
        const compared = doc.stripTabs ? line.replace(/^\t+/, '') : line;
        if (compared === doc.delimiter) {
          markRange(bodyStart, i, doc.literal ? 'literal-heredoc' : 'heredoc');
          i = Math.min(lineEnd + 1, script.length);
          closed = true;
          break;
        }
        i = lineEnd + 1;
      }
      if (!closed) {
        markRange(bodyStart, script.length, doc.literal ? 'literal-heredoc' : 'heredoc');
        problems.push({
          message: `the heredoc started here is never closed by a line "${doc.delimiter}"`,
          start: doc.start,
          end: doc.start + 2,
        });
        pending.length = 0;
        return script.length;
      }
    }
    return i;
  };

  const readHeredocOperator = (i: number): number => {
    // At "<<" (not "<<<"): optional "-", blanks, then the delimiter word.
    let j = i + 2;
    const stripTabs = script[j] === '-';
    if (stripTabs) j++;
    while (script[j] === ' ' || script[j] === '\t') j++;
    let delimiter = '';
    let literal = false;
    while (j < script.length && !WORD_BREAK.test(script[j] ?? '')) {
      const c = script[j] as string;
      if (c === "'" || c === '"') {
        literal = true;
        const close = script.indexOf(c, j + 1);
        const end = close < 0 ? script.length : close;
        delimiter += script.slice(j + 1, end);
        j = end + 1;
      } else if (c === '\\') {
        literal = true;
        delimiter += script[j + 1] ?? '';
        j += 2;
      } else {
        delimiter += c;
        j++;
      }
    }
    if (delimiter !== '') pending.push({ delimiter, literal, stripTabs, start: i });
    return Math.min(j, script.length);
  };

  let i = 0;
  while (i < script.length) {
    const frame = top();
    const c = script[i] as string;
    const next = script[i + 1];

    if (frame.kind === 'sq') {
      const skipped = skipSpan(i);
      if (skipped !== undefined) {
        i = skipped;
        continue;
      }
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'ansi' || frame.kind === 'backtick') {
      const skipped = skipSpan(i);
      if (skipped !== undefined) {
        i = skipped;
        continue;
      }
      if (c === '\\') {
        i += 2;
        continue;
      }
      if ((frame.kind === 'ansi' && c === "'") || (frame.kind === 'backtick' && c === '`')) stack.pop();
      i++;
      continue;
    }

    // code, dq, arith, param
    if (c === '\\') {
      const escapedSpan = spanAt.get(i + 1);
      if (escapedSpan !== undefined && frame.kind !== 'arith') {
        contexts[escapedSpan] = 'escaped';
        i = (spans[escapedSpan] as ExpressionSpan).end;
        continue;
      }
      if (frame.kind === 'dq' && !(next && '$`"\\\n'.includes(next))) i++;
      else i += 2;
      continue;
    }
    const skipped = skipSpan(i);
    if (skipped !== undefined) {
      i = skipped;
      continue;
    }
    if (c === '$' && next === '(' && script[i + 2] === '(') {
      stack.push({ kind: 'arith', parens: 0, start: i });
      i += 3;
      continue;
    }
    if (c === '$' && next === '(') {
      stack.push({ kind: 'code', closer: 'paren', parens: 0, start: i });
      i += 2;
      continue;
    }
    if (c === '$' && next === '{') {
      stack.push({ kind: 'param', braces: 0, start: i });
      i += 2;
      continue;
    }
    if (c === '`') {
      stack.push({ kind: 'backtick', start: i });
      i++;
      continue;
    }

    if (frame.kind === 'dq') {
      if (c === '"') stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'arith') {
      if (c === '(') frame.parens++;
      else if (c === ')') {
        if (frame.parens === 0 && next === ')') {
          stack.pop();
          i += 2;
          continue;
        }
        frame.parens = Math.max(0, frame.parens - 1);
      }
      i++;
      continue;
    }
    if (frame.kind === 'param') {
      if (c === '{') frame.braces++;
      else if (c === '}') {
        if (frame.braces === 0) stack.pop();
        else frame.braces--;
      } else if (c === '"') stack.push({ kind: 'dq', start: i });
      else if (c === "'") stack.push({ kind: 'sq', start: i });
      i++;
      continue;
    }

    // code
    if (c === "'") {
      stack.push({ kind: 'sq', start: i });
      i++;
      continue;
    }
    if (c === '"') {
      stack.push({ kind: 'dq', start: i });
      i++;
      continue;
    }
    if (c === '$' && next === "'") {
      stack.push({ kind: 'ansi', start: i });
      i += 2;
      continue;
    }
    if (c === '#' && (i === 0 || WORD_BREAK.test(script[i - 1] ?? ''))) {
      let end = script.indexOf('\n', i);
      if (end < 0) end = script.length;
      markRange(i, end, 'comment');
      i = end;
      continue;
    }
    if (c === '<' && next === '<' && script[i + 2] !== '<') {
      i = readHeredocOperator(i);
      continue;
    }
    if (c === '<' && next === '<') {
      i += 3;
      continue;
    }
    if (c === '(') frame.parens++;
    else if (c === ')') {
      if (frame.parens > 0) frame.parens--;
      else if (frame.closer === 'paren') {
        stack.pop();
        i++;
        continue;
      }
    } else if (c === '\n' && pending.length > 0) {
      i = readHeredocBodies(i + 1);
      continue;
    }
    i++;
  }
  if (pending.length > 0) readHeredocBodies(script.length);
  for (const frame of stack.slice(1)) {
    problems.push({
      message: `unterminated ${FRAME_NAMES[frame.kind]} opened here; sh would reject the script`,
      start: frame.start,
      end: frame.start + 1,
    });
  }
  return { contexts, problems };
}

/** A variable a rewritten command reads, and the reference whose value it must hold. */
export interface CommandVariable {
  /** `RB_P_<param>` for parameters, `RB_E_<n>` (from 1, by first appearance) for the rest. */
  readonly name: string;
  readonly reference: Reference;
}

/** A rewritten command. */
export interface RewrittenCommand {
  /** The script with each `${{ … }}` replaced by a variable reference. */
  readonly script: string;
  /** The variables to export before the script, each once, in order of first appearance. */
  readonly variables: readonly CommandVariable[];
}

/**
 * Rewrites a command's expressions into variable references: `"${RB_P_x}"` outside quotes,
 * `${RB_P_x}` in double quotes, heredocs, arithmetic and comments. The same reference always
 * gets the same variable. Pure; the exec layer exports the variables with POSIX single quoting.
 *
 * The script starts with the type-guard prologue (type-guards.ts): every integer, number,
 * boolean or enum value, and every value used in `$(( … ))`, is checked before the user's first
 * line, so a value that is not what its type promises never reaches a position where a shell
 * could evaluate it.
 *
 * @example
 * ```ts
 * rewriteCommand(step.command);
 * // { script: 'find "$DATA_DIR/tmp" -mtime +"${RB_P_days}"', variables: [{ name: 'RB_P_days', … }] }
 * ```
 */
export function rewriteCommand(command: Pick<Command, 'script' | 'expressions'>): RewrittenCommand {
  const variables: CommandVariable[] = [];
  const byPath = new Map<string, string>();
  let counter = 0;
  let out = '';
  let last = 0;
  const arithmetic = new Set<string>();
  const sorted = [...command.expressions].sort((a, b) => a.start - b.start);
  for (const expression of sorted) {
    const { reference } = expression;
    let name = byPath.get(reference.path);
    if (name === undefined) {
      name = reference.kind === 'param' ? `RB_P_${reference.name}` : `RB_E_${++counter}`;
      byPath.set(reference.path, name);
      variables.push({ name, reference });
    }
    if (expression.context === 'arithmetic') arithmetic.add(name);
    out += command.script.slice(last, expression.start);
    out += variableReference(name, expression.context);
    last = expression.end;
  }
  out += command.script.slice(last);
  const guards = typeGuards(
    variables.map((variable) => ({ ...variable, arithmetic: arithmetic.has(variable.name) })),
  );
  return { script: `${guards}${out}`, variables };
}

function variableReference(name: string, context: RewritableShellContext): string {
  return context === 'unquoted' ? `"\${${name}}"` : `\${${name}}`;
}
