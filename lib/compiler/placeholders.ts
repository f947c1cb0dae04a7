/**
 * Deploy-time placeholders: `${Name}` tokens in a compiled definition that CDK's
 * `definitionSubstitutions` (CloudFormation `DefinitionSubstitutions`) replace with real ARNs
 * and names, and that the local runner replaces with its own values or overrides by state name.
 *
 * A placeholder always fills a whole JSON string (a `Resource`, a `FunctionName`, a bucket
 * name). Anything else that merely looks like one (a shell script's `${OutputBucket}`) is
 * written as `\u0024{…}` by the emitter, so no substitution can change user text.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html#cfn-stepfunctions-statemachine-definitionsubstitutions
 */

/** The fixed placeholders and what each must be replaced with. */
export const PLACEHOLDERS = {
  /** ARN of the check-input Lambda: the first state of every run types and checks its input. */
  CheckInputFnArn:
    'ARN of the check-input function (Runbook.CheckInput: types and checks the execution input)',
  /** ARN of the exec Lambda: single-target steps and fan-out batches. */
  ExecFnArn: 'ARN of the exec function (single-target exec steps and fan-out batches)',
  /** ARN of the targets Lambda: resolves a fan-out's tasks and cuts them into batches. */
  TargetsFnArn: 'ARN of the targets function (fan-out target resolution and batching)',
  /** ARN of the fan-out summary Lambda: applies the error budget. */
  FanOutSummaryFnArn: 'ARN of the fan-out summary function (error budget)',
  /** ARN of the approval Lambda, invoked with a task token. */
  ApprovalFnArn: 'ARN of the approval function (receives the task token)',
  /** Name of the output bucket: full command outputs, Distributed Map items and results. */
  OutputBucket: 'name of the output bucket (full outputs, Distributed Map items and results)',
} as const;

/** A fixed placeholder name. */
export type FixedPlaceholder = keyof typeof PLACEHOLDERS;

/** A placeholder name: a fixed one or a child runbook's state machine ARN. */
export type PlaceholderName = FixedPlaceholder | `Runbook_${string}_Arn`;

const FIXED = new Set<string>(Object.keys(PLACEHOLDERS));
const CHILD_RE = /^Runbook_[a-z][a-z0-9]*(?:_[a-z0-9]+)*_Arn$/;
const TOKEN_RE = /^\$\{([A-Za-z][A-Za-z0-9_]*)\}$/;

/**
 * The placeholder for the state machine ARN of the runbook called `name`:
 * `purge-temp-files` → `Runbook_purge_temp_files_Arn`.
 *
 * Runbook names are kebab-case, so replacing `-` by `_` is one-to-one, and the result is a
 * plain identifier, as CloudFormation substitution keys should be.
 */
export function runbookArnPlaceholder(name: string): PlaceholderName {
  return `Runbook_${name.replaceAll('-', '_')}_Arn`;
}

/** Whether `name` is a placeholder name this compiler can emit. */
export function isPlaceholderName(name: string): name is PlaceholderName {
  return FIXED.has(name) || CHILD_RE.test(name);
}

/** `${name}`. */
export function placeholderToken(name: PlaceholderName): string {
  return `\${${name}}`;
}

/** The placeholder a whole string stands for, or `undefined` when it is not exactly one. */
export function placeholderOf(value: string): PlaceholderName | undefined {
  const match = TOKEN_RE.exec(value);
  const name = match?.[1];
  return name !== undefined && isPlaceholderName(name) ? name : undefined;
}

/**
 * The object keys under which a compiled definition puts a placeholder. Only a whole string
 * under one of these keys is a placeholder; the same text anywhere else is user data.
 */
export const PLACEHOLDER_KEYS: ReadonlySet<string> = new Set([
  'Resource',
  'FunctionName',
  'StateMachineArn',
  'outputBucket',
]);

/**
 * Every placeholder a compiled definition uses, sorted: the substitutions a deployment must
 * provide.
 */
export function placeholdersOf(definition: unknown): PlaceholderName[] {
  const found = new Set<PlaceholderName>();
  visitPlaceholders(definition, (name) => {
    found.add(name);
  });
  return [...found].sort();
}

/**
 * A copy of `definition` with each placeholder replaced by `values[name]`, as CloudFormation
 * does at deploy time; placeholders without a value stay as they are.
 */
export function substitutePlaceholders<T>(
  definition: T,
  values: Readonly<Partial<Record<PlaceholderName, string>>>,
): T {
  return mapPlaceholders(definition, undefined, values) as T;
}

function visitPlaceholders(value: unknown, visit: (name: PlaceholderName) => void, key?: string): void {
  if (typeof value === 'string') {
    const name = key !== undefined && PLACEHOLDER_KEYS.has(key) ? placeholderOf(value) : undefined;
    if (name) visit(name);
  } else if (Array.isArray(value)) {
    for (const item of value) visitPlaceholders(item, visit);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) visitPlaceholders(v, visit, k);
  }
}

function mapPlaceholders(
  value: unknown,
  key: string | undefined,
  values: Readonly<Partial<Record<PlaceholderName, string>>>,
): unknown {
  if (typeof value === 'string') {
    const name = key !== undefined && PLACEHOLDER_KEYS.has(key) ? placeholderOf(value) : undefined;
    return name !== undefined ? (values[name] ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => mapPlaceholders(item, undefined, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPlaceholders(v, k, values)]));
  }
  return value;
}
