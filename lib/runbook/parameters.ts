/**
 * A run's parameter values, checked against the runbook's declarations: typed from the command
 * line's `NAME=VALUE` text, or checked as JSON values (a parent runbook's arguments, an API's
 * input).
 *
 * The state machine does not check parameters: whoever starts a run does, before it starts. The
 * CLI and the local runner stop at the first problem ({@link ParameterError}); an API answers
 * with every problem at once ({@link parameterProblems}).
 */
import { ParameterError, type ParameterErrorCode } from './errors.ts';
import type { Parameter, ScalarValue } from './model.ts';

/** What checking values needs of a parameter declaration: no source ranges (a deployed catalog has none). */
export type ParameterDeclaration = Omit<Parameter, 'range' | 'nameRange' | 'description'>;

/**
 * What checking parameter values needs of a runbook: its name (messages name it) and
 * declarations. A `Runbook` is one; so is a deployed catalog entry (catalog.ts).
 */
export interface ParameterSpec {
  readonly name: string;
  readonly parameters: readonly ParameterDeclaration[];
}

/** One thing wrong with the parameter values given to a runbook. */
export interface ParameterProblem {
  readonly code: ParameterErrorCode;
  /** The parameter's name, as given (`''` when an argument has no name). */
  readonly parameter: string;
  /** What was wrong, the value received and what is accepted, in one sentence. */
  readonly message: string;
  /** The value received; absent for a missing parameter. */
  readonly value?: unknown;
  /** What the parameter accepts, in words ({@link acceptedValues}); absent for an unknown parameter. */
  readonly accepted?: string;
}

/** What a parameter accepts, in words: `an integer from 0 to 1440`, `one of api, web`. */
export function acceptedValues(parameter: ParameterDeclaration): string {
  const range = (): string => {
    const { minimum: min, maximum: max } = parameter;
    if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
    if (min !== undefined) return ` ≥ ${min}`;
    if (max !== undefined) return ` ≤ ${max}`;
    return '';
  };
  switch (parameter.type) {
    case 'integer':
      return `an integer${range()}`;
    case 'number':
      return `a number${range()}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${(parameter.values ?? []).join(', ')}`;
    case 'string': {
      const { minLength: min, maxLength: max } = parameter;
      const length =
        min !== undefined && max !== undefined
          ? ` of ${min} to ${max} characters`
          : min !== undefined
            ? ` of at least ${min} characters`
            : max !== undefined
              ? ` of at most ${max} characters`
              : '';
      return `a string${length}${parameter.pattern !== undefined ? ` matching /${parameter.pattern}/` : ''}`;
    }
  }
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function thrown(problem: ParameterProblem): ParameterError {
  return new ParameterError(problem.code, problem.parameter, problem.message);
}

function invalid(parameter: ParameterDeclaration, value: unknown): ParameterProblem {
  const accepted = acceptedValues(parameter);
  return {
    code: 'INVALID_PARAMETER',
    parameter: parameter.name,
    message: `parameter ${parameter.name}: ${shown(value)} is not accepted; accepted: ${accepted}`,
    value,
    accepted,
  };
}

/** The problem with a typed value under the declaration's constraints, if any. */
function constraintProblem(
  parameter: ParameterDeclaration,
  value: ScalarValue,
): ParameterProblem | undefined {
  if (typeof value === 'number') {
    if (parameter.minimum !== undefined && value < parameter.minimum) return invalid(parameter, value);
    if (parameter.maximum !== undefined && value > parameter.maximum) return invalid(parameter, value);
  }
  if (typeof value === 'string') {
    if (parameter.type === 'enum' && !(parameter.values ?? []).includes(value))
      return invalid(parameter, value);
    if (parameter.minLength !== undefined && value.length < parameter.minLength)
      return invalid(parameter, value);
    if (parameter.maxLength !== undefined && value.length > parameter.maxLength)
      return invalid(parameter, value);
    if (parameter.pattern !== undefined && !new RegExp(`^(?:${parameter.pattern})$`, 'u').test(value)) {
      return invalid(parameter, value);
    }
  }
  return undefined;
}

/** Checks a typed value against the declaration's constraints; throws {@link ParameterError}. */
function constrain(parameter: ParameterDeclaration, value: ScalarValue): ScalarValue {
  const problem = constraintProblem(parameter, value);
  if (problem) throw thrown(problem);
  return value;
}

/** Types a command-line value per the declaration; throws {@link ParameterError}. */
export function parseParameterValue(parameter: ParameterDeclaration, text: string): ScalarValue {
  switch (parameter.type) {
    case 'string':
    case 'enum':
      return constrain(parameter, text);
    case 'integer': {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed)))
        throw thrown(invalid(parameter, text));
      return constrain(parameter, Number(trimmed));
    }
    case 'number': {
      const trimmed = text.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) || !Number.isFinite(Number(trimmed))) {
        throw thrown(invalid(parameter, text));
      }
      return constrain(parameter, Number(trimmed));
    }
    case 'boolean':
      if (/^true$/i.test(text.trim())) return true;
      if (/^false$/i.test(text.trim())) return false;
      throw thrown(invalid(parameter, text));
  }
}

