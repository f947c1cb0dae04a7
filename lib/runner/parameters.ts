/**
 * A run's parameter values, checked against the runbook's declarations: typed from the command
 * line's `NAME=VALUE` text, or checked as JSON values (a parent runbook's arguments).
 *
 * The state machine does not check parameters (events.ts `RunbookInput`): whoever starts a run
 * does, before it starts.
 */
import type { JsonScalar } from '../handlers/events.ts';
import type { Parameter, Runbook } from '../runbook/model.ts';
import { ParameterError } from './errors.ts';

/** What a parameter accepts, in words: `an integer from 0 to 1440`, `one of api, web`. */
export function acceptedValues(parameter: Parameter): string {
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

function invalid(parameter: Parameter, value: unknown): ParameterError {
  return new ParameterError(
    'INVALID_PARAMETER',
    parameter.name,
    `parameter ${parameter.name}: ${shown(value)} is not accepted; accepted: ${acceptedValues(parameter)}`,
  );
}

/** Checks a typed value against the declaration's constraints; throws {@link ParameterError}. */
function constrain(parameter: Parameter, value: JsonScalar): JsonScalar {
  if (typeof value === 'number') {
    if (parameter.minimum !== undefined && value < parameter.minimum) throw invalid(parameter, value);
    if (parameter.maximum !== undefined && value > parameter.maximum) throw invalid(parameter, value);
  }
  if (typeof value === 'string') {
    if (parameter.type === 'enum' && !(parameter.values ?? []).includes(value))
      throw invalid(parameter, value);
    if (parameter.minLength !== undefined && value.length < parameter.minLength)
      throw invalid(parameter, value);
    if (parameter.maxLength !== undefined && value.length > parameter.maxLength)
      throw invalid(parameter, value);
    if (parameter.pattern !== undefined && !new RegExp(`^(?:${parameter.pattern})$`, 'u').test(value)) {
      throw invalid(parameter, value);
    }
  }
  return value;
}

/** Types a command-line value per the declaration; throws {@link ParameterError}. */
export function parseParameterValue(parameter: Parameter, text: string): JsonScalar {
  switch (parameter.type) {
    case 'string':
    case 'enum':
      return constrain(parameter, text);
    case 'integer': {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed)))
        throw invalid(parameter, text);
      return constrain(parameter, Number(trimmed));
    }
    case 'number': {
      const trimmed = text.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) || !Number.isFinite(Number(trimmed))) {
        throw invalid(parameter, text);
      }
      return constrain(parameter, Number(trimmed));
    }
    case 'boolean':
      if (/^true$/i.test(text.trim())) return true;
      if (/^false$/i.test(text.trim())) return false;
      throw invalid(parameter, text);
  }
}

function declared(runbook: Runbook, name: string): Parameter {
  const parameter = runbook.parameters.find((p) => p.name === name);
  if (parameter) return parameter;
  const names = runbook.parameters.map((p) => p.name);
  throw new ParameterError(
    'UNKNOWN_PARAMETER',
    name,
    `runbook ${runbook.name} has no parameter ${shown(name)}; its parameters: ${names.length > 0 ? names.join(', ') : 'none'}`,
  );
}

function requireAll(runbook: Runbook, values: Readonly<Record<string, JsonScalar>>): void {
  const missing = runbook.parameters.filter((p) => p.required && !(p.name in values));
  const [first] = missing;
  if (first) {
    throw new ParameterError(
      'MISSING_PARAMETER',
      first.name,
      `runbook ${runbook.name} needs ${missing
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
  runbook: Runbook,
  args: readonly string[],
): Record<string, JsonScalar> {
  const values: Record<string, JsonScalar> = {};
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
    const parameter = declared(runbook, name);
    if (name in values) {
      throw new ParameterError('INVALID_PARAMETER', name, `parameter ${name} is given twice`);
    }
    values[name] = parseParameterValue(parameter, arg.slice(eq + 1));
  }
  requireAll(runbook, values);
  return values;
}

/**
 * Checks JSON parameter values (a parent runbook's arguments, an API's input) against the
 * declarations and that every required one is there; returns them. Throws {@link ParameterError}.
 */
export function checkParameters(
  runbook: Runbook,
  values: Readonly<Record<string, unknown>>,
): Record<string, JsonScalar> {
  const out: Record<string, JsonScalar> = {};
  for (const [name, value] of Object.entries(values)) {
    const parameter = declared(runbook, name);
    const ok =
      parameter.type === 'integer'
        ? typeof value === 'number' && Number.isSafeInteger(value)
        : parameter.type === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : parameter.type === 'boolean'
            ? typeof value === 'boolean'
            : typeof value === 'string';
    if (!ok) throw invalid(parameter, value);
    out[name] = constrain(parameter, value as JsonScalar);
  }
  requireAll(runbook, out);
  return out;
}
