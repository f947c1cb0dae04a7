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
  /**
   * One per span: where the value would be read as code rather than data, in words (`[[ ]]`,
   * `eval`, `sh -c` …), when the lexer can see it; `undefined` elsewhere. The validator warns
   * for values whose text no guard checks (strings).
   */
  readonly hazards: readonly (string | undefined)[];
  /** One per span: the span follows a `$` (`$${{ x }}` reads `$$`, the shell's PID, first). */
  readonly afterDollar: readonly boolean[];
}

type Frame =
  | {
      kind: 'code';
      closer: 'none' | 'paren';
      parens: number;
      start: number;
      /** Open `case` commands, and whether a pattern (ended by a lone `)`) is being read. */
      cases?: { depth: number; awaitingIn: boolean; pattern: boolean };
    }
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
          // A word inside ${…} (a default, a pattern of # % /): quoted there, the value stays
          // literal text instead of becoming a glob pattern ("${s##"${RB_P_x}"}").
          return 'unquoted';
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

  /**
   * The body of a heredoc with an unquoted delimiter: text in which `\`, backticks, `$( … )`
   * and `$(( … ))` keep their meaning. A span after a backslash cannot expand; in backticks or
   * arithmetic it is what it is elsewhere; inside `$( … )` the body is shell code again, so the
   * substitution is classified as a script of its own.
   */
  const classifyHeredocBody = (from: number, to: number): void => {
    markRange(from, to, 'heredoc');
    let k = from;
    while (k < to) {
      const c = script[k];
      if (c === '\\') {
        const escaped = spanAt.get(k + 1);
        if (escaped !== undefined) contexts[escaped] = 'escaped';
        k += 2;
        continue;
      }
      const spanHere = spanAt.get(k);
      if (spanHere !== undefined) {
        k = (spans[spanHere] as ExpressionSpan).end;
        continue;
      }
      if (c === '`') {
        let close = k + 1;
        while (close < to && script[close] !== '`') close += script[close] === '\\' ? 2 : 1;
        markRange(k, close, 'backticks');
        k = close + 1;
        continue;
      }
      if (c === '$' && script[k + 1] === '(') {
        const arith = script[k + 2] === '(';
        let depth = 0;
        let close = k + 1;
        for (; close < to; close++) {
          if (script[close] === '(') depth++;
          else if (script[close] === ')' && --depth === 0) break;
        }
        if (arith) markRange(k, close, 'arithmetic');
        else {
          const innerStart = k + 2;
          const inner = script.slice(innerStart, close);
          const innerSpans = spans
            .map((span, index) => ({ span, index }))
            .filter(({ span }) => span.start >= innerStart && span.end <= close);
          const nested = classifyCommand(
            inner,
            innerSpans.map(({ span }) => ({
              ...span,
              start: span.start - innerStart,
              end: span.end - innerStart,
            })),
          );
          innerSpans.forEach(({ index }, n) => {
            contexts[index] = nested.contexts[n] ?? 'unquoted';
          });
        }
        k = close + 1;
        continue;
      }
      k++;
    }
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
          if (doc.literal) markRange(bodyStart, i, 'literal-heredoc');
          else classifyHeredocBody(bodyStart, i);
          i = Math.min(lineEnd + 1, script.length);
          closed = true;
          break;
        }
        i = lineEnd + 1;
      }
      if (!closed) {
        if (doc.literal) markRange(bodyStart, script.length, 'literal-heredoc');
        else classifyHeredocBody(bodyStart, script.length);
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
    const atWord = i === 0 || WORD_BREAK.test(script[i - 1] ?? '');
    const word = atWord ? (/^[A-Za-z]+/.exec(script.slice(i, i + 5))?.[0] ?? '') : '';
    const cases = frame.cases ?? { depth: 0, awaitingIn: false, pattern: false };
    if (word === 'case') {
      frame.cases = { depth: cases.depth + 1, awaitingIn: true, pattern: false };
      i += 4;
      continue;
    }
    if (cases.depth > 0) {
      if (word === 'in' && cases.awaitingIn) {
        frame.cases = { ...cases, awaitingIn: false, pattern: true };
        i += 2;
        continue;
      }
      if (word === 'esac') {
        frame.cases = { depth: cases.depth - 1, awaitingIn: false, pattern: false };
        i += 4;
        continue;
      }
      if (c === ';' && next === ';') {
        frame.cases = { ...cases, pattern: true };
        i += 2;
        continue;
      }
      // A pattern's closing ")" (and an optional opening "(") is no parenthesis to count.
      if (cases.pattern && frame.parens === 0 && (c === ')' || c === '(')) {
        if (c === ')') frame.cases = { ...cases, pattern: false };
        i++;
        continue;
      }
    }
    // `(( … ))` as a command is arithmetic, as $(( … )) is: "<<" there is a shift, not a heredoc.
    if (c === '(' && next === '(' && atWord) {
      stack.push({ kind: 'arith', parens: 0, start: i });
      i += 2;
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
  const hazards = spans.map((span, index) =>
    contexts[index] === 'comment' ? undefined : codePosition(script, span.start),
  );
  const afterDollar = spans.map(
    (span) => span.start > 0 && script[span.start - 1] === '$' && script[span.start - 2] !== '\\',
  );
  return { contexts, problems, hazards, afterDollar };
}

/** Commands that run their arguments as shell code, or evaluate them as arithmetic. */
const CODE_COMMANDS: Readonly<Record<string, string>> = {
  eval: '`eval`, which runs its arguments as shell code',
  trap: '`trap`, which runs its argument as shell code',
  let: '`let`, which evaluates its arguments as arithmetic (bash runs $(…) in a[…])',
  declare: '`declare`, which can evaluate a value as arithmetic (bash)',
  typeset: '`typeset`, which can evaluate a value as arithmetic',
  local: '`local`, which can evaluate a value as arithmetic (bash, -i)',
  readonly: '`readonly`, which can evaluate a value as arithmetic (bash, -i)',
  source: '`source`, which runs a file as shell code',
  '.': '`.`, which runs a file as shell code',
  read: '`read`, whose variable names bash evaluates as subscripts (a[$(…)])',
  xargs: '`xargs`, which re-splits its input into arguments',
};

/** Interpreters whose program text a value can be spliced into (`'…'"${{ x }}"'…'`, `-v x=…`). */
const PROGRAMS: Readonly<Record<string, string>> = {
  awk: 'an awk program (it can call system()); pass the value as X=… awk \'… ENVIRON["X"] …\'',
  gawk: 'an awk program (it can call system()); pass the value as X=… gawk \'… ENVIRON["X"] …\'',
  mawk: 'an awk program (it can call system()); pass the value as X=… mawk \'… ENVIRON["X"] …\'',
  sed: "a sed script, where GNU sed's `e` command and `s///e` run text as a command",
  perl: 'a perl program; pass the value in the environment ($ENV{X})',
  python: 'a python program; pass the value in the environment (os.environ)',
  python3: 'a python program; pass the value in the environment (os.environ)',
  node: 'a node program; pass the value in the environment (process.env)',
  jq: 'a jq program; pass the value with --arg',
};

const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox']);

/**
 * Where the text at `at` would be read as code rather than data, when the line shows it: inside
 * `[[ ]]`, `(( ))` or `$[ ]`, in `${s:offset}`, in the arguments of `eval`, `trap`, `let` … or
 * of a nested shell (`sh -c`, `find -exec sh -c`), or in `printf -v`. A heuristic over the text
 * of the current command line (from the last `;`, `&`, `|`, newline or opening bracket); it never
 * changes a rewrite, only adds a warning.
 */
function codePosition(script: string, at: number): string | undefined {
  const lineStart = script.lastIndexOf('\n', at - 1) + 1;
  const line = script.slice(lineStart, at);
  if (/\[\[(?![\s\S]*\]\])/.test(line))
    return '`[[ ]]`, whose -eq/-lt… operands bash evaluates as arithmetic';
  if (/\(\((?![\s\S]*\)\))/.test(line)) return '`(( ))` or `$(( ))`, which evaluate text as arithmetic';
  if (/\$\[(?![\s\S]*\])/.test(line)) return '`$[ ]`, which evaluates text as arithmetic (bash)';
  if (/\$\{[A-Za-z_][A-Za-z0-9_]*:(?![-=?+])[^}]*$/.test(line))
    return '`\u0024{s:offset:length}`, whose offset and length bash evaluates as arithmetic';
  if (/\[[^\]\s]*$/.test(line) && /(^|[\s;&|(])[A-Za-z_][A-Za-z0-9_]*\[[^\]\s]*$/.test(line))
    return 'an array subscript, which bash evaluates as arithmetic';
  // The current simple command: after the last separator.
  // Quoted text holds no separators: blank it out before splitting the line into commands.
  let bare = line.replace(/'[^']*'/g, "''").replace(/"[^"]*"/g, '""');
  // The value inside a double-quoted word still open: it is part of that word.
  bare = bare.replace(/"[^"]*$/, '"x');
  const command = bare.split(/;|&&|\|\||\||&|\(|\{|\bthen\b|\bdo\b|\belse\b/).pop() ?? '';
  const words = command
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  // The word the value is part of: a new one after a blank, else the last one.
  const valueWord = /\s$/.test(command) || words.length === 0 ? words.length : words.length - 1;
  // Assignments before the command name (X=1 cmd) are not the command.
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) words.shift();
  const [name] = words;
  if (name === undefined) return undefined;
  const base = name.replace(/^.*\//, '');
  for (let w = 0; w < words.length; w++) {
    const word = (words[w] as string).replace(/^.*\//, '');
    const flag = words.findIndex((arg, a) => a > w && /^-[a-z]*c[a-z]*$/.test(arg));
    // Only the word after -c is a script: later words are its $0, $1 … (data).
    if (SHELLS.has(word) && flag > w && valueWord === flag + 1) {
      return `a nested shell (\`${word} -c\`${base === 'find' ? ' under find -exec' : ''}), which parses its script again; pass the value as an argument: sh -c '… "$1" …' sh "\${{ … }}"`;
    }
  }
  if (base === 'printf' && words.includes('-v'))
    return '`printf -v`, whose variable name bash evaluates as a subscript';
  const program = PROGRAMS[base];
  // The value spliced into the program text ('…'"${{ x }}"'…'), or an awk -v assignment.
  if (program && (line.endsWith('\'"') || /(^|\s)-v\s*\S*=$/.test(line))) {
    return /-v\s*\S*=$/.test(line) && base.endsWith('awk')
      ? 'an awk -v assignment, which rewrites backslash escapes (and the value is then program data); pass it as X=… awk \'… ENVIRON["X"] …\''
      : program;
  }
  return CODE_COMMANDS[base];
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