function unknown(spec: ParameterSpec, name: string): ParameterProblem {
  const names = spec.parameters.map((p) => p.name);
  return {
    code: 'UNKNOWN_PARAMETER',
    parameter: name,
    message: `runbook ${spec.name} has no parameter ${shown(name)}; its parameters: ${names.length > 0 ? names.join(', ') : 'none'}`,
  };
}

function declared(spec: ParameterSpec, name: string): ParameterDeclaration {
  const parameter = spec.parameters.find((p) => p.name === name);
  if (parameter) return parameter;
  throw thrown(unknown(spec, name));
}

function missingOf(spec: ParameterSpec, values: Readonly<Record<string, unknown>>): ParameterDeclaration[] {
  return spec.parameters.filter((p) => p.required && !Object.hasOwn(values, p.name));
}

/** Throws one {@link ParameterError} naming every required parameter that `values` lacks. */
function requireAll(spec: ParameterSpec, values: Readonly<Record<string, unknown>>): void {
  const missing = missingOf(spec, values);
  const [first] = missing;
  if (first) {
    throw new ParameterError(
      'MISSING_PARAMETER',
      first.name,
      `runbook ${spec.name} needs ${missing
        .map((p) => `${p.name} (${acceptedValues(p)})`)
        .join(', ')}; pass ${missing.map((p) => `--param ${p.name}=…`).join(' ')}`,
    );
  }
}

/**
 * Parses `NAME=VALUE` arguments into typed parameter values and checks that every required
 * parameter is given. Throws {@link ParameterError} naming the parameter, the value and what is
 * accepted.
 */
export function parseParameterArguments(
  spec: ParameterSpec,
  args: readonly string[],
): Record<string, ScalarValue> {
  const values: Record<string, ScalarValue> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new ParameterError(
        'INVALID_PARAMETER',
        eq === 0 ? '' : arg,
        `a parameter is written NAME=VALUE; received ${shown(arg)}`,
      );
    }
    const name = arg.slice(0, eq);
    const parameter = declared(spec, name);
    if (Object.hasOwn(values, name)) {
      throw new ParameterError('INVALID_PARAMETER', name, `parameter ${name} is given twice`);
    }
    values[name] = parseParameterValue(parameter, arg.slice(eq + 1));
  }
  requireAll(spec, values);
  return values;
}

/** The problem with one JSON value under its declaration: its type, then its constraints. */
function valueProblem(parameter: ParameterDeclaration, value: unknown): ParameterProblem | undefined {
  const ok =
    parameter.type === 'integer'
      ? typeof value === 'number' && Number.isSafeInteger(value)
      : parameter.type === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : parameter.type === 'boolean'
          ? typeof value === 'boolean'
          : typeof value === 'string';
  if (!ok) return invalid(parameter, value);
  return constraintProblem(parameter, value as ScalarValue);
}

/**
 * Every problem with JSON parameter values (an API's input, a parent runbook's arguments), at
 * once: unknown parameters and rejected values in the order given, then one
 * `MISSING_PARAMETER` per required parameter not given. Empty when {@link checkParameters}
 * would accept the values.
 *
 * @example
 * const problems = parameterProblems(runbook, body.params ?? {});
 * if (problems.length > 0) return { statusCode: 400, body: JSON.stringify({ problems }) };
 */
export function parameterProblems(
  spec: ParameterSpec,
  values: Readonly<Record<string, unknown>>,
): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  for (const [name, value] of Object.entries(values)) {
    const parameter = spec.parameters.find((p) => p.name === name);
    const problem = parameter ? valueProblem(parameter, value) : unknown(spec, name);
    if (problem) problems.push(problem);
  }
  for (const parameter of missingOf(spec, values)) {
    const accepted = acceptedValues(parameter);
    problems.push({
      code: 'MISSING_PARAMETER',
      parameter: parameter.name,
      message: `runbook ${spec.name} needs parameter ${parameter.name} (${accepted})`,
      accepted,
    });
  }
  return problems;
}

/**
 * Checks JSON parameter values (a parent runbook's arguments, an API's input) against the
 * declarations and that every required one is there; returns them. Throws {@link ParameterError}
 * for the first problem (all the missing parameters count as one); {@link parameterProblems}
 * lists them all.
 */
export function checkParameters(
  spec: ParameterSpec,
  values: Readonly<Record<string, unknown>>,
): Record<string, ScalarValue> {
  const out: Record<string, ScalarValue> = {};
  for (const [name, value] of Object.entries(values)) {
    const parameter = declared(spec, name);
    const problem = valueProblem(parameter, value);
    if (problem) throw thrown(problem);
    out[name] = value as ScalarValue;
  }
  requireAll(spec, out);
  return out;
}
