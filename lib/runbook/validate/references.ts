/**
 * References: `${{ … }}` templates, arguments and `when` conditions, parsed and type-checked
 * against the scope (scope.ts).
 */
import type { DiagnosticCode } from '../diagnostics.ts';
import {
  type CheckProblem,
  checkExpression,
  findExpressions,
  formatType,
  parseExpression,
  type SyntaxNode,
  TYPES,
} from '../expressions.ts';
import type {
  ArgumentValue,
  Condition,
  Reference,
  SourceRange,
  Template,
  TemplateReference,
  TemplateText,
} from '../model.ts';
import { scalarOffsets, scalarSpanRange, type YamlNode, type YamlScalar } from '../parse.ts';
import { describeNode, truncate } from './describe.ts';
import type { Scope } from './scope.ts';
import { resolveReference } from './scope.ts';
import type { Validation } from './shapes.ts';

export function readArgument(
  ctx: Validation,
  node: YamlNode,
  what: string,
  scope: Scope,
): ArgumentValue | undefined {
  if (node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
    if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
      ctx.report('WRONG_TYPE', node.range, `${what} is ${describeNode(node)}; accepted: a finite number`);
      return undefined;
    }
    return { kind: 'literal', value: node.value, range: node.range };
  }
  if (node.kind === 'scalar' && typeof node.value === 'string' && !node.value.includes('${{')) {
    return { kind: 'literal', value: node.value, range: node.range };
  }
  const template = readTemplate(ctx, node, what, scope);
  return template ? { kind: 'template', template } : undefined;
}

/** A string that may interpolate references. */
export function readTemplate(
  ctx: Validation,
  node: YamlNode,
  what: string,
  scope: Scope,
  options: { nonEmpty?: boolean } = {},
): Template | undefined {
  const value = ctx.string(node, what, options);
  if (value === undefined || node.kind !== 'scalar') return undefined;
  const spans = findExpressions(value);
  if (spans.length === 0)
    return { parts: [{ kind: 'text', text: value }], type: TYPES.string, range: node.range };
  const offsets = scalarOffsets(node);
  const parts: (TemplateText | TemplateReference)[] = [];
  let last = 0;
  let ok = true;
  for (const span of spans) {
    if (span.start > last) parts.push({ kind: 'text', text: value.slice(last, span.start) });
    last = span.end;
    const reference = referenceIn(ctx, node, offsets, span, scope, what);
    if (reference) parts.push({ kind: 'reference', reference });
    else ok = false;
  }
  if (last < value.length) parts.push({ kind: 'text', text: value.slice(last) });
  if (!ok) return undefined;
  const [only] = parts;
  const type = parts.length === 1 && only?.kind === 'reference' ? only.reference.type : TYPES.string;
  return { parts, type, range: node.range };
}

/** Parses one `${{ … }}` of a scalar that must be a single reference. */
export function referenceIn(
  ctx: Validation,
  node: YamlScalar,
  offsets: readonly number[],
  span: ReturnType<typeof findExpressions>[number],
  scope: Scope,
  what: string,
): Reference | undefined {
  const toRange = (start: number, end: number): SourceRange =>
    scalarSpanRange(ctx.positions, node, offsets, span.innerStart + start, span.innerStart + end);
  if (!span.closed) {
    ctx.report(
      'EXPRESSION_SYNTAX',
      scalarSpanRange(ctx.positions, node, offsets, span.start, span.start + 3),
      `an expression in ${what} starts with "\${{" but no "}}" closes it`,
    );
    return undefined;
  }
  const parsed = parseExpression(span.inner);
  if (!parsed.node) {
    for (const p of parsed.problems)
      ctx.report('EXPRESSION_SYNTAX', toRange(p.start, p.end), `in ${what}: ${p.message}`);
    return undefined;
  }
  if (parsed.node.kind !== 'path') {
    ctx.report(
      'NOT_A_REFERENCE',
      toRange(parsed.node.start, parsed.node.end),
      `${what} interpolates ${JSON.stringify(truncate(span.inner.trim()))}; only a single reference such as params.name, steps.<id>.outputs.<name> or trigger.alarm.name can be interpolated (operators belong in "when")`,
    );
    return undefined;
  }
  const checked = checkInScope(ctx, parsed.node, scope, toRange, what);
  if (checked.expr?.kind !== 'reference') return undefined;
  return checked.expr.reference;
}

