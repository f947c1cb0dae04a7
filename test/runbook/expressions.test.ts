// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
import { describe, expect, it } from 'vitest';
import {
  checkExpression,
  findExpressions,
  formatType,
  parseExpression,
  type Resolver,
  type SyntaxNode,
  tokenize,
} from '../../lib/runbook/expressions.ts';
import type { SourceRange, ValueType } from '../../lib/runbook/model.ts';

const at = (offset: number) => ({ line: 1, col: offset + 1, offset });
const toRange = (start: number, end: number): SourceRange => ({ start: at(start), end: at(end) });

const TYPES: Record<string, ValueType> = {
  'params.n': { base: 'integer', nullable: false },
  'params.x': { base: 'number', nullable: false },
  'params.s': { base: 'string', nullable: false },
  'params.b': { base: 'boolean', nullable: false },
  'params.mode': { base: 'string', nullable: false, values: ['fast', 'safe'] },
  'steps.a.exitCode': { base: 'integer', nullable: true },
  'steps.c.outputs.any': { base: 'unknown', nullable: true },
};

const resolve: Resolver = (segments) => {
  const path = segments.map((s) => s.name).join('.');
  const type = TYPES[path];
  if (!type) {
    return {
      ok: false,
      problem: { code: 'UNKNOWN_REFERENCE', message: `no ${path}`, start: segments[0]?.start ?? 0, end: 0 },
    };
  }
  return { ok: true, target: { kind: 'param', name: path }, path, type };
};

function check(text: string) {
  const parsed = parseExpression(text);
  if (!parsed.node) return { problems: parsed.problems.map((p) => ({ ...p, code: 'EXPRESSION_SYNTAX' })) };
  return checkExpression(parsed.node, resolve, toRange);
}

/** A compact rendering of a syntax tree, to assert precedence. */
function show(node: SyntaxNode | undefined): string {
  if (!node) return '∅';
  switch (node.kind) {
    case 'literal':
      return JSON.stringify(node.value);
    case 'path':
      return node.segments.map((s) => s.name).join('.');
    case 'not':
      return `!${show(node.operand)}`;
    case 'binary':
      return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
  }
}

describe('findExpressions', () => {
  it('finds each ${{ }} with its offsets when there are several', () => {
    const spans = findExpressions('a ${{ params.x }} b ${{steps.y.status}}');

    expect(spans.map((s) => [s.start, s.end, s.inner, s.closed])).toEqual([
      [2, 17, ' params.x ', true],
      [20, 39, 'steps.y.status', true],
    ]);
  });

  it('keeps }} inside a quoted literal when it looks for the end', () => {
    const [span] = findExpressions("${{ params.s == 'a}}b' }} tail");

    expect(span?.inner).toBe(" params.s == 'a}}b' ");
    expect(span?.closed).toBe(true);
  });

  it('reports an unterminated expression as not closed', () => {
    expect(findExpressions('x ${{ params.a')).toEqual([
      { start: 2, end: 14, inner: ' params.a', innerStart: 5, closed: false },
    ]);
  });

  it('finds nothing in text without ${{', () => {
    expect(findExpressions('echo ${HOME} {{ x }} $')).toEqual([]);
  });
});

describe('tokenize', () => {
  it('reads operators, names, numbers and both string quotes', () => {
    const { tokens, problems } = tokenize(`a.b >= -1.5e3 && !("x\\"y" != 'it''s')`);

    expect(problems).toEqual([]);
    expect(
      tokens.map((t) =>
        t.kind === 'op' ? t.op : t.kind === 'ident' ? t.name : t.kind === 'end' ? '$' : t.value,
      ),
    ).toEqual(['a', '.', 'b', '>=', -1500, '&&', '!', '(', 'x"y', '!=', "it's", ')', '$']);
  });

  it.each([
    ['params.a = 1', '"="'],
    ['a & b', '"&"'],
    ['a | b', '"|"'],
    ['steps.my-step', '"-"'],
    ["'open", 'unterminated'],
    ['"\\q"', 'unknown escape'],
    ['12abc', 'neither a number nor a name'],
    ['99999999999999999999', 'too large'],
  ])('reports %s', (text, fragment) => {
    const { problems } = tokenize(text);

    expect(problems.map((p) => p.message).join(' ')).toContain(fragment);
  });
});

