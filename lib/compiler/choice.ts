/**
 * `when` conditions to Choice rules.
 *
 * - `ref op literal` → `String*`, `Numeric*` or `BooleanEquals` on the literal's type
 *   (`literal op ref` is flipped first); `ref op ref` → the `…Path` variant.
 * - `== null` / `!= null` → `IsNull: true` / its `Not`.
 * - `!=` → `Not` of the equality; `&&` / `||` / `!` → `And` / `Or` / `Not` (nested ones flattened).
 * - A bare reference → `BooleanEquals: true`.
 * - When a reference may hold another type (nullable, unknown), the comparison is guarded by
 *   `IsNumeric` / `IsString` / `IsBoolean`, so a `null` exit code makes `== 0` false and `!= 0`
 *   true, on AWS and locally alike.
 * - Literal-only comparisons fold at compile time; a condition may fold to `true` or `false`.
 */
import type { BinaryExpr, ComparisonOperator, Expr, Reference, ValueType } from '../runbook/model.ts';
import type { Json, JsonObject } from './asl.ts';
import { CompileError } from './errors.ts';
import { referencePath } from './layout.ts';

/** A Choice rule without `Next`. */
export type ChoiceRule = JsonObject;

type Family = 'String' | 'Numeric' | 'Boolean';
type Literal = string | number | boolean | null;

const OPERATOR_SUFFIX: Record<Exclude<ComparisonOperator, '!='>, string> = {
  '==': 'Equals',
  '<': 'LessThan',
  '<=': 'LessThanEquals',
  '>': 'GreaterThan',
  '>=': 'GreaterThanEquals',
};

const FLIPPED: Record<ComparisonOperator, ComparisonOperator> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

const TYPE_TEST: Record<Family, string> = { String: 'IsString', Numeric: 'IsNumeric', Boolean: 'IsBoolean' };

/**
 * The Choice rule of a boolean expression, or `true` / `false` when it is constant.
 *
 * @example
 * ```ts
 * lowerCondition(step.when.expr);
 * // { And: [{ Variable: '$.steps.usage.outputs.percent', IsNumeric: true },
 * //         { Variable: '$.steps.usage.outputs.percent', NumericGreaterThanEquals: 80 }] }
 * ```
 */
export function lowerCondition(expr: Expr): ChoiceRule | boolean {
  switch (expr.kind) {
    case 'literal':
      if (typeof expr.value === 'boolean') return expr.value;
      throw invalid(`a condition is the literal ${JSON.stringify(expr.value)}, not a boolean`);
    case 'reference':
      return compareToLiteral(expr.reference, '==', true);
    case 'not':
      return not(lowerCondition(expr.operand));
    case 'binary':
      if (expr.operator === '&&') return and([lowerCondition(expr.left), lowerCondition(expr.right)]);
      if (expr.operator === '||') return or([lowerCondition(expr.left), lowerCondition(expr.right)]);
      return comparison(expr as BinaryExpr & { operator: ComparisonOperator });
  }
}

function comparison(expr: BinaryExpr & { operator: ComparisonOperator }): ChoiceRule | boolean {
  const { left, right, operator } = expr;
  if (left.kind === 'literal' && right.kind === 'literal') return fold(left.value, operator, right.value);
  if (left.kind === 'reference' && right.kind === 'literal') {
    return compareToLiteral(left.reference, operator, right.value);
  }
  if (left.kind === 'literal' && right.kind === 'reference') {
    return compareToLiteral(right.reference, FLIPPED[operator], left.value);
  }
  if (left.kind === 'reference' && right.kind === 'reference') {
    return compareReferences(left.reference, operator, right.reference);
  }
  throw invalid(
    `a comparison operand is a ${left.kind === 'literal' || left.kind === 'reference' ? right.kind : left.kind} expression; operands are references or literals`,
  );
}

function fold(left: Literal, operator: ComparisonOperator, right: Literal): boolean {
  switch (operator) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
  if (typeof left !== typeof right || left === null || right === null || typeof left === 'boolean') {
    throw invalid(
      `${JSON.stringify(left)} ${operator} ${JSON.stringify(right)} compares values without an order`,
    );
  }
  const l = left as string | number;
  const r = right as string | number;
  switch (operator) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
}

function familyOfLiteral(value: string | number | boolean): Family {
  if (typeof value === 'string') return 'String';
  if (typeof value === 'number') return 'Numeric';
  return 'Boolean';
}

