/**
 * Parsing at the edge: a zod schema's issues turned into problems that name the field, the value
 * received and what is accepted, in one sentence each.
 */
import type * as z from 'zod/mini';

/** One thing wrong with an input, located by a dotted path (`approvers[0]`, `body.decision`). */
export interface InputProblem {
  /** Where: `taskToken`, `approvers[1]`, or `(root)` for the input itself. */
  readonly field: string;
  /** The value received; absent when the field is missing. */
  readonly value?: unknown;
  /** What the field accepts, in words. */
  readonly accepted: string;
  /** `<field>: received <value>; accepted: <accepted>`. */
  readonly message: string;
}

/**
 * A Lambda event, request body or setting that does not have the shape its schema describes.
 * `problems` lists every one.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  /** What was parsed: `approval-request event`, `request body`, `RUNBOOK_CATALOG`. */
  readonly what: string;
  readonly problems: readonly InputProblem[];

  constructor(what: string, problems: readonly InputProblem[], options?: ErrorOptions) {
    super(`invalid ${what}: ${problems.map((p) => p.message).join('; ')}`, options);
    this.what = what;
    this.problems = problems;
  }
}

/** A path as `a.b[0].c`; `(root)` when empty. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(root)' : text;
}

/** A value for a message: JSON, cut to 80 characters. */
export function shownValue(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return `a ${expected}`;
  }
}

/** What an issue's schema accepts, in words. */
function acceptedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeName(issue.expected);
    case 'invalid_value':
      return issue.values.length === 1
        ? shownValue(issue.values[0])
        : `one of ${issue.values.map((v) => shownValue(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `a string of at least ${issue.minimum} characters`
        : issue.origin === 'array'
          ? `at least ${issue.minimum} items`
          : `a number ≥ ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `a string of at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `at most ${issue.maximum} items`
          : `a number ≤ ${issue.maximum}`;
    case 'invalid_format':
      return issue.pattern ? `a string matching ${issue.pattern}` : `a ${issue.format}`;
    case 'unrecognized_keys':
      return 'no other keys';
    case 'invalid_union':
      // A discriminated union whose discriminator matched no option lists the options.
      if (issue.errors.length === 0 && 'options' in issue && Array.isArray(issue.options)) {
        return `one of ${issue.options.map((v) => shownValue(v)).join(', ')}`;
      }
      return [...new Set(issue.errors.flatMap((branch) => branch.map((inner) => acceptedOf(inner))))].join(
        ' or ',
      );
    default:
      return issue.message;
  }
}

/** The value at `path` in `input`; `undefined` when a segment is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * The problems of a failed parse, one per issue (one per unrecognized key). With `input`, each
 * value received is read from it at the issue's path: zod reports a discriminator's issue with
 * the whole object as its input, and a refinement's with the object as parsed.
 */
export function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  root: readonly PropertyKey[] = [],
  input?: { readonly value: unknown },
): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const issue of issues) {
    const keys =
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const field = fieldPath([...root, ...path]);
      const accepted = acceptedOf(issue);
      const value =
        issue.code === 'unrecognized_keys'
          ? undefined
          : input
            ? valueAt(input.value, issue.path)
            : issue.input;
      const received =
        issue.code === 'unrecognized_keys'
          ? 'an unknown key'
          : value === undefined
            ? 'nothing'
            : shownValue(value);
      problems.push({
        field,
        ...(value === undefined ? {} : { value }),
        accepted,
        message: `${field}: received ${received}; accepted: ${accepted}`,
      });
    }
  }
  return problems;
}

/**
 * Parses `input` with `schema`; throws {@link InvalidInputError} listing every problem.
 *
 * @example
 * const event = parseInput(approvalEventSchema, rawEvent, 'approval-request event');
 */
export function parseInput<T extends z.ZodMiniType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new InvalidInputError(what, problemsOf(result.error.issues, [], { value: input }));
}