/** Type-checks a parsed expression against the scope, reporting its problems. */
function checkInScope(
  ctx: Validation,
  node: SyntaxNode,
  scope: Scope,
  toRange: (start: number, end: number) => SourceRange,
  what: string,
) {
  const checked = checkExpression(
    node,
    (segments) => resolveReference(ctx, segments, scope, toRange),
    toRange,
  );
  reportProblems(ctx, checked.problems, toRange, what);
  return checked;
}

export function reportProblems(
  ctx: Validation,
  problems: readonly CheckProblem[],
  toRange: (s: number, e: number) => SourceRange,
  what: string,
): void {
  for (const p of problems)
    ctx.report(p.code as DiagnosticCode, toRange(p.start, p.end), `in ${what}: ${p.message}`);
}

/** A `when`: a boolean scalar, one `${{ … }}`, or a bare expression. */
export function readCondition(
  ctx: Validation,
  node: YamlNode,
  scope: Scope,
  where: string,
): Condition | undefined {
  const what = `${where}: when`;
  if (node.kind === 'scalar' && typeof node.value === 'boolean') {
    return {
      expr: { kind: 'literal', value: node.value, type: TYPES.boolean, range: node.range },
      source: String(node.value),
      range: node.range,
    };
  }
  if (node.kind !== 'scalar' || typeof node.value !== 'string') {
    ctx.report(
      'WHEN_NOT_BOOLEAN',
      node.range,
      `${what} is ${describeNode(node)}; accepted: a boolean expression such as "\${{ params.force }}"`,
    );
    return undefined;
  }
  const value = node.value;
  const offsets = scalarOffsets(node);
  const spans = findExpressions(value);
  let innerStart = 0;
  let inner = value;
  if (spans.length > 0) {
    const [span] = spans;
    const before = value.slice(0, span?.start ?? 0);
    const after = value.slice(span?.end ?? 0);
    if (!span || spans.length > 1 || before.trim() !== '' || after.trim() !== '') {
      ctx.report(
        'WHEN_NOT_BOOLEAN',
        node.range,
        `${what} mixes text and expressions, which makes a string; write the whole condition as one expression: "\${{ a && b }}"`,
      );
      return undefined;
    }
    if (!span.closed) {
      ctx.report(
        'EXPRESSION_SYNTAX',
        scalarSpanRange(ctx.positions, node, offsets, span.start, span.start + 3),
        `${what} starts with "\${{" but no "}}" closes it`,
      );
      return undefined;
    }
    innerStart = span.innerStart;
    inner = span.inner;
  }
  const toRange = (start: number, end: number): SourceRange =>
    scalarSpanRange(ctx.positions, node, offsets, innerStart + start, innerStart + end);
  const parsed = parseExpression(inner);
  if (!parsed.node) {
    for (const p of parsed.problems)
      ctx.report('EXPRESSION_SYNTAX', toRange(p.start, p.end), `in ${what}: ${p.message}`);
    return undefined;
  }
  const checked = checkInScope(ctx, parsed.node, scope, toRange, what);
  if (!checked.expr) return undefined;
  if (checked.expr.type.base !== 'boolean' && checked.expr.type.base !== 'unknown') {
    ctx.report(
      'WHEN_NOT_BOOLEAN',
      toRange(parsed.node.start, parsed.node.end),
      `${what} is ${formatType(checked.expr.type)}, not boolean; compare it, for example "${inner.trim()} == …"`,
    );
    return undefined;
  }
  return { expr: checked.expr, source: inner.trim(), range: node.range };
}