function familyOfType(type: ValueType): Family | undefined {
  switch (type.base) {
    case 'string':
      return 'String';
    case 'integer':
    case 'number':
      return 'Numeric';
    case 'boolean':
      return 'Boolean';
    default:
      return undefined;
  }
}

/** Whether the reference may hold something other than a `family` value at run time. */
function needsGuard(type: ValueType, family: Family): boolean {
  return type.nullable || familyOfType(type) !== family;
}

function compareToLiteral(
  reference: Reference,
  operator: ComparisonOperator,
  value: Literal,
): ChoiceRule | boolean {
  const variable = referencePath(reference);
  if (value === null) {
    if (operator === '==') return { Variable: variable, IsNull: true };
    // Not `IsNull: false`: aws-local-stepfunctions evaluates that as false for every value.
    if (operator === '!=') return not({ Variable: variable, IsNull: true });
    throw invalid(`${reference.path} ${operator} null orders a value against null`);
  }
  const family = familyOfLiteral(value);
  if (family === 'Boolean' && operator !== '==' && operator !== '!=') {
    throw invalid(`${reference.path} ${operator} ${value} orders booleans`);
  }
  const test: ChoiceRule = {
    Variable: variable,
    [`${family}${OPERATOR_SUFFIX[operator === '!=' ? '==' : operator]}`]: value,
  };
  const guarded = needsGuard(reference.type, family)
    ? and([{ Variable: variable, [TYPE_TEST[family]]: true }, test])
    : test;
  return operator === '!=' ? not(guarded) : guarded;
}

function compareReferences(
  left: Reference,
  operator: ComparisonOperator,
  right: Reference,
): ChoiceRule | boolean {
  const family = familyOfType(left.type) ?? familyOfType(right.type);
  const families: Family[] = family ? [family] : ['String', 'Numeric', 'Boolean'];
  const equality = operator === '==' || operator === '!=';
  const suffix = OPERATOR_SUFFIX[operator === '!=' ? '==' : operator];
  const l = referencePath(left);
  const r = referencePath(right);
  const typed = families
    .filter((f) => equality || f !== 'Boolean')
    .map((f) => {
      const test: ChoiceRule = { Variable: l, [`${f}${suffix}Path`]: r };
      const guards: ChoiceRule[] = [];
      if (needsGuard(left.type, f)) guards.push({ Variable: l, [TYPE_TEST[f]]: true });
      if (needsGuard(right.type, f)) guards.push({ Variable: r, [TYPE_TEST[f]]: true });
      return and([...guards, test]);
    });
  const alternatives = [...typed];
  // Two values that may both be null are equal when both are.
  if (
    equality &&
    (left.type.nullable || left.type.base === 'unknown') &&
    (right.type.nullable || right.type.base === 'unknown')
  ) {
    alternatives.unshift(
      and([
        { Variable: l, IsNull: true },
        { Variable: r, IsNull: true },
      ]),
    );
  }
  const rule = or(alternatives);
  return operator === '!=' ? not(rule) : rule;
}

function not(rule: ChoiceRule | boolean): ChoiceRule | boolean {
  if (typeof rule === 'boolean') return !rule;
  const inner = rule.Not;
  if (inner !== undefined && Object.keys(rule).length === 1) return inner as ChoiceRule;
  return { Not: rule };
}

function and(rules: readonly (ChoiceRule | boolean)[]): ChoiceRule | boolean {
  return combine('And', rules, false);
}

function or(rules: readonly (ChoiceRule | boolean)[]): ChoiceRule | boolean {
  return combine('Or', rules, true);
}

/** `And`/`Or` with constants folded and nested operators of the same kind flattened. */
function combine(
  key: 'And' | 'Or',
  rules: readonly (ChoiceRule | boolean)[],
  absorbing: boolean,
): ChoiceRule | boolean {
  const flat: ChoiceRule[] = [];
  for (const rule of rules) {
    if (rule === absorbing) return absorbing;
    if (typeof rule === 'boolean') continue;
    const nested = rule[key];
    if (Array.isArray(nested) && Object.keys(rule).length === 1) flat.push(...(nested as ChoiceRule[]));
    else flat.push(rule);
  }
  if (flat.length === 0) return !absorbing;
  if (flat.length === 1) return flat[0] as ChoiceRule;
  return { [key]: flat as Json[] };
}

function invalid(message: string): CompileError {
  return new CompileError('INVALID_MODEL', `${message} (the validator should have rejected this runbook)`);
}
