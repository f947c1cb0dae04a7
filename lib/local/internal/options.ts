/**
 * Edge validation shared by the local servers' option objects.
 *
 * Each check fails with what was wrong, the value received and what is accepted, so a typo in
 * a test or a cluster file names itself.
 */

/** Thrown for an invalid option of a local server or session. */
export class LocalOptionError extends Error {
  override readonly name = 'LocalOptionError';
  /** The dotted option path, e.g. `faults.duplicate`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** Describes a value for an error message without dumping large objects. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || typeof value === 'function') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Requires a plain object and rejects keys outside `allowed`. */
export function assertOptionsObject<T>(
  value: T,
  path: string,
  allowed: readonly string[],
): asserts value is T & Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LocalOptionError(path, `${path} must be an object; received ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new LocalOptionError(
        `${path}.${key}`,
        `${path} has an unknown option ${JSON.stringify(key)}; accepted: ${allowed.join(', ')}`,
      );
    }
  }
}

/** Requires an integer in `[min, max]` when the value is set. */
export function assertInteger(
  value: unknown,
  path: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new LocalOptionError(path, `${path} must be ${range}; received ${describe(value)}`);
  }
}

/** Requires a string (non-empty unless `allowEmpty`) when the value is set. */
export function assertString(value: unknown, path: string, allowEmpty = false): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    const what = allowEmpty ? 'a string' : 'a non-empty string';
    throw new LocalOptionError(path, `${path} must be ${what}; received ${describe(value)}`);
  }
}

/** Requires a boolean when the value is set. */
export function assertBoolean(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'boolean') {
    throw new LocalOptionError(path, `${path} must be true or false; received ${describe(value)}`);
  }
}