describe('parseExpression', () => {
  it.each([
    ['a || b && c', '(a || (b && c))'],
    ['a && b || c', '((a && b) || c)'],
    ['!a == b', '(!a == b)'],
    ['!(a == b)', '!(a == b)'],
    ['a < 1 && b >= 2', '((a < 1) && (b >= 2))'],
    ['((a))', 'a'],
    ['null == a.b.c', '(null == a.b.c)'],
    ['true', 'true'],
    ["'text'", '"text"'],
  ])('parses %s as %s', (text, tree) => {
    expect(show(parseExpression(text).node)).toBe(tree);
  });

  it.each([
    ['', 'empty'],
    ['a ==', 'ends too early'],
    ['a == b == c', 'do not chain'],
    ['(a', 'missing ")"'],
    ['a b', 'after a complete expression'],
    ['a.', 'expected a name'],
    [')', 'unexpected ")"'],
  ])('reports %j as a syntax problem', (text, fragment) => {
    const { node, problems } = parseExpression(text);

    expect(node).toBeUndefined();
    expect(problems[0]?.message).toContain(fragment);
  });

  it('records the offsets of a problem in the expression text', () => {
    const { problems } = parseExpression('a == == b');

    expect(problems[0]).toMatchObject({ start: 5, end: 7 });
  });

  it('reports nesting deeper than 100 levels instead of overflowing the stack', () => {
    const { problems } = parseExpression(`${'('.repeat(5_000)}a${')'.repeat(5_000)}`);

    expect(problems[0]?.message).toContain('nests more than 100 levels');
  });
});

describe('checkExpression', () => {
  it.each([
    'params.n == 1',
    'params.n < params.x',
    'params.x >= 2.5',
    "params.s < 'm'",
    'params.b',
    '!params.b && params.n != 0',
    "params.mode == 'fast'",
    'steps.a.exitCode == null',
    'steps.a.exitCode > 0',
    'steps.c.outputs.any == 3 && steps.c.outputs.any',
    'null == null',
  ])('types %s', (text) => {
    const { expr, problems } = check(text);

    expect(problems).toEqual([]);
    expect(expr).toBeDefined();
  });

  it('gives comparisons and logic the boolean type and keeps reference types', () => {
    expect(check('params.n == 1').expr?.type).toEqual({ base: 'boolean', nullable: false });
    expect(check('params.mode').expr?.type).toEqual(TYPES['params.mode']);
    expect(check('1').expr?.type.base).toBe('integer');
    expect(check('1.5').expr?.type.base).toBe('number');
  });

  it.each([
    ["params.n == '1'", 'cannot compare integer with string'],
    ['params.s > 1', 'cannot compare string with integer'],
    ['params.b < true', 'two numbers or two strings'],
    ['params.n && params.b', 'needs booleans on both sides; received integer'],
    ['!params.s', 'needs a boolean; received string'],
    ["params.mode != 'slow'", '"slow" is never a value of params.mode'],
    ["'slow' == params.mode", '"slow" is never a value of params.mode'],
  ])('reports %s as a type error', (text, fragment) => {
    const { expr, problems } = check(text);

    expect(expr).toBeUndefined();
    expect(problems[0]?.code).toBe('EXPRESSION_TYPE');
    expect(problems[0]?.message).toContain(fragment);
  });

  it('passes the resolver problem through with its code', () => {
    const { problems } = check('params.zzz == 1');

    expect(problems).toEqual([{ code: 'UNKNOWN_REFERENCE', message: 'no params.zzz', start: 0, end: 0 }]);
  });

  it('reports every problem of an expression at once', () => {
    const { problems } = check("params.nope == 1 || params.n == 's'");

    expect(problems.map((p) => p.code)).toEqual(['UNKNOWN_REFERENCE', 'EXPRESSION_TYPE']);
  });
});

describe('formatType', () => {
  it('describes closed sets and nullable types', () => {
    expect(formatType({ base: 'string', nullable: false, values: ['a', 'b'] })).toBe('string (one of a, b)');
    expect(formatType({ base: 'integer', nullable: true })).toBe('integer or null');
  });
});
