/**
 * `${{ … }}` expressions: finding them in text, tokenising, parsing and type checking.
 *
 * Grammar (docs/runbooks.md#expressions):
 *
 * ```text
 * expr       := or
 * or         := and ( '||' and )*
 * and        := comparison ( '&&' comparison )*
 * comparison := unary ( ( '==' | '!=' | '<' | '<=' | '>' | '>=' ) unary )?     (non-associative)
 * unary      := '!' unary | primary
 * primary    := literal | path | '(' expr ')'
 * path       := ident ( '.' ident )*          ident := [A-Za-z_][A-Za-z0-9_]*
 * literal    := 'text' ('' escapes ') | "text" (\" \\ \n \t escapes) | number | true | false | null
 * ```
 *
 * Everything here is pure and works on offsets into the expression text; callers map offsets
 * to file ranges. Reference resolution is injected, so this module knows nothing of steps.
 */
import type {
  ComparisonOperator,
  Expr,
  LogicalOperator,
  Reference,
  ReferenceTarget,
  SourceRange,
  ValueType,
} from './model.ts';

/** A problem at `[start, end)` of the text given to the function that found it. */
export interface ExpressionProblem {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/** One `${{ … }}` found in a string. */
export interface ExpressionSpan {
  /** Offset of `${{`. */
  readonly start: number;
  /** Offset just past `}}`, or the end of the text when unterminated. */
  readonly end: number;
  /** The text between `${{` and `}}`. */
  readonly inner: string;
  /** Offset of `inner` in the text. */
  readonly innerStart: number;
  /** False when no `}}` closes it. */
  readonly closed: boolean;
}

/**
 * Finds every `${{ … }}` in `text`. A `}}` inside a quoted literal does not close the
 * expression. There is no escape for a literal `${{`.
 */
export function findExpressions(text: string): ExpressionSpan[] {
  const spans: ExpressionSpan[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return spans;
    const innerStart = start + 3;
    let i = innerStart;
    let quote: string | undefined;
    let close = -1;
    while (i < text.length) {
      const c = text[i];
      if (quote) {
        if (quote === '"' && c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '}' && text[i + 1] === '}') {
        close = i;
        break;
      }
      i++;
    }
    if (close < 0) {
      spans.push({ start, end: text.length, inner: text.slice(innerStart), innerStart, closed: false });
      return spans;
    }
    spans.push({ start, end: close + 2, inner: text.slice(innerStart, close), innerStart, closed: true });
    from = close + 2;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/** A token of the expression language. */
export type Token =
  | { readonly kind: 'op'; readonly op: string; readonly start: number; readonly end: number }
  | { readonly kind: 'ident'; readonly name: string; readonly start: number; readonly end: number }
  | { readonly kind: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | {
      readonly kind: 'number';
      readonly value: number;
      readonly integer: boolean;
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'end'; readonly start: number; readonly end: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '.'] as const;

/** Splits expression text into tokens; problems for characters that start no token. */
export function tokenize(text: string): { tokens: Token[]; problems: ExpressionProblem[] } {
  const tokens: Token[] = [];
  const problems: ExpressionProblem[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    // A '.' followed by a digit after a non-identifier is a number like `.5`: not supported, but
    // `steps.a.b` needs '.', so only identifiers and numbers below look further.
    if (op && !(op === '.' && /\d/.test(text[i + 1] ?? '') && !/[\w)]/.test(text[i - 1] ?? ''))) {
      tokens.push({ kind: 'op', op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number && (c !== '-' || /\d/.test(text[i + 1] ?? ''))) {
      const lexeme = number[0];
      const end = i + lexeme.length;
      if (/[A-Za-z_]/.test(text[end] ?? '')) {
        problems.push({
          message: `"${lexeme}${text[end]}…" is neither a number nor a name`,
          start: i,
          end: end + 1,
        });
      }
      const value = Number(lexeme);
      const integer = !number[1] && !number[2];
      if (integer && !Number.isSafeInteger(value)) {
        problems.push({ message: `the integer ${lexeme} is too large (at most 2^53 - 1)`, start: i, end });
      }
      tokens.push({ kind: 'number', value, integer, start: i, end });
      i = end;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', name: ident[0], start: i, end: i + ident[0].length });
      i += ident[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const string = readString(text, i);
      if (string.problem) problems.push(string.problem);
      tokens.push({ kind: 'string', value: string.value, start: i, end: string.end });
      i = string.end;
      continue;
    }
    const hint =
      c === '='
        ? '; did you mean "=="?'
        : c === '&' || c === '|'
          ? `; did you mean "${c}${c}"?`
          : c === '-'
            ? '; a minus only starts a number, and step ids and names cannot contain "-"'
            : '';
    problems.push({
      message: `unexpected character "${c}"${hint}; accepted: references, literals, == != < <= > >= && || ! and parentheses`,
      start: i,
      end: i + 1,
    });
    i++;
  }
  tokens.push({ kind: 'end', start: text.length, end: text.length });
  return { tokens, problems };
}

function readString(
  text: string,
  start: number,
): { value: string; end: number; problem?: ExpressionProblem } {
  const quote = text[start];
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (quote === "'" && c === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (quote === '"' && c === '"') return { value, end: i + 1 };
    if (quote === '"' && c === '\\') {
      const n = text[i + 1];
      const escapes: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
      const e = n === undefined ? undefined : escapes[n];
      if (e === undefined) {
        return {
          value,
          end: text.length,
          problem: {
            message: `unknown escape "\\${n ?? ''}" in a string; accepted: \\" \\\\ \\n \\t`,
            start: i,
            end: i + 2,
          },
        };
      }
      value += e;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  return {
    value,
    end: text.length,
    problem: { message: `unterminated string: no closing ${quote}`, start, end: text.length },
  };
}

// ---------------------------------------------------------------------------------------------
// Syntax tree
// ---------------------------------------------------------------------------------------------

/** One name of a path with its offsets. */
export interface PathSegment {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The untyped tree `parseExpression` returns; offsets are into the expression text. */
export type SyntaxNode =
  | {
      readonly kind: 'literal';
      readonly value: string | number | boolean | null;
      readonly integer: boolean;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: 'path';
      readonly segments: readonly PathSegment[];
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'not'; readonly operand: SyntaxNode; readonly start: number; readonly end: number }
  | {
      readonly kind: 'binary';
      readonly operator: ComparisonOperator | LogicalOperator;
      readonly left: SyntaxNode;
      readonly right: SyntaxNode;
      readonly start: number;
      readonly end: number;
    };

const COMPARISONS: readonly string[] = ['==', '!=', '<', '<=', '>', '>='];

/** Parses expression text (without `${{ }}`); `node` is absent when it does not parse. */
export function parseExpression(text: string): { node?: SyntaxNode; problems: ExpressionProblem[] } {
  const { tokens, problems } = tokenize(text);
  if (problems.length > 0) return { problems };
  if (tokens.length === 1) {
    return {
      problems: [
        {
          message: 'the expression is empty; write a reference such as params.name',
          start: 0,
          end: text.length,
        },
      ],
    };
  }
  const parser = new Parser(tokens);
  try {
    const node = parser.expression();
    const next = parser.peek();
    if (next.kind !== 'end') {
      const extra = COMPARISONS.includes(next.kind === 'op' ? next.op : '')
        ? '; comparisons do not chain: join them with && or ||'
        : '';
      throw new SyntaxProblem(`unexpected ${describe(next, text)} after a complete expression${extra}`, next);
    }
    return { node, problems: [] };
  } catch (error) {
    if (error instanceof SyntaxProblem) return { problems: [error.problem] };
    throw error;
  }
}

class SyntaxProblem extends Error {
  readonly problem: ExpressionProblem;

  constructor(message: string, at: { start: number; end: number }) {
    super(message);
    this.name = 'SyntaxProblem';
    this.problem = { message, start: at.start, end: Math.max(at.end, at.start + 1) };
  }
}

function describe(token: Token, text: string): string {
  if (token.kind === 'end') return 'end of expression';
  return `"${text.slice(token.start, token.end)}"`;
}

class Parser {
  #i = 0;
  #depth = 0;

  readonly #tokens: Token[];

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  peek(): Token {
    return this.#tokens[this.#i] ?? (this.#tokens[this.#tokens.length - 1] as Token);
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.#i++;
    return t;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.op === op;
  }

  expression(): SyntaxNode {
    if (++this.#depth > 100)
      throw new SyntaxProblem('the expression nests more than 100 levels', this.peek());
    try {
      return this.or();
    } finally {
      this.#depth--;
    }
  }

  private or(): SyntaxNode {
    let left = this.and();
    while (this.isOp('||')) {
      this.next();
      const right = this.and();
      left = { kind: 'binary', operator: '||', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private and(): SyntaxNode {
    let left = this.comparison();
    while (this.isOp('&&')) {
      this.next();
      const right = this.comparison();
      left = { kind: 'binary', operator: '&&', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private comparison(): SyntaxNode {
    const left = this.unary();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.includes(t.op)) {
      this.next();
      const right = this.unary();
      return {
        kind: 'binary',
        operator: t.op as ComparisonOperator,
        left,
        right,
        start: left.start,
        end: right.end,
      };
    }
    return left;
  }

  private unary(): SyntaxNode {
    const t = this.peek();
    if (t.kind === 'op' && t.op === '!') {
      this.next();
      if (++this.#depth > 100) throw new SyntaxProblem('the expression nests more than 100 levels', t);
      try {
        const operand = this.unary();
        return { kind: 'not', operand, start: t.start, end: operand.end };
      } finally {
        this.#depth--;
      }
    }
    return this.primary();
  }

  private primary(): SyntaxNode {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: t.value, integer: t.integer, start: t.start, end: t.end };
      case 'string':
        return { kind: 'literal', value: t.value, integer: false, start: t.start, end: t.end };
      case 'ident': {
        if (t.name === 'true' || t.name === 'false' || t.name === 'null') {
          const value = t.name === 'null' ? null : t.name === 'true';
          return { kind: 'literal', value, integer: false, start: t.start, end: t.end };
        }
        const segments: PathSegment[] = [{ name: t.name, start: t.start, end: t.end }];
        while (this.isOp('.')) {
          const dot = this.next();
          const name = this.next();
          if (name.kind !== 'ident') {
            throw new SyntaxProblem(
              `expected a name after "." but found ${describe(name, '')}`,
              name.kind === 'end' ? dot : name,
            );
          }
          segments.push({ name: name.name, start: name.start, end: name.end });
        }
        const last = segments[segments.length - 1] as PathSegment;
        return { kind: 'path', segments, start: t.start, end: last.end };
      }
      case 'op':
        if (t.op === '(') {
          const inner = this.expression();
          const close = this.next();
          if (close.kind !== 'op' || close.op !== ')') {
            throw new SyntaxProblem('missing ")" to close "("', close.kind === 'end' ? t : close);
          }
          return { ...inner, start: t.start, end: close.end };
        }
        throw new SyntaxProblem(`unexpected "${t.op}"; expected a reference, a literal, "!" or "("`, t);
      case 'end':
        throw new SyntaxProblem(
          'the expression ends too early; expected a reference, a literal, "!" or "("',
          t,
        );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Common types. */
export const TYPES = {
  string: { base: 'string', nullable: false },
  integer: { base: 'integer', nullable: false },
  number: { base: 'number', nullable: false },
  boolean: { base: 'boolean', nullable: false },
  null: { base: 'null', nullable: true },
  unknown: { base: 'unknown', nullable: true },
} as const satisfies Record<string, ValueType>;

/** A type for messages: `integer`, `string (one of a, b)`, `integer or null`. */
export function formatType(type: ValueType): string {
  const values = type.values ? ` (one of ${type.values.join(', ')})` : '';
  const nullable = type.nullable && type.base !== 'null' && type.base !== 'unknown' ? ' or null' : '';
  return `${type.base}${values}${nullable}`;
}

function isNumeric(type: ValueType): boolean {
  return type.base === 'integer' || type.base === 'number';
}

/** Whether values of the two types can be compared with `==`/`!=`. */
export function comparableForEquality(a: ValueType, b: ValueType): boolean {
  if (a.base === 'unknown' || b.base === 'unknown') return true;
  if (a.base === 'null' || b.base === 'null') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  return a.base === b.base;
}

/** Whether values of the two types can be ordered with `<` `<=` `>` `>=`. */
export function comparableForOrder(a: ValueType, b: ValueType): boolean {
  if (a.base === 'unknown' || b.base === 'unknown') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  return a.base === 'string' && b.base === 'string';
}

// ---------------------------------------------------------------------------------------------
// Type checking
// ---------------------------------------------------------------------------------------------

/** A problem found while checking, with the diagnostic code it becomes. */
export interface CheckProblem<Code extends string = string> extends ExpressionProblem {
  readonly code: Code | 'EXPRESSION_TYPE';
}

/** What a resolver says about a path: the reference it names, or why it names nothing. */
export type Resolution<Code extends string = string> =
  | { readonly ok: true; readonly target: ReferenceTarget; readonly path: string; readonly type: ValueType }
  | { readonly ok: false; readonly problem: CheckProblem<Code> };

/** Injected reference resolution: from path segments to a reference or a problem. */
export type Resolver<Code extends string = string> = (segments: readonly PathSegment[]) => Resolution<Code>;

/**
 * Types a syntax tree: resolves each path with `resolve`, checks operand types and builds the
 * model's `Expr`. `expr` is absent when any problem was found.
 *
 * Rules: `&&`, `||`, `!` take booleans; `==`/`!=` need both sides of one type (integer and
 * number mix; `null` and unknown values compare with anything; a string literal compared with a
 * closed set of values must be one of them); `<` `<=` `>` `>=` take two numbers or two strings.
 */
export function checkExpression<Code extends string>(
  node: SyntaxNode,
  resolve: Resolver<Code>,
  toRange: (start: number, end: number) => SourceRange,
): { expr?: Expr; problems: CheckProblem<Code>[] } {
  const problems: CheckProblem<Code>[] = [];
  const typeProblem = (message: string, at: { start: number; end: number }): void => {
    problems.push({ code: 'EXPRESSION_TYPE', message, start: at.start, end: at.end });
  };

  const visit = (n: SyntaxNode): Expr | undefined => {
    const range = toRange(n.start, n.end);
    switch (n.kind) {
      case 'literal': {
        const type: ValueType =
          n.value === null
            ? TYPES.null
            : typeof n.value === 'string'
              ? TYPES.string
              : typeof n.value === 'boolean'
                ? TYPES.boolean
                : n.integer
                  ? TYPES.integer
                  : TYPES.number;
        return { kind: 'literal', value: n.value, type, range };
      }
      case 'path': {
        const resolution = resolve(n.segments);
        if (!resolution.ok) {
          problems.push(resolution.problem);
          return undefined;
        }
        const reference = {
          ...resolution.target,
          path: resolution.path,
          type: resolution.type,
          range,
        } as Reference;
        return { kind: 'reference', reference, type: resolution.type, range };
      }
      case 'not': {
        const operand = visit(n.operand);
        if (!operand) return undefined;
        if (operand.type.base !== 'boolean' && operand.type.base !== 'unknown') {
          typeProblem(`"!" needs a boolean; received ${formatType(operand.type)}`, n.operand);
          return undefined;
        }
        return { kind: 'not', operand, type: TYPES.boolean, range };
      }
      case 'binary': {
        const left = visit(n.left);
        const right = visit(n.right);
        if (!left || !right) return undefined;
        const op = n.operator;
        if (op === '&&' || op === '||') {
          let ok = true;
          for (const [side, syntax] of [
            [left, n.left],
            [right, n.right],
          ] as const) {
            if (side.type.base !== 'boolean' && side.type.base !== 'unknown') {
              typeProblem(`"${op}" needs booleans on both sides; received ${formatType(side.type)}`, syntax);
              ok = false;
            }
          }
          return ok ? { kind: 'binary', operator: op, left, right, type: TYPES.boolean, range } : undefined;
        }
        const equality = op === '==' || op === '!=';
        const comparable = equality
          ? comparableForEquality(left.type, right.type)
          : comparableForOrder(left.type, right.type);
        if (!comparable) {
          const accepted = equality
            ? 'values of one type (integer and number mix, null compares with anything)'
            : 'two numbers or two strings';
          typeProblem(
            `cannot compare ${formatType(left.type)} with ${formatType(right.type)} using "${op}"; accepted: ${accepted}`,
            n,
          );
          return undefined;
        }
        for (const [closed, literal, syntax] of [
          [left, right, n.right],
          [right, left, n.left],
        ] as const) {
          if (
            equality &&
            closed.type.values &&
            literal.kind === 'literal' &&
            typeof literal.value === 'string' &&
            !closed.type.values.includes(literal.value)
          ) {
            typeProblem(
              `${JSON.stringify(literal.value)} is never a value of ${describeExpr(closed)}; accepted: ${closed.type.values.join(', ')}`,
              syntax,
            );
            return undefined;
          }
        }
        return { kind: 'binary', operator: op, left, right, type: TYPES.boolean, range };
      }
    }
  };

  const expr = visit(node);
  return problems.length > 0 || !expr ? { problems } : { expr, problems };
}

function describeExpr(expr: Expr): string {
  return expr.kind === 'reference' ? expr.reference.path : 'the other side';
}
