/**
 * The runbook's `parameters`: their declarations and constraints, and the check of a literal
 * value against one (defaults, trigger and runbook-step arguments, capture defaults).
 */
import type { Parameter, ParameterType, ScalarValue, SourceRange } from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { describeBounds, describeNode, list, suggestion, truncate } from './describe.ts';
import type { Validation } from './shapes.ts';

export function readParameters(ctx: Validation, node: YamlNode | undefined): Parameter[] {
  if (!node) return [];
  const map = ctx.expectMap(node, 'parameters', ' of parameter names to { type, … }');
  if (!map) return [];
  const out: Parameter[] = [];
  for (const entry of map.entries) {
    const name = ctx.identifierText(entry.key, `the parameter name "${entry.key}"`, entry.keyRange);
    if (name === undefined) continue;
    ctx.paramNames.add(name);
    const parameter = readParameter(ctx, name, entry.value, entry.keyRange);
    if (parameter) {
      ctx.params.set(name, parameter);
      out.push(parameter);
    }
  }
  return out;
}

export function readParameter(
  ctx: Validation,
  name: string,
  node: YamlNode,
  nameRange: SourceRange,
): Parameter | undefined {
  const what = `parameter "${name}"`;
  const map = ctx.expectMap(node, what, ' such as { type: string }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'parameter', what);
  const typeNode = ctx.entry(map, 'type');
  const types: readonly ParameterType[] = ['string', 'integer', 'number', 'boolean', 'enum'];
  let type: ParameterType | undefined;
  if (typeNode) {
    const text = ctx.string(typeNode, `the type of ${what}`);
    if (text !== undefined) {
      if ((types as readonly string[]).includes(text)) type = text as ParameterType;
      else {
        ctx.report(
          'INVALID_VALUE',
          typeNode.range,
          `the type of ${what} is ${JSON.stringify(text)}${suggestion(text, types)}; accepted: ${list(types)}`,
        );
      }
    }
  }
  const notFor = (key: string, allowed: readonly ParameterType[]): boolean => {
    if (!ctx.entry(map, key) || type === undefined || allowed.includes(type)) return false;
    ctx.report(
      'KEY_NOT_APPLICABLE',
      ctx.keyRange(map, key),
      `"${key}" applies to ${list(allowed)} parameters; ${what} is ${type}`,
    );
    return true;
  };
  let ok = type !== undefined;
  const descriptionNode = ctx.entry(map, 'description');
  const description = descriptionNode ? ctx.string(descriptionNode, `the description of ${what}`) : undefined;

  let values: string[] | undefined;
  if (!notFor('values', ['enum']) && type === 'enum') {
    const valuesNode = ctx.entry(map, 'values');
    if (!valuesNode) {
      ctx.report(
        'MISSING_KEY',
        ctx.keyRange(map, 'type'),
        `enum ${what} is missing "values", the accepted strings`,
      );
      ok = false;
    } else values = enumValues(ctx, valuesNode, what);
    if (!values) ok = false;
  }
  const numberKey = (key: 'minimum' | 'maximum'): number | undefined => {
    if (notFor(key, ['integer', 'number'])) {
      ok = false;
      return undefined;
    }
    const n = ctx.entry(map, key);
    if (!n) return undefined;
    if (n.kind !== 'scalar' || typeof n.value !== 'number' || !Number.isFinite(n.value)) {
      ctx.report('WRONG_TYPE', n.range, `"${key}" of ${what} must be a number; received ${describeNode(n)}`);
      ok = false;
      return undefined;
    }
    if (type === 'integer' && !Number.isSafeInteger(n.value)) {
      ctx.report(
        'WRONG_TYPE',
        n.range,
        `"${key}" of integer ${what} must be an integer; received ${n.value}`,
      );
      ok = false;
      return undefined;
    }
    return n.value;
  };
  const lengthKey = (key: 'minLength' | 'maxLength'): number | undefined => {
    if (notFor(key, ['string'])) {
      ok = false;
      return undefined;
    }
    const n = ctx.entry(map, key);
    if (!n) return undefined;
    const value = ctx.integer(n, `"${key}" of ${what}`, 0, Number.MAX_SAFE_INTEGER);
    if (value === undefined) ok = false;
    return value;
  };
  const minimum = numberKey('minimum');
  const maximum = numberKey('maximum');
  const minLength = lengthKey('minLength');
  const maxLength = lengthKey('maxLength');
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    ctx.report(
      'INVALID_VALUE',
      ctx.keyRange(map, 'maximum'),
      `${what} has maximum ${maximum} below minimum ${minimum}`,
    );
    ok = false;
  }
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
    ctx.report(
      'INVALID_VALUE',
      ctx.keyRange(map, 'maxLength'),
      `${what} has maxLength ${maxLength} below minLength ${minLength}`,
    );
    ok = false;
  }
  let pattern: string | undefined;
  if (notFor('pattern', ['string'])) ok = false;
  else {
    const patternNode = ctx.entry(map, 'pattern');
    if (patternNode) {
      pattern = ctx.string(patternNode, `the pattern of ${what}`);
      if (pattern !== undefined) {
        try {
          new RegExp(`^(?:${pattern})$`, 'u');
        } catch (error) {
          ctx.report(
            'INVALID_REGEX',
            patternNode.range,
            `the pattern of ${what} is not a valid JavaScript regular expression: ${(error as Error).message}`,
          );
          pattern = undefined;
          ok = false;
        }
      } else ok = false;
    }
  }
  if (!ok || type === undefined) return undefined;
  const parameter: Parameter = {
    name,
    type,
    ...(description !== undefined ? { description } : {}),
    required: true,
    ...(values ? { values } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(maximum !== undefined ? { maximum } : {}),
    ...(minLength !== undefined ? { minLength } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(pattern !== undefined ? { pattern } : {}),
    range: map.range,
    nameRange,
  };
  const defaultNode = ctx.entry(map, 'default');
  if (!defaultNode) return parameter;
  const value = parameterValue(ctx, parameter, defaultNode, `the default of ${what}`, 'DEFAULT_OUT_OF_RANGE');
  if (value === undefined) return undefined;
  return { ...parameter, default: value, required: false };
}

export function enumValues(ctx: Validation, node: YamlNode, what: string): string[] | undefined {
  if (node.kind !== 'seq' || node.items.length === 0) {
    ctx.report(
      'WRONG_TYPE',
      node.range,
      `"values" of ${what} must be a non-empty list of strings; received ${describeNode(node)}`,
    );
    return undefined;
  }
  const values: string[] = [];
  let ok = true;
  for (const item of node.items) {
    const value = ctx.string(item, `a value of ${what}`);
    if (value === undefined) ok = false;
    else if (values.includes(value)) {
      ctx.report(
        'INVALID_VALUE',
        item.range,
        `${JSON.stringify(value)} appears twice in the values of ${what}`,
      );
      ok = false;
    } else values.push(value);
  }
  return ok ? values : undefined;
}

/** Checks a literal against a parameter's type and constraints. */
export function parameterValue(
  ctx: Validation,
  parameter: Parameter,
  node: YamlNode,
  what: string,
  rangeCode: 'DEFAULT_OUT_OF_RANGE' | 'VALUE_OUT_OF_RANGE',
): ScalarValue | undefined {
  const value = node.kind === 'scalar' ? node.value : undefined;
  const expected =
    parameter.type === 'enum'
      ? `one of ${list(parameter.values ?? [])}`
      : `${parameter.type === 'integer' ? 'an' : 'a'} ${parameter.type}`;
  const wrong = (): undefined => {
    const hint =
      parameter.type === 'string' && node.kind === 'scalar' && node.value !== null ? ' (quote it)' : '';
    ctx.report('WRONG_TYPE', node.range, `${what} is ${describeNode(node)}; accepted: ${expected}${hint}`);
    return undefined;
  };
  switch (parameter.type) {
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') return wrong();
      if (parameter.type === 'enum' && !(parameter.values ?? []).includes(value)) {
        ctx.report(
          rangeCode === 'DEFAULT_OUT_OF_RANGE' ? rangeCode : 'INVALID_VALUE',
          node.range,
          `${what} is ${JSON.stringify(value)}${suggestion(value, parameter.values ?? [])}; accepted: ${list(parameter.values ?? [])}`,
        );
        return undefined;
      }
      const tooShort = parameter.minLength !== undefined && value.length < parameter.minLength;
      const tooLong = parameter.maxLength !== undefined && value.length > parameter.maxLength;
      if (tooShort || tooLong) {
        ctx.report(
          rangeCode,
          node.range,
          `${what} has ${value.length} characters; accepted: ${describeBounds(parameter.minLength, parameter.maxLength)} characters`,
        );
        return undefined;
      }
      if (parameter.pattern !== undefined && !new RegExp(`^(?:${parameter.pattern})$`, 'u').test(value)) {
        ctx.report(
          rangeCode,
          node.range,
          `${what} is ${JSON.stringify(truncate(value))}, which does not match the pattern ${parameter.pattern}`,
        );
        return undefined;
      }
      return value;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrong();
      if (parameter.type === 'integer' && !Number.isSafeInteger(value)) return wrong();
      if (
        (parameter.minimum !== undefined && value < parameter.minimum) ||
        (parameter.maximum !== undefined && value > parameter.maximum)
      ) {
        ctx.report(
          rangeCode,
          node.range,
          `${what} is ${value}; accepted: ${describeBounds(parameter.minimum, parameter.maximum)}`,
        );
        return undefined;
      }
      return value;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : wrong();
  }
}

// -------------------------------------------------------------------------------------------
// Triggers and defaults
// -------------------------------------------------------------------------------------------
