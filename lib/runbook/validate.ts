/**
 * Stage 2: the YAML AST to the runbook model, with every structural and semantic problem as a
 * diagnostic: unknown and missing keys, wrong types, durations, cron, targets, expressions and
 * their types, references and whether the referenced step can have run, command quoting.
 *
 * All problems are reported at once; the model is returned only when no error was found.
 */
import { DURATION_FORMS, formatDuration, parseDuration } from '../shared/duration.ts';
import { classifyCommand } from './commands.ts';
import { validateCron } from './cron.ts';
import { type Diagnostic, type DiagnosticCode, DiagnosticSink, hasErrors } from './diagnostics.ts';
import {
  type CheckProblem,
  checkExpression,
  findExpressions,
  formatType,
  type PathSegment,
  parseExpression,
  type Resolution,
  TYPES,
} from './expressions.ts';
import {
  ALARM_STATES,
  type AlarmState,
  type AlarmTrigger,
  APPROVAL_OUTPUTS,
  type ApprovalStep,
  type ArgumentValue,
  type Branch,
  type Capture,
  type CaptureExtract,
  type Command,
  type CommandExpression,
  type Condition,
  type Defaults,
  type Duration,
  type ExecStep,
  type ExecTarget,
  FAN_OUT_DEFAULTS,
  FAN_OUT_OUTPUTS,
  type FailStep,
  type NotifyStep,
  type OnFailure,
  type ParallelStep,
  type Parameter,
  type ParameterType,
  type Pick,
  type Reference,
  type Retry,
  type Runbook,
  type RunbookArgument,
  type RunbookOutput,
  type RunbookStep,
  type ScalarType,
  type ScalarValue,
  type ScheduleTrigger,
  type SourceRange,
  STEP_KINDS,
  STEP_STATUSES,
  type Step,
  type StepCommon,
  type StepKind,
  type SucceedStep,
  TARGET_SELECTORS,
  type TargetSelector,
  type Template,
  type TemplateReference,
  type TemplateText,
  type ToleratedFailures,
  TRIGGER_FIELDS,
  TRIGGER_TYPES,
  type TriggerArgument,
  type TriggerField,
  type Triggers,
  type ValueType,
  type WaitStep,
} from './model.ts';
import {
  type ParsedYaml,
  scalarOffsets,
  scalarSpanRange,
  type YamlMap,
  type YamlNode,
  type YamlScalar,
} from './parse.ts';
import { keysOf, type MappingName, requiredKeysOf } from './schema.ts';

/** What a `runbook` step needs to know about the runbook it calls. */
export interface RunbookSignature {
  readonly parameters: readonly Parameter[];
  readonly outputs: readonly { readonly name: string; readonly type: ValueType }[];
}

/** Options of {@link validateRunbook}. */
export interface ValidateOptions {
  /** The file name diagnostics carry. */
  readonly file: string;
  /**
   * Looks up another runbook by name for `runbook` steps: its parameters are then checked and
   * its outputs typed.
   * @default - `runbook` steps are checked for shape only; their outputs have the unknown type
   */
  readonly resolveRunbook?: (name: string) => RunbookSignature | undefined;
}

/** The signature of a validated runbook, for a `resolveRunbook` callback. */
export function signatureOf(runbook: Runbook): RunbookSignature {
  return {
    parameters: runbook.parameters,
    outputs: runbook.outputs.map((o) => ({
      name: o.name,
      type: o.value.kind === 'template' ? o.value.template.type : literalType(o.value.value),
    })),
  };
}

/**
 * Validates a parsed YAML document and builds the runbook model. Never throws.
 *
 * `runbook` is present only when no error diagnostic was found (warnings allowed).
 */
export function validateRunbook(
  parsed: ParsedYaml,
  options: ValidateOptions,
): { runbook?: Runbook; diagnostics: Diagnostic[] } {
  const validator = new Validator(parsed, options);
  const runbook = validator.run();
  const diagnostics = validator.sink.diagnostics;
  return hasErrors(diagnostics) || !runbook ? { diagnostics } : { runbook, diagnostics };
}

// ---------------------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_APPROVAL_TIMEOUT_MS = 60 * 60_000;
const MAX_ID_LENGTH = 64;
/** A step timeout is a timer in the exec layer: Node timers hold at most 2^31 − 1 ms (about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** What the scope knows about a step that may be referenced. */
interface StepInfo {
  readonly id: string;
  readonly kind?: StepKind;
  readonly singleExec: boolean;
  readonly fanOut: boolean;
  readonly outputs: ReadonlyMap<string, { type: ValueType; hasDefault: boolean }>;
  /** Outputs are not known (a called runbook without a resolver, or a step with errors). */
  readonly openOutputs: boolean;
  /** Whether, wherever this scope is used, the step has certainly run and succeeded. */
  readonly guaranteed: boolean;
}

type Scope = ReadonlyMap<string, StepInfo>;

interface StepResult {
  readonly step?: Step;
  /** The step and the steps nested in it, with their guarantees as seen after the step. */
  readonly added: readonly StepInfo[];
  /** An unconditional fail/succeed: later steps of the same list never run. */
  readonly terminal: boolean;
  /** The step (when it runs) always ends in a fail: an onFailure list ending so. */
  readonly alwaysFails: boolean;
}

function literalType(value: ScalarValue): ValueType {
  if (typeof value === 'string') return TYPES.string;
  if (typeof value === 'boolean') return TYPES.boolean;
  return Number.isInteger(value) ? TYPES.integer : TYPES.number;
}

function describeNode(node: YamlNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing (null)';
  if (typeof node.value === 'string') return `the string ${JSON.stringify(truncate(node.value))}`;
  if (typeof node.value === 'boolean') return `the boolean ${node.value}`;
  return `the number ${node.value}`;
}

function describeBounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}

function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** `; did you mean "x"?` when a candidate is close, else the empty string. */
function suggestion(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = levenshtein(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))
    ? `; did you mean "${best}"?`
    : '';
}

function list(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}

class Validator {
  readonly sink: DiagnosticSink;
  readonly #positions: ParsedYaml['positions'];
  readonly #root: YamlNode | undefined;
  readonly #source: string;
  readonly #resolveRunbook: ValidateOptions['resolveRunbook'];
  readonly #params = new Map<string, Parameter>();
  /** Parameters declared, even those with errors, so references to them do not cascade. */
  readonly #paramNames = new Set<string>();
  readonly #triggerKinds = new Set<string>();
  /** Every step id in document order (a step, its branches, then its onFailure list). */
  readonly #stepOrder = new Map<string, number>();
  readonly #orderOf = new WeakMap<YamlNode, number>();
  #currentOrder = Number.POSITIVE_INFINITY;
  #runbookName: string | undefined;

  constructor(parsed: ParsedYaml, options: ValidateOptions) {
    this.sink = new DiagnosticSink(options.file);
    this.#positions = parsed.positions;
    this.#root = parsed.root;
    this.#source = parsed.source;
    this.#resolveRunbook = options.resolveRunbook;
  }

  run(): Runbook | undefined {
    const root = this.#root;
    if (!root) {
      this.report(
        'WRONG_TYPE',
        this.#positions.range(0, Math.min(this.#source.length, 1)),
        'the file holds no YAML document (it is empty or only comments); a runbook is a mapping with at least "name" and "steps"',
      );
      return undefined;
    }
    const map = this.expectMap(root, 'the runbook');
    if (!map) return undefined;
    this.checkKeys(map, 'runbook', 'the runbook');

    const nameNode = this.entry(map, 'name');
    let name: string | undefined;
    if (nameNode) {
      name = this.kebabName(nameNode, 'name');
      this.#runbookName = name;
    }
    const descriptionNode = this.entry(map, 'description');
    const description = descriptionNode ? this.string(descriptionNode, 'description') : undefined;

    const stepsNode = this.entry(map, 'steps');
    this.numberSteps(stepsNode);
    const parameters = this.parameters(this.entry(map, 'parameters'));
    const triggers = this.triggers(this.entry(map, 'triggers'));
    const defaults = this.defaults(this.entry(map, 'defaults'));

    const walked = stepsNode
      ? this.stepList(stepsNode, new Map(), defaults, 'steps')
      : { steps: [], added: [], alwaysFails: false };
    const scope = new Map<string, StepInfo>();
    for (const info of walked.added) scope.set(info.id, info);
    this.#currentOrder = Number.POSITIVE_INFINITY;
    const outputs = this.outputs(this.entry(map, 'outputs'), scope);

    if (name === undefined || !stepsNode) return undefined;
    return {
      name,
      ...(description !== undefined ? { description } : {}),
      parameters,
      triggers,
      defaults,
      steps: walked.steps,
      outputs,
      range: root.range,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Reporting and basic shapes
  // -------------------------------------------------------------------------------------------

  report(code: DiagnosticCode, range: SourceRange, message: string): void {
    this.sink.report(code, range, message);
  }

  entry(map: YamlMap, key: string): YamlNode | undefined {
    return map.entries.find((e) => e.key === key)?.value;
  }

  keyRange(map: YamlMap, key: string): SourceRange {
    return map.entries.find((e) => e.key === key)?.keyRange ?? map.range;
  }

  expectMap(node: YamlNode, what: string, hint = ''): YamlMap | undefined {
    if (node.kind === 'map') return node;
    this.report('WRONG_TYPE', node.range, `${what} must be a mapping; received ${describeNode(node)}${hint}`);
    return undefined;
  }

  /** Reports unknown keys (with a suggestion) and missing required keys. */
  checkKeys(map: YamlMap, mapping: MappingName, what: string, extraRequired: readonly string[] = []): void {
    const accepted = keysOf(mapping);
    for (const entry of map.entries) {
      if (!accepted.includes(entry.key)) {
        this.report(
          'UNKNOWN_KEY',
          entry.keyRange,
          `${what} has an unknown key "${entry.key}"${suggestion(entry.key, accepted)}; accepted: ${list(accepted)}`,
        );
      }
    }
    for (const key of [...requiredKeysOf(mapping), ...extraRequired]) {
      if (!map.entries.some((e) => e.key === key)) {
        this.report('MISSING_KEY', this.headRange(map), `${what} is missing the required key "${key}"`);
      }
    }
  }

  /** The first line of a node's range: where to point for "this mapping lacks …". */
  headRange(node: YamlNode): SourceRange {
    const { start, end } = node.range;
    if (end.line === start.line) return node.range;
    const lineEnd = this.#source.indexOf('\n', start.offset);
    return this.#positions.range(start.offset, lineEnd < 0 ? end.offset : lineEnd);
  }

  string(node: YamlNode, what: string, options: { nonEmpty?: boolean } = {}): string | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      this.report('WRONG_TYPE', node.range, `${what} must be a string; received ${describeNode(node)}`);
      return undefined;
    }
    if (options.nonEmpty && node.value.trim() === '') {
      this.report('INVALID_VALUE', node.range, `${what} is empty; it needs text`);
      return undefined;
    }
    return node.value;
  }

  integer(node: YamlNode, what: string, min: number, max: number): number | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) {
      this.report('WRONG_TYPE', node.range, `${what} must be an integer; received ${describeNode(node)}`);
      return undefined;
    }
    if (node.value < min || node.value > max) {
      this.report('VALUE_OUT_OF_RANGE', node.range, `${what} is ${node.value}; accepted: ${min} to ${max}`);
      return undefined;
    }
    return node.value;
  }

  identifier(node: YamlNode, what: string, range: SourceRange = node.range): string | undefined {
    const value = this.string(node, what);
    if (value === undefined) return undefined;
    return this.identifierText(value, what, range);
  }

  identifierText(value: string, what: string, range: SourceRange): string | undefined {
    if (!IDENTIFIER.test(value) || value.length > MAX_ID_LENGTH) {
      const hint = value.includes('-') ? ' (use "_" instead of "-")' : '';
      this.report(
        'INVALID_NAME',
        range,
        `${what} is ${JSON.stringify(truncate(value))}; accepted: an identifier of at most ${MAX_ID_LENGTH} characters, letters, digits and "_", not starting with a digit${hint}`,
      );
      return undefined;
    }
    return value;
  }

  kebabName(node: YamlNode, what: string): string | undefined {
    const value = this.string(node, what);
    if (value === undefined) return undefined;
    if (!KEBAB.test(value) || value.length > 64) {
      this.report(
        'INVALID_NAME',
        node.range,
        `${what} is ${JSON.stringify(truncate(value))}; accepted: kebab-case of at most 64 characters, lowercase letters and digits in words joined by "-", starting with a letter (purge-temp-files)`,
      );
      return undefined;
    }
    return value;
  }

  duration(
    node: YamlNode,
    what: string,
    options: { wholeSeconds?: boolean; positive?: boolean; maxMs?: number } = {},
  ): Duration | undefined {
    const value = node.kind === 'scalar' ? node.value : undefined;
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (ms === undefined) {
      this.report(
        'INVALID_DURATION',
        node.range,
        `${what} is ${describeNode(node)}; accepted: ${DURATION_FORMS}`,
      );
      return undefined;
    }
    if (options.positive && ms === 0) {
      this.report('VALUE_OUT_OF_RANGE', node.range, `${what} is 0; it must be longer than 0`);
      return undefined;
    }
    if (options.maxMs !== undefined && ms > options.maxMs) {
      this.report(
        'VALUE_OUT_OF_RANGE',
        node.range,
        `${what} is ${describeNode(node)}; accepted: at most ${formatDuration(options.maxMs)} (the longest a timer can wait)`,
      );
      return undefined;
    }
    if (options.wholeSeconds && ms % 1000 !== 0) {
      this.report(
        'INVALID_DURATION',
        node.range,
        `${what} is ${describeNode(node)}; Step Functions counts it in whole seconds: accepted 1s, 30s, 5m …`,
      );
      return undefined;
    }
    return { ms, range: node.range };
  }

  // -------------------------------------------------------------------------------------------
  // Parameters
  // -------------------------------------------------------------------------------------------

  parameters(node: YamlNode | undefined): Parameter[] {
    if (!node) return [];
    const map = this.expectMap(node, 'parameters', ' of parameter names to { type, … }');
    if (!map) return [];
    const out: Parameter[] = [];
    for (const entry of map.entries) {
      const name = this.identifierText(entry.key, `the parameter name "${entry.key}"`, entry.keyRange);
      if (name === undefined) continue;
      this.#paramNames.add(name);
      const parameter = this.parameter(name, entry.value, entry.keyRange);
      if (parameter) {
        this.#params.set(name, parameter);
        out.push(parameter);
      }
    }
    return out;
  }

  parameter(name: string, node: YamlNode, nameRange: SourceRange): Parameter | undefined {
    const what = `parameter "${name}"`;
    const map = this.expectMap(node, what, ' such as { type: string }');
    if (!map) return undefined;
    this.checkKeys(map, 'parameter', what);
    const typeNode = this.entry(map, 'type');
    const types: readonly ParameterType[] = ['string', 'integer', 'number', 'boolean', 'enum'];
    let type: ParameterType | undefined;
    if (typeNode) {
      const text = this.string(typeNode, `the type of ${what}`);
      if (text !== undefined) {
        if ((types as readonly string[]).includes(text)) type = text as ParameterType;
        else {
          this.report(
            'INVALID_VALUE',
            typeNode.range,
            `the type of ${what} is ${JSON.stringify(text)}${suggestion(text, types)}; accepted: ${list(types)}`,
          );
        }
      }
    }
    const notFor = (key: string, allowed: readonly ParameterType[]): boolean => {
      if (!this.entry(map, key) || type === undefined || allowed.includes(type)) return false;
      this.report(
        'KEY_NOT_APPLICABLE',
        this.keyRange(map, key),
        `"${key}" applies to ${list(allowed)} parameters; ${what} is ${type}`,
      );
      return true;
    };
    let ok = type !== undefined;
    const descriptionNode = this.entry(map, 'description');
    const description = descriptionNode
      ? this.string(descriptionNode, `the description of ${what}`)
      : undefined;

    let values: string[] | undefined;
    if (!notFor('values', ['enum']) && type === 'enum') {
      const valuesNode = this.entry(map, 'values');
      if (!valuesNode) {
        this.report(
          'MISSING_KEY',
          this.keyRange(map, 'type'),
          `enum ${what} is missing "values", the accepted strings`,
        );
        ok = false;
      } else values = this.enumValues(valuesNode, what);
      if (!values) ok = false;
    }
    const numberKey = (key: 'minimum' | 'maximum'): number | undefined => {
      if (notFor(key, ['integer', 'number'])) {
        ok = false;
        return undefined;
      }
      const n = this.entry(map, key);
      if (!n) return undefined;
      if (n.kind !== 'scalar' || typeof n.value !== 'number' || !Number.isFinite(n.value)) {
        this.report(
          'WRONG_TYPE',
          n.range,
          `"${key}" of ${what} must be a number; received ${describeNode(n)}`,
        );
        ok = false;
        return undefined;
      }
      if (type === 'integer' && !Number.isSafeInteger(n.value)) {
        this.report(
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
      const n = this.entry(map, key);
      if (!n) return undefined;
      const value = this.integer(n, `"${key}" of ${what}`, 0, Number.MAX_SAFE_INTEGER);
      if (value === undefined) ok = false;
      return value;
    };
    const minimum = numberKey('minimum');
    const maximum = numberKey('maximum');
    const minLength = lengthKey('minLength');
    const maxLength = lengthKey('maxLength');
    if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
      this.report(
        'INVALID_VALUE',
        this.keyRange(map, 'maximum'),
        `${what} has maximum ${maximum} below minimum ${minimum}`,
      );
      ok = false;
    }
    if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
      this.report(
        'INVALID_VALUE',
        this.keyRange(map, 'maxLength'),
        `${what} has maxLength ${maxLength} below minLength ${minLength}`,
      );
      ok = false;
    }
    let pattern: string | undefined;
    if (notFor('pattern', ['string'])) ok = false;
    else {
      const patternNode = this.entry(map, 'pattern');
      if (patternNode) {
        pattern = this.string(patternNode, `the pattern of ${what}`);
        if (pattern !== undefined) {
          try {
            new RegExp(`^(?:${pattern})$`, 'u');
          } catch (error) {
            this.report(
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
    const defaultNode = this.entry(map, 'default');
    if (!defaultNode) return parameter;
    const value = this.parameterValue(
      parameter,
      defaultNode,
      `the default of ${what}`,
      'DEFAULT_OUT_OF_RANGE',
    );
    if (value === undefined) return undefined;
    return { ...parameter, default: value, required: false };
  }

  enumValues(node: YamlNode, what: string): string[] | undefined {
    if (node.kind !== 'seq' || node.items.length === 0) {
      this.report(
        'WRONG_TYPE',
        node.range,
        `"values" of ${what} must be a non-empty list of strings; received ${describeNode(node)}`,
      );
      return undefined;
    }
    const values: string[] = [];
    let ok = true;
    for (const item of node.items) {
      const value = this.string(item, `a value of ${what}`);
      if (value === undefined) ok = false;
      else if (values.includes(value)) {
        this.report(
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
  parameterValue(
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
      this.report('WRONG_TYPE', node.range, `${what} is ${describeNode(node)}; accepted: ${expected}${hint}`);
      return undefined;
    };
    switch (parameter.type) {
      case 'string':
      case 'enum': {
        if (typeof value !== 'string') return wrong();
        if (parameter.type === 'enum' && !(parameter.values ?? []).includes(value)) {
          this.report(
            rangeCode === 'DEFAULT_OUT_OF_RANGE' ? rangeCode : 'INVALID_VALUE',
            node.range,
            `${what} is ${JSON.stringify(value)}${suggestion(value, parameter.values ?? [])}; accepted: ${list(parameter.values ?? [])}`,
          );
          return undefined;
        }
        const tooShort = parameter.minLength !== undefined && value.length < parameter.minLength;
        const tooLong = parameter.maxLength !== undefined && value.length > parameter.maxLength;
        if (tooShort || tooLong) {
          this.report(
            rangeCode,
            node.range,
            `${what} has ${value.length} characters; accepted: ${describeBounds(parameter.minLength, parameter.maxLength)} characters`,
          );
          return undefined;
        }
        if (parameter.pattern !== undefined && !new RegExp(`^(?:${parameter.pattern})$`, 'u').test(value)) {
          this.report(
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
          this.report(
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

  triggers(node: YamlNode | undefined): Triggers {
    if (!node) return {};
    const map = this.expectMap(node, 'triggers', ' with schedule, alarm or api');
    if (!map) return {};
    this.checkKeys(map, 'triggers', 'triggers');
    for (const entry of map.entries) this.#triggerKinds.add(entry.key);
    const out: { schedule?: ScheduleTrigger; alarm?: AlarmTrigger; api?: { range: SourceRange } } = {};
    const scheduleNode = this.entry(map, 'schedule');
    if (scheduleNode) {
      const schedule = this.schedule(scheduleNode, this.keyRange(map, 'schedule'));
      if (schedule) out.schedule = schedule;
    }
    const alarmNode = this.entry(map, 'alarm');
    if (alarmNode) {
      const alarm = this.alarm(alarmNode, this.keyRange(map, 'alarm'));
      if (alarm) out.alarm = alarm;
    }
    const apiNode = this.entry(map, 'api');
    if (apiNode) {
      const isNull = apiNode.kind === 'scalar' && apiNode.value === null;
      if (apiNode.kind === 'map') this.checkKeys(apiNode, 'api', 'triggers.api');
      else if (!isNull) {
        this.report(
          'WRONG_TYPE',
          apiNode.range,
          `triggers.api must be {} (or empty); received ${describeNode(apiNode)}`,
        );
      }
      out.api = { range: apiNode.kind === 'map' ? apiNode.range : this.keyRange(map, 'api') };
    }
    return out;
  }

  schedule(node: YamlNode, keyRange: SourceRange): ScheduleTrigger | undefined {
    const map = this.expectMap(node, 'triggers.schedule', ' such as { cron: "0 3 * * ? *" }');
    if (!map) return undefined;
    this.checkKeys(map, 'schedule', 'triggers.schedule');
    const cronNode = this.entry(map, 'cron');
    let cron: string | undefined;
    if (cronNode) {
      const text = this.string(cronNode, 'triggers.schedule.cron');
      if (text !== undefined) {
        const unwrapped = /^\s*cron\((.*)\)\s*$/s.exec(text)?.[1] ?? text;
        const problem = validateCron(unwrapped);
        if (problem)
          this.report(
            'INVALID_CRON',
            cronNode.range,
            `triggers.schedule.cron is ${JSON.stringify(text)}: ${problem}`,
          );
        else cron = unwrapped.trim().split(/\s+/).join(' ');
      }
    }
    let timezone = 'UTC';
    const tzNode = this.entry(map, 'timezone');
    if (tzNode) {
      const tz = this.string(tzNode, 'triggers.schedule.timezone');
      if (tz !== undefined) {
        if (isTimeZone(tz)) timezone = tz;
        else {
          this.report(
            'INVALID_TIMEZONE',
            tzNode.range,
            `triggers.schedule.timezone is ${JSON.stringify(tz)}; accepted: an IANA time zone name such as UTC, Europe/Berlin or America/New_York`,
          );
        }
      }
    }
    const parameters = this.triggerArguments(this.entry(map, 'parameters'), 'triggers.schedule', keyRange);
    if (cron === undefined || !parameters) return undefined;
    return { cron, expression: `cron(${cron})`, timezone, parameters, range: map.range };
  }

  alarm(node: YamlNode, keyRange: SourceRange): AlarmTrigger | undefined {
    const map = this.expectMap(node, 'triggers.alarm', ' such as { alarms: [api-5xx-high] }');
    if (!map) return undefined;
    this.checkKeys(map, 'alarm', 'triggers.alarm');
    let alarms: string[] | undefined;
    const alarmsNode = this.entry(map, 'alarms');
    if (alarmsNode) {
      if (alarmsNode.kind !== 'seq' || alarmsNode.items.length === 0) {
        this.report(
          'WRONG_TYPE',
          alarmsNode.range,
          `triggers.alarm.alarms must be a non-empty list of alarm names; received ${describeNode(alarmsNode)}`,
        );
      } else {
        const names = alarmsNode.items.map((item) => this.string(item, 'an alarm name', { nonEmpty: true }));
        if (names.every((n) => n !== undefined)) alarms = names as string[];
      }
    }
    let states: AlarmState[] | undefined = ['ALARM'];
    const statesNode = this.entry(map, 'states');
    if (statesNode) {
      if (statesNode.kind !== 'seq' || statesNode.items.length === 0) {
        this.report(
          'WRONG_TYPE',
          statesNode.range,
          `triggers.alarm.states must be a non-empty list; received ${describeNode(statesNode)}`,
        );
        states = undefined;
      } else {
        states = [];
        for (const item of statesNode.items) {
          const state = this.string(item, 'an alarm state');
          if (state !== undefined && (ALARM_STATES as readonly string[]).includes(state))
            states?.push(state as AlarmState);
          else {
            if (state !== undefined) {
              this.report(
                'INVALID_VALUE',
                item.range,
                `the alarm state ${JSON.stringify(state)} does not exist${suggestion(state, ALARM_STATES)}; accepted: ${list(ALARM_STATES)}`,
              );
            }
            states = undefined;
            break;
          }
        }
      }
    }
    const parameters = this.triggerArguments(this.entry(map, 'parameters'), 'triggers.alarm', keyRange);
    if (!alarms || !states || !parameters) return undefined;
    return { alarms, states, parameters, range: map.range };
  }

  triggerArguments(
    node: YamlNode | undefined,
    what: string,
    keyRange: SourceRange,
  ): TriggerArgument[] | undefined {
    const out: TriggerArgument[] = [];
    let ok = true;
    const map = node
      ? this.expectMap(node, `${what}.parameters`, ' of parameter names to values')
      : undefined;
    if (node && !map) return undefined;
    for (const entry of map?.entries ?? []) {
      const parameter = this.#params.get(entry.key);
      if (!parameter) {
        if (!this.#paramNames.has(entry.key)) {
          this.report(
            'UNKNOWN_PARAMETER',
            entry.keyRange,
            `${what} sets "${entry.key}", which is not a declared parameter${suggestion(entry.key, this.#paramNames)}; declared: ${list([...this.#paramNames])}`,
          );
        }
        ok = false;
        continue;
      }
      const value = this.parameterValue(
        parameter,
        entry.value,
        `${what}.parameters.${entry.key}`,
        'VALUE_OUT_OF_RANGE',
      );
      if (value === undefined) ok = false;
      else out.push({ name: entry.key, value, range: entry.value.range });
    }
    for (const parameter of this.#params.values()) {
      if (
        parameter.required &&
        !out.some((a) => a.name === parameter.name) &&
        !map?.entries.some((e) => e.key === parameter.name)
      ) {
        this.report(
          'MISSING_PARAMETER',
          keyRange,
          `${what} does not set the required parameter "${parameter.name}" (it has no default); add it under ${what}.parameters`,
        );
        ok = false;
      }
    }
    return ok ? out : undefined;
  }

  defaults(node: YamlNode | undefined): Defaults {
    if (!node) return {};
    const map = this.expectMap(node, 'defaults', ' with cluster, container, timeout or retry');
    if (!map) return {};
    this.checkKeys(map, 'defaults', 'defaults');
    const out: { cluster?: Template; container?: Template; timeout?: Duration; retry?: Retry } = {};
    const scope: Scope = new Map();
    const cluster = this.entry(map, 'cluster');
    if (cluster) {
      const t = this.template(cluster, 'defaults.cluster', scope, { nonEmpty: true });
      if (t) out.cluster = t;
    }
    const container = this.entry(map, 'container');
    if (container) {
      const t = this.template(container, 'defaults.container', scope, { nonEmpty: true });
      if (t) out.container = t;
    }
    const timeout = this.entry(map, 'timeout');
    if (timeout) {
      const d = this.duration(timeout, 'defaults.timeout', { positive: true, maxMs: MAX_TIMEOUT_MS });
      if (d) out.timeout = d;
    }
    const retry = this.entry(map, 'retry');
    if (retry) {
      const r = this.retry(retry, 'defaults.retry');
      if (r) out.retry = r;
    }
    return out;
  }

  retry(node: YamlNode, what: string): Retry | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'number') {
      const attempts = this.integer(node, `${what} (attempts)`, 1, 100);
      return attempts === undefined
        ? undefined
        : { attempts, intervalMs: 1000, backoff: 2, range: node.range };
    }
    const map = this.expectMap(node, what, ' such as { attempts: 3, interval: 2s } or a number of attempts');
    if (!map) return undefined;
    this.checkKeys(map, 'retry', what);
    const attemptsNode = this.entry(map, 'attempts');
    const attempts = attemptsNode ? this.integer(attemptsNode, `${what}.attempts`, 1, 100) : undefined;
    const intervalNode = this.entry(map, 'interval');
    const interval = intervalNode
      ? this.duration(intervalNode, `${what}.interval`, { wholeSeconds: true, positive: true })
      : { ms: 1000, range: map.range };
    let backoff: number | undefined = 2;
    const backoffNode = this.entry(map, 'backoff');
    if (backoffNode) {
      if (
        backoffNode.kind !== 'scalar' ||
        typeof backoffNode.value !== 'number' ||
        !Number.isFinite(backoffNode.value)
      ) {
        this.report(
          'WRONG_TYPE',
          backoffNode.range,
          `${what}.backoff must be a number; received ${describeNode(backoffNode)}`,
        );
        backoff = undefined;
      } else if (backoffNode.value < 1 || backoffNode.value > 100) {
        this.report(
          'VALUE_OUT_OF_RANGE',
          backoffNode.range,
          `${what}.backoff is ${backoffNode.value}; accepted: 1 to 100`,
        );
        backoff = undefined;
      } else backoff = backoffNode.value;
    }
    const maxNode = this.entry(map, 'maxInterval');
    const maxInterval = maxNode
      ? this.duration(maxNode, `${what}.maxInterval`, { wholeSeconds: true, positive: true })
      : undefined;
    if (maxInterval && interval && maxInterval.ms < interval.ms) {
      this.report(
        'VALUE_OUT_OF_RANGE',
        maxInterval.range,
        `${what}.maxInterval (${maxInterval.ms / 1000}s) is shorter than the interval (${interval.ms / 1000}s)`,
      );
      return undefined;
    }
    if (attempts === undefined || !interval || backoff === undefined || (maxNode && !maxInterval))
      return undefined;
    return {
      attempts,
      intervalMs: interval.ms,
      backoff,
      ...(maxInterval ? { maxIntervalMs: maxInterval.ms } : {}),
      range: map.range,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------------------------

  /** Numbers every step in document order and reports duplicate ids. */
  numberSteps(node: YamlNode | undefined): void {
    let counter = 0;
    const seen = new Map<string, SourceRange>();
    const visitList = (list: YamlNode | undefined): void => {
      if (list?.kind !== 'seq') return;
      for (const item of list.items) visitStep(item);
    };
    const visitStep = (step: YamlNode): void => {
      if (step.kind !== 'map') return;
      this.#orderOf.set(step, counter++);
      const idNode = this.entry(step, 'id');
      if (idNode?.kind === 'scalar' && typeof idNode.value === 'string') {
        const first = seen.get(idNode.value);
        if (first) {
          this.report(
            'DUPLICATE_STEP_ID',
            idNode.range,
            `the step id "${idNode.value}" is already used at line ${first.start.line}; ids are unique across the whole runbook, nested steps included`,
          );
        } else {
          seen.set(idNode.value, idNode.range);
          this.#stepOrder.set(idNode.value, this.#orderOf.get(step) as number);
        }
      }
      const parallel = this.entry(step, 'parallel');
      if (parallel?.kind === 'map') {
        const branches = this.entry(parallel, 'branches');
        if (branches?.kind === 'seq') {
          for (const branch of branches.items)
            if (branch.kind === 'map') visitList(this.entry(branch, 'steps'));
        }
      }
      visitList(this.entry(step, 'onFailure'));
    };
    visitList(node);
  }

  stepList(
    node: YamlNode,
    scope: Scope,
    defaults: Defaults,
    what: string,
  ): { steps: Step[]; added: StepInfo[]; alwaysFails: boolean } {
    if (node.kind !== 'seq') {
      this.report(
        'WRONG_TYPE',
        node.range,
        `${what} must be a list of steps; received ${describeNode(node)}`,
      );
      return { steps: [], added: [], alwaysFails: false };
    }
    if (node.items.length === 0) {
      this.report('EMPTY_STEPS', node.range, `${what} is empty; it needs at least one step`);
      return { steps: [], added: [], alwaysFails: false };
    }
    const steps: Step[] = [];
    const added: StepInfo[] = [];
    const current = new Map(scope);
    let terminatedBy: string | undefined;
    let reportedUnreachable = false;
    let alwaysFails = false;
    for (const item of node.items) {
      if (terminatedBy !== undefined && !reportedUnreachable) {
        reportedUnreachable = true;
        const idNode = item.kind === 'map' ? this.entry(item, 'id') : undefined;
        this.report(
          'UNREACHABLE_STEP',
          idNode?.range ?? this.headRange(item),
          `this step never runs: it follows ${terminatedBy}, which always ends the ${what === 'steps' ? 'run' : 'list'}; remove it or give that step a "when"`,
        );
      }
      const result = this.step(item, current, defaults);
      if (result.step) steps.push(result.step);
      for (const info of result.added) {
        current.set(info.id, info);
        added.push(info);
      }
      if (result.terminal && terminatedBy === undefined) {
        terminatedBy = result.step
          ? `the unconditional ${result.step.kind} step "${result.step.id}"`
          : 'an unconditional step';
        if (result.step?.kind === 'fail') alwaysFails = true;
      }
      if (result.alwaysFails) alwaysFails = true;
    }
    return { steps, added, alwaysFails };
  }

  step(node: YamlNode, scope: Scope, defaults: Defaults): StepResult {
    const none: StepResult = { added: [], terminal: false, alwaysFails: false };
    const map = this.expectMap(node, 'a step', ' such as { id: check, exec: { … } }');
    if (!map) return none;
    const order = this.#orderOf.get(map) ?? Number.POSITIVE_INFINITY;
    this.#currentOrder = order;
    this.checkKeys(map, 'step', 'a step');

    const idNode = this.entry(map, 'id');
    const id = idNode ? this.identifier(idNode, 'the step id') : undefined;
    const where = id !== undefined ? `step "${id}"` : 'this step';

    const kinds = map.entries.filter((e) => (STEP_KINDS as readonly string[]).includes(e.key));
    let kind: StepKind | undefined;
    if (kinds.length === 0) {
      this.report(
        'NO_STEP_KIND',
        idNode?.range ?? this.headRange(map),
        `${where} has no kind; give it exactly one of: ${list(STEP_KINDS)}`,
      );
    } else if (kinds.length > 1) {
      const second = kinds[1];
      this.report(
        'MULTIPLE_STEP_KINDS',
        second?.keyRange ?? map.range,
        `${where} has several kinds (${kinds.map((k) => k.key).join(', ')}); a step has exactly one, so split it into several steps`,
      );
    } else kind = kinds[0]?.key as StepKind;
    const kindEntry = kinds[0];
    const kindRange = kindEntry?.keyRange ?? map.range;

    const nameNode = this.entry(map, 'name');
    const name = nameNode ? this.string(nameNode, `${where}: name`) : undefined;

    const whenNode = this.entry(map, 'when');
    const when = whenNode ? this.condition(whenNode, scope, where) : undefined;
    const whenOk = !whenNode || when !== undefined;

    // Keys that only some kinds take.
    const applicable: Record<string, readonly StepKind[]> = {
      timeout: ['exec', 'runbook'],
      retry: ['exec', 'notify', 'runbook'],
      onFailure: ['exec', 'approval', 'notify', 'parallel', 'runbook'],
      capture: ['exec'],
    };
    let applicableOk = true;
    if (kind) {
      for (const [key, kindsTaking] of Object.entries(applicable)) {
        if (this.entry(map, key) && !kindsTaking.includes(kind)) {
          const hint = kind === 'approval' && key === 'timeout' ? '; use approval.timeout' : '';
          this.report(
            'KEY_NOT_APPLICABLE',
            this.keyRange(map, key),
            `"${key}" does not apply to ${kind} steps; it applies to ${list(kindsTaking)}${hint}`,
          );
          applicableOk = false;
        }
      }
    }

    const timeoutNode = this.entry(map, 'timeout');
    const timeout = timeoutNode
      ? this.duration(timeoutNode, `${where}: timeout`, { positive: true, maxMs: MAX_TIMEOUT_MS })
      : undefined;
    const retryNode = this.entry(map, 'retry');
    const retry = retryNode ? this.retry(retryNode, `${where}: retry`) : undefined;
    let fieldsOk =
      whenOk &&
      applicableOk &&
      (!timeoutNode || timeout !== undefined) &&
      (!retryNode || retry !== undefined);

    // The step's body, typed against the scope before the step.
    let body: Partial<Step> | undefined;
    let inner: StepInfo[] = [];
    let outputs = new Map<string, { type: ValueType; hasDefault: boolean }>();
    let openOutputs = kind === undefined;
    let singleExec = false;
    let fanOut = false;
    const kindNode = kindEntry?.value;
    if (kind && kindNode) {
      switch (kind) {
        case 'exec': {
          const exec = this.exec(kindNode, map, scope, defaults, where, timeout, retry, kindRange);
          body = exec.step;
          singleExec = exec.singleExec;
          fanOut = exec.fanOut;
          outputs = exec.outputs;
          if (!exec.step) openOutputs = true;
          break;
        }
        case 'approval':
          body = this.approval(kindNode, scope, where);
          for (const o of APPROVAL_OUTPUTS) outputs.set(o, { type: TYPES.string, hasDefault: true });
          break;
        case 'notify':
          body = this.notify(kindNode, scope, where, retry);
          break;
        case 'wait':
          body = this.wait(kindNode, scope, where);
          break;
        case 'parallel': {
          const parallel = this.parallel(kindNode, scope, defaults, where, timeout);
          body = parallel.step;
          inner = parallel.inner;
          break;
        }
        case 'runbook': {
          const call = this.runbookCall(kindNode, scope, where, timeout, retry);
          body = call.step;
          if (call.outputs)
            for (const o of call.outputs) outputs.set(o.name, { type: o.type, hasDefault: false });
          else openOutputs = true;
          break;
        }
        case 'fail':
          body = this.fail(kindNode, scope, where);
          break;
        case 'succeed':
          body = this.succeed(kindNode, scope, where);
          break;
      }
    }
    if (kind && !body) fieldsOk = false;

    // onFailure sees the step itself (failed: no outputs) and anything nested in it.
    const onFailureNode = this.entry(map, 'onFailure');
    let onFailure: OnFailure | undefined = { kind: 'fail' };
    let handlerAlwaysFails = false;
    const selfForHandler: StepInfo | undefined =
      id !== undefined
        ? { id, kind, singleExec, fanOut, outputs, openOutputs, guaranteed: false }
        : undefined;
    let handlerAdded: StepInfo[] = [];
    if (onFailureNode && (!kind || applicable.onFailure?.includes(kind))) {
      if (
        onFailureNode.kind === 'scalar' &&
        (onFailureNode.value === 'fail' || onFailureNode.value === 'continue')
      ) {
        onFailure = { kind: onFailureNode.value, range: onFailureNode.range };
      } else if (onFailureNode.kind === 'seq') {
        const handlerScope = new Map(scope);
        for (const info of inner) handlerScope.set(info.id, { ...info, guaranteed: false });
        if (selfForHandler) handlerScope.set(selfForHandler.id, selfForHandler);
        const handler = this.stepList(onFailureNode, handlerScope, defaults, `${where}: onFailure`);
        this.#currentOrder = order;
        handlerAlwaysFails = handler.alwaysFails;
        handlerAdded = handler.added.map((info) => ({ ...info, guaranteed: false }));
        onFailure =
          handler.steps.length > 0
            ? { kind: 'steps', steps: handler.steps, range: onFailureNode.range }
            : undefined;
      } else {
        this.report(
          'INVALID_VALUE',
          onFailureNode.range,
          `${where}: onFailure is ${describeNode(onFailureNode)}; accepted: fail, continue, or a list of steps`,
        );
        onFailure = undefined;
      }
    }
    if (!onFailure) fieldsOk = false;

    const failSafe = onFailure?.kind === 'fail' || (onFailure?.kind === 'steps' && handlerAlwaysFails);
    const guaranteed = !whenNode && failSafe;
    const added: StepInfo[] = [];
    // A duplicate id stays bound to its first step, so references keep meaning that one.
    if (id !== undefined && this.#stepOrder.get(id) === order) {
      added.push({ id, kind, singleExec, fanOut, outputs, openOutputs, guaranteed });
    }
    for (const info of inner) added.push({ ...info, guaranteed: info.guaranteed && guaranteed });
    added.push(...handlerAdded);

    const terminal = (kind === 'fail' || kind === 'succeed') && !whenNode;
    const alwaysFails = kind === 'fail' && !whenNode;
    if (!fieldsOk || id === undefined || !kind || !body || !onFailure || !idNode) {
      return { added, terminal, alwaysFails };
    }
    const common: StepCommon = {
      id,
      idRange: idNode.range,
      ...(name !== undefined ? { name } : {}),
      ...(when ? { when } : {}),
      onFailure,
      range: map.range,
      kindRange,
    };
    return { step: { ...common, ...body } as Step, added, terminal, alwaysFails };
  }

  exec(
    node: YamlNode,
    stepMap: YamlMap,
    scope: Scope,
    defaults: Defaults,
    where: string,
    timeout: Duration | undefined,
    retry: Retry | undefined,
    kindRange: SourceRange,
  ): {
    step?: Omit<ExecStep, keyof StepCommon>;
    singleExec: boolean;
    fanOut: boolean;
    outputs: Map<string, { type: ValueType; hasDefault: boolean }>;
  } {
    const outputs = new Map<string, { type: ValueType; hasDefault: boolean }>();
    const map = this.expectMap(node, `${where}: exec`, ' with target and command');
    if (!map) return { singleExec: false, fanOut: false, outputs };
    this.checkKeys(map, 'exec', `${where}: exec`);
    const targetNode = this.entry(map, 'target');
    const target = targetNode ? this.target(targetNode, scope, defaults, where) : undefined;
    const commandNode = this.entry(map, 'command');
    const command = commandNode ? this.command(commandNode, scope, where) : undefined;
    const fanOut = target?.fanOut ?? false;
    const singleExec = target !== undefined && !fanOut;
    if (fanOut) for (const o of FAN_OUT_OUTPUTS) outputs.set(o, { type: TYPES.integer, hasDefault: true });

    let captures: Capture[] | undefined = [];
    const captureNode = this.entry(stepMap, 'capture');
    if (captureNode) {
      if (fanOut) {
        this.report(
          'CAPTURE_ON_FANOUT',
          this.keyRange(stepMap, 'capture'),
          `${where} fans out over several tasks, and capture reads one target's output; select one task (pick: one) or drop capture`,
        );
        captures = undefined;
      } else {
        captures = this.captures(captureNode, where);
        for (const c of captures ?? []) {
          outputs.set(c.name, {
            type: { base: c.type, nullable: false },
            hasDefault: c.default !== undefined,
          });
        }
      }
    }
    if (!target || !command || !captures) return { singleExec, fanOut, outputs };
    const effectiveTimeout = timeout ?? defaults.timeout ?? { ms: DEFAULT_EXEC_TIMEOUT_MS, range: kindRange };
    const effectiveRetry = retry ?? defaults.retry;
    return {
      step: {
        kind: 'exec',
        target,
        command,
        timeout: effectiveTimeout,
        ...(effectiveRetry ? { retry: effectiveRetry } : {}),
        captures,
      },
      singleExec,
      fanOut,
      outputs,
    };
  }

  target(node: YamlNode, scope: Scope, defaults: Defaults, where: string): ExecTarget | undefined {
    const what = `${where}: target`;
    const map = this.expectMap(node, what, ' such as { service: api, pick: all }');
    if (!map) return undefined;
    this.checkKeys(map, 'target', what);
    const selectors = map.entries.filter((e) => (TARGET_SELECTORS as readonly string[]).includes(e.key));
    let ok = true;
    if (selectors.length === 0) {
      this.report(
        'TARGET_INCOMPLETE',
        this.headRange(map),
        `${what} selects no tasks; give exactly one of: ${list(TARGET_SELECTORS)}`,
      );
      ok = false;
    } else if (selectors.length > 1) {
      this.report(
        'TARGET_AMBIGUOUS',
        (selectors[1] as { keyRange: SourceRange }).keyRange,
        `${what} has several selections (${selectors.map((s) => s.key).join(', ')}); give exactly one`,
      );
      ok = false;
    }
    const selectorEntry = selectors[0];
    const selector = selectorEntry?.key as TargetSelector | undefined;
    const value = selectorEntry
      ? this.template(selectorEntry.value, `${what}.${selectorEntry.key}`, scope, { nonEmpty: true })
      : undefined;

    let pick: Pick | undefined = { kind: 'one' };
    const pickNode = this.entry(map, 'pick');
    if (pickNode) {
      const v = pickNode.kind === 'scalar' ? pickNode.value : undefined;
      if (v === 'one' || v === 'all' || v === 'random') pick = { kind: v };
      else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) pick = { kind: 'count', count: v };
      else {
        this.report(
          'INVALID_VALUE',
          pickNode.range,
          `${what}.pick is ${describeNode(pickNode)}; accepted: one, all, random, or a whole number of tasks from 1`,
        );
        pick = undefined;
      }
      if (pick && selector === 'task' && pick.kind !== 'one') {
        this.report(
          'INVALID_VALUE',
          pickNode.range,
          `${what} names one task, so pick can only be "one"; received ${describeNode(pickNode)}`,
        );
        pick = undefined;
      }
    }
    const single =
      selector === 'task' ||
      pick === undefined ||
      pick.kind === 'one' ||
      pick.kind === 'random' ||
      (pick.kind === 'count' && pick.count === 1);
    const fanOut = !single;

    const clusterNode = this.entry(map, 'cluster');
    const cluster = clusterNode
      ? this.template(clusterNode, `${what}.cluster`, scope, { nonEmpty: true })
      : defaults.cluster;
    const containerNode = this.entry(map, 'container');
    const container = containerNode
      ? this.template(containerNode, `${what}.container`, scope, { nonEmpty: true })
      : defaults.container;
    if ((clusterNode && !cluster) || (containerNode && !container)) ok = false;

    const fanOutOption = (key: string): YamlNode | undefined => {
      const n = this.entry(map, key);
      if (n && !fanOut && pick) {
        this.report(
          'FAN_OUT_OPTION_IGNORED',
          this.keyRange(map, key),
          `${what} selects a single task, so "${key}" has no effect; it applies to fan-out steps (pick: all or a number above 1)`,
        );
      }
      return n;
    };
    const concurrencyNode = fanOutOption('concurrency');
    const concurrency = concurrencyNode
      ? this.integer(concurrencyNode, `${what}.concurrency`, 1, 1000)
      : FAN_OUT_DEFAULTS.concurrency;
    const batchNode = fanOutOption('batchSize');
    const batchSize = batchNode
      ? this.integer(batchNode, `${what}.batchSize`, 1, 100)
      : FAN_OUT_DEFAULTS.batchSize;
    const toleranceNode = fanOutOption('toleratedFailures');
    const toleratedFailures = toleranceNode
      ? this.tolerance(toleranceNode, `${what}.toleratedFailures`)
      : { kind: 'count' as const, count: 0 };

    if (
      !ok ||
      !selector ||
      !value ||
      !pick ||
      concurrency === undefined ||
      batchSize === undefined ||
      !toleratedFailures
    ) {
      return undefined;
    }
    return {
      selector,
      value,
      pick,
      ...(cluster ? { cluster } : {}),
      ...(container ? { container } : {}),
      fanOut,
      concurrency,
      toleratedFailures,
      batchSize,
      range: map.range,
    };
  }

  tolerance(node: YamlNode, what: string): ToleratedFailures | undefined {
    const v = node.kind === 'scalar' ? node.value : undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { kind: 'count', count: v };
    if (typeof v === 'string') {
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
      const percent = m ? Number(m[1]) : Number.NaN;
      if (percent >= 0 && percent <= 100) return { kind: 'percent', percent };
    }
    this.report(
      'INVALID_TOLERANCE',
      node.range,
      `${what} is ${describeNode(node)}; accepted: a whole number of failed targets from 0, or a percentage from 0% to 100% such as 10%`,
    );
    return undefined;
  }

  captures(node: YamlNode, where: string): Capture[] | undefined {
    const map = this.expectMap(node, `${where}: capture`, ' of output names to { regex | json, type }');
    if (!map) return undefined;
    const out: Capture[] = [];
    let ok = true;
    for (const entry of map.entries) {
      const name = this.identifierText(entry.key, `the capture name "${entry.key}"`, entry.keyRange);
      const capture = name !== undefined ? this.capture(name, entry.value, entry.keyRange, where) : undefined;
      if (capture) out.push(capture);
      else ok = false;
    }
    return ok ? out : undefined;
  }

  capture(name: string, node: YamlNode, nameRange: SourceRange, where: string): Capture | undefined {
    const what = `${where}: capture "${name}"`;
    const map = this.expectMap(node, what, " such as { regex: '^(\\d+)$', type: integer }");
    if (!map) return undefined;
    this.checkKeys(map, 'capture', what);
    const regexNode = this.entry(map, 'regex');
    const jsonNode = this.entry(map, 'json');
    const groupNode = this.entry(map, 'group');
    let extract: CaptureExtract | undefined;
    if (regexNode && jsonNode) {
      this.report('INVALID_VALUE', this.keyRange(map, 'json'), `${what} has both regex and json; give one`);
    } else if (!regexNode && !jsonNode) {
      this.report('MISSING_KEY', this.headRange(map), `${what} needs "regex" or "json" to find its value`);
    } else if (regexNode) {
      const pattern = this.string(regexNode, `the regex of ${what}`, { nonEmpty: true });
      if (pattern !== undefined) {
        let groups: { count: number; names: string[] } | undefined;
        try {
          new RegExp(pattern, 'm');
          const probe = new RegExp(`(?:${pattern})|`, 'm').exec('');
          groups = { count: (probe?.length ?? 1) - 1, names: Object.keys(probe?.groups ?? {}) };
        } catch (error) {
          this.report(
            'INVALID_REGEX',
            regexNode.range,
            `the regex of ${what} is not a valid JavaScript regular expression: ${(error as Error).message}`,
          );
        }
        if (groups) {
          let group: number | string | undefined = groups.count > 0 ? 1 : 0;
          if (groupNode) {
            const g = groupNode.kind === 'scalar' ? groupNode.value : undefined;
            if (typeof g === 'number' && Number.isSafeInteger(g) && g >= 0 && g <= groups.count) group = g;
            else if (typeof g === 'string' && groups.names.includes(g)) group = g;
            else {
              group = undefined;
              this.report(
                'INVALID_VALUE',
                groupNode.range,
                `the group of ${what} is ${describeNode(groupNode)}; the regex has ${groups.count} group(s)${groups.names.length ? ` named ${list(groups.names)}` : ''}: accepted 0 to ${groups.count}${groups.names.length ? ' or a name' : ''}`,
              );
            }
          }
          if (group !== undefined) extract = { kind: 'regex', pattern, group };
        }
      }
    } else if (jsonNode) {
      if (groupNode) {
        this.report(
          'KEY_NOT_APPLICABLE',
          this.keyRange(map, 'group'),
          `"group" applies to regex captures; ${what} uses json`,
        );
      }
      const path = this.string(jsonNode, `the json path of ${what}`);
      if (path !== undefined) {
        const segments = parseJsonPath(path);
        if (!segments) {
          this.report(
            'INVALID_JSON_PATH',
            jsonNode.range,
            `the json path of ${what} is ${JSON.stringify(path)}; accepted: "." for the whole document, or .name, [index] and ["key"] steps such as .disk.free or .items[0].id`,
          );
        } else if (!groupNode) extract = { kind: 'json', path, segments };
      }
    }
    const typeNode = this.entry(map, 'type');
    let type: ScalarType | undefined;
    const scalarTypes: readonly ScalarType[] = ['string', 'integer', 'number', 'boolean'];
    if (typeNode) {
      const t = this.string(typeNode, `the type of ${what}`);
      if (t !== undefined && (scalarTypes as readonly string[]).includes(t)) type = t as ScalarType;
      else if (t !== undefined) {
        this.report(
          'INVALID_VALUE',
          typeNode.range,
          `the type of ${what} is ${JSON.stringify(t)}${suggestion(t, scalarTypes)}; accepted: ${list(scalarTypes)}`,
        );
      }
    }
    let defaultValue: ScalarValue | undefined;
    const defaultNode = this.entry(map, 'default');
    let defaultOk = true;
    if (defaultNode && type) {
      defaultValue = this.parameterValue(
        { name, type, required: false, range: map.range, nameRange },
        defaultNode,
        `the default of ${what}`,
        'DEFAULT_OUT_OF_RANGE',
      );
      defaultOk = defaultValue !== undefined;
    }
    if (!extract || !type || !defaultOk) return undefined;
    return {
      name,
      type,
      extract,
      ...(defaultValue !== undefined ? { default: defaultValue } : {}),
      range: map.range,
      nameRange,
    };
  }

  approval(node: YamlNode, scope: Scope, where: string): Omit<ApprovalStep, keyof StepCommon> | undefined {
    const what = `${where}: approval`;
    const map = this.expectMap(node, what, ' with message');
    if (!map) return undefined;
    this.checkKeys(map, 'approval', what);
    const messageNode = this.entry(map, 'message');
    const message = messageNode
      ? this.template(messageNode, `${what}.message`, scope, { nonEmpty: true })
      : undefined;
    const timeoutNode = this.entry(map, 'timeout');
    const timeout = timeoutNode
      ? this.duration(timeoutNode, `${what}.timeout`, { wholeSeconds: true, positive: true })
      : { ms: DEFAULT_APPROVAL_TIMEOUT_MS, range: map.range };
    let approvers: string[] | undefined = [];
    const approversNode = this.entry(map, 'approvers');
    if (approversNode) {
      if (approversNode.kind !== 'seq') {
        this.report(
          'WRONG_TYPE',
          approversNode.range,
          `${what}.approvers must be a list of IAM principal ARNs; received ${describeNode(approversNode)}`,
        );
        approvers = undefined;
      } else {
        for (const item of approversNode.items) {
          const arn = this.string(item, 'an approver');
          if (arn !== undefined && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/.test(arn)) {
            this.report(
              'INVALID_ARN',
              item.range,
              `the approver ${JSON.stringify(truncate(arn))} is not an IAM principal ARN; accepted: arn:aws:iam::123456789012:role/ops or …:user/alice`,
            );
            approvers = undefined;
          } else if (arn === undefined) approvers = undefined;
          else approvers?.push(arn);
        }
      }
    }
    if (!message || !timeout || !approvers) return undefined;
    return { kind: 'approval', message, timeout, approvers };
  }

  notify(
    node: YamlNode,
    scope: Scope,
    where: string,
    retry: Retry | undefined,
  ): Omit<NotifyStep, keyof StepCommon> | undefined {
    const what = `${where}: notify`;
    const map = this.expectMap(node, what, ' with topic and message');
    if (!map) return undefined;
    this.checkKeys(map, 'notify', what);
    const topicNode = this.entry(map, 'topic');
    let topic = topicNode ? this.template(topicNode, `${what}.topic`, scope, { nonEmpty: true }) : undefined;
    if (topic && topicNode && topic.parts.every((p) => p.kind === 'text')) {
      const text = topic.parts.map((p) => (p as TemplateText).text).join('');
      if (!SNS_TOPIC_ARN.test(text)) {
        this.report(
          'INVALID_ARN',
          topicNode.range,
          `${what}.topic is ${JSON.stringify(truncate(text))}; accepted: an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops`,
        );
        topic = undefined;
      }
    }
    const messageNode = this.entry(map, 'message');
    const message = messageNode
      ? this.template(messageNode, `${what}.message`, scope, { nonEmpty: true })
      : undefined;
    const subjectNode = this.entry(map, 'subject');
    let subject = subjectNode
      ? this.template(subjectNode, `${what}.subject`, scope, { nonEmpty: true })
      : undefined;
    if (subject && subjectNode && subjectNode.kind === 'scalar' && typeof subjectNode.value === 'string') {
      if (subjectNode.value.length > 100 || /[\n\r]/.test(subjectNode.value)) {
        this.report(
          'VALUE_OUT_OF_RANGE',
          subjectNode.range,
          `${what}.subject has ${subjectNode.value.length} characters or a line break; SNS accepts one line of at most 100`,
        );
        subject = undefined;
      }
    }
    if (!topic || !message || (subjectNode && !subject)) return undefined;
    return { kind: 'notify', topic, message, ...(subject ? { subject } : {}), ...(retry ? { retry } : {}) };
  }

  wait(node: YamlNode, scope: Scope, where: string): Omit<WaitStep, keyof StepCommon> | undefined {
    const what = `${where}: wait`;
    if (node.kind === 'scalar') {
      const duration = this.duration(node, what);
      return duration ? { kind: 'wait', wait: { kind: 'duration', duration } } : undefined;
    }
    const map = this.expectMap(node, what, ' with duration or until');
    if (!map) return undefined;
    this.checkKeys(map, 'wait', what);
    const durationNode = this.entry(map, 'duration');
    const untilNode = this.entry(map, 'until');
    if (durationNode && untilNode) {
      this.report(
        'INVALID_VALUE',
        this.keyRange(map, 'until'),
        `${what} has both duration and until; give one`,
      );
      return undefined;
    }
    if (durationNode) {
      const duration = this.duration(durationNode, `${what}.duration`);
      return duration ? { kind: 'wait', wait: { kind: 'duration', duration } } : undefined;
    }
    if (untilNode) {
      const until = this.template(untilNode, `${what}.until`, scope, { nonEmpty: true });
      if (!until) return undefined;
      const [only] = until.parts;
      if (until.parts.length === 1 && only?.kind === 'text') {
        if (!TIMESTAMP.test(only.text) || Number.isNaN(Date.parse(only.text))) {
          this.report(
            'INVALID_VALUE',
            untilNode.range,
            `${what}.until is ${JSON.stringify(truncate(only.text))}; accepted: an RFC 3339 timestamp such as 2030-01-31T03:00:00Z, or one reference to one`,
          );
          return undefined;
        }
      } else if (
        !(
          until.parts.length === 1 &&
          only?.kind === 'reference' &&
          ['string', 'unknown'].includes(only.reference.type.base)
        )
      ) {
        this.report(
          'EXPRESSION_TYPE',
          untilNode.range,
          `${what}.until must be a timestamp or exactly one reference to a string; received ${describeNode(untilNode)}`,
        );
        return undefined;
      }
      return { kind: 'wait', wait: { kind: 'until', until } };
    }
    this.report('MISSING_KEY', this.headRange(map), `${what} needs "duration" or "until"`);
    return undefined;
  }

  parallel(
    node: YamlNode,
    scope: Scope,
    defaults: Defaults,
    where: string,
    timeout: Duration | undefined,
  ): { step?: Omit<ParallelStep, keyof StepCommon>; inner: StepInfo[] } {
    const what = `${where}: parallel`;
    const map = this.expectMap(node, what, ' with branches');
    if (!map) return { inner: [] };
    this.checkKeys(map, 'parallel', what);
    const branchesNode = this.entry(map, 'branches');
    if (!branchesNode) return { inner: [] };
    if (branchesNode.kind !== 'seq' || branchesNode.items.length === 0) {
      this.report(
        branchesNode.kind === 'seq' ? 'EMPTY_STEPS' : 'WRONG_TYPE',
        branchesNode.range,
        `${what}.branches must be a non-empty list of { steps: [...] }; received ${describeNode(branchesNode)}`,
      );
      return { inner: [] };
    }
    const branches: Branch[] = [];
    const inner: StepInfo[] = [];
    let ok = true;
    branchesNode.items.forEach((item, index) => {
      const branchWhat = `${where}: branch ${index + 1}`;
      const branchMap = this.expectMap(item, branchWhat, ' such as { steps: [...] }');
      if (!branchMap) {
        ok = false;
        return;
      }
      this.checkKeys(branchMap, 'branch', branchWhat);
      const stepsNode = this.entry(branchMap, 'steps');
      if (!stepsNode) {
        ok = false;
        return;
      }
      // Each branch sees only the steps before the parallel step, not its sibling branches.
      const walked = this.stepList(stepsNode, scope, defaults, `the steps of ${branchWhat}`);
      inner.push(...walked.added);
      if (walked.steps.length === 0) ok = false;
      branches.push({ steps: walked.steps, range: branchMap.range });
    });
    if (!ok) return { inner };
    return { step: { kind: 'parallel', branches, ...(timeout ? { timeout } : {}) }, inner };
  }

  runbookCall(
    node: YamlNode,
    scope: Scope,
    where: string,
    timeout: Duration | undefined,
    retry: Retry | undefined,
  ): { step?: Omit<RunbookStep, keyof StepCommon>; outputs?: RunbookSignature['outputs'] } {
    const what = `${where}: runbook`;
    let nameNode: YamlNode | undefined;
    let parametersNode: YamlNode | undefined;
    if (node.kind === 'scalar') nameNode = node;
    else {
      const map = this.expectMap(node, what, ' such as { name: other-runbook, parameters: {…} }');
      if (!map) return {};
      this.checkKeys(map, 'runbookCall', what);
      nameNode = this.entry(map, 'name');
      parametersNode = this.entry(map, 'parameters');
    }
    const name = nameNode ? this.kebabName(nameNode, `${what} name`) : undefined;
    if (name !== undefined && name === this.#runbookName && nameNode) {
      this.report(
        'RECURSIVE_RUNBOOK',
        nameNode.range,
        `${where} runs "${name}", the runbook it belongs to; a runbook cannot call itself`,
      );
      return {};
    }
    const signature =
      name !== undefined && this.#resolveRunbook ? safeResolve(this.#resolveRunbook, name) : undefined;
    if (name !== undefined && this.#resolveRunbook && !signature && nameNode) {
      this.report('UNKNOWN_RUNBOOK', nameNode.range, `${where} runs "${name}", which is not a known runbook`);
      return {};
    }
    const parameters: RunbookArgument[] = [];
    let ok = name !== undefined;
    const parametersMap = parametersNode ? this.expectMap(parametersNode, `${what}.parameters`) : undefined;
    if (parametersNode && !parametersMap) ok = false;
    for (const entry of parametersMap?.entries ?? []) {
      const declared = signature?.parameters.find((p) => p.name === entry.key);
      if (signature && !declared) {
        this.report(
          'UNKNOWN_PARAMETER',
          entry.keyRange,
          `runbook "${name}" has no parameter "${entry.key}"${suggestion(
            entry.key,
            signature.parameters.map((p) => p.name),
          )}; declared: ${list(signature.parameters.map((p) => p.name))}`,
        );
        ok = false;
        continue;
      }
      const value = this.argument(entry.value, `${what}.parameters.${entry.key}`, scope);
      if (!value) {
        ok = false;
        continue;
      }
      if (declared && value.kind === 'literal') {
        if (
          this.parameterValue(
            declared,
            entry.value,
            `${what}.parameters.${entry.key}`,
            'VALUE_OUT_OF_RANGE',
          ) === undefined
        )
          ok = false;
      }
      parameters.push({ name: entry.key, value, range: entry.value.range });
    }
    for (const p of signature?.parameters ?? []) {
      if (p.required && !parametersMap?.entries.some((e) => e.key === p.name) && nameNode) {
        this.report(
          'MISSING_PARAMETER',
          nameNode.range,
          `${where} does not set "${p.name}", a required parameter of runbook "${name}"`,
        );
        ok = false;
      }
    }
    if (!ok || name === undefined || !nameNode)
      return { ...(signature ? { outputs: signature.outputs } : {}) };
    return {
      step: {
        kind: 'runbook',
        runbook: name,
        runbookRange: nameNode.range,
        parameters,
        ...(timeout ? { timeout } : {}),
        ...(retry ? { retry } : {}),
      },
      ...(signature ? { outputs: signature.outputs } : {}),
    };
  }

  fail(node: YamlNode, scope: Scope, where: string): Omit<FailStep, keyof StepCommon> | undefined {
    const what = `${where}: fail`;
    if (node.kind === 'scalar' && node.value === null) return { kind: 'fail', error: 'RunbookFailed' };
    if (node.kind === 'scalar') {
      const cause = this.template(node, `${what} cause`, scope, { nonEmpty: true });
      return cause ? { kind: 'fail', error: 'RunbookFailed', cause } : undefined;
    }
    const map = this.expectMap(node, what, ' such as { error: DiskFull, cause: "…" }');
    if (!map) return undefined;
    this.checkKeys(map, 'fail', what);
    let error: string | undefined = 'RunbookFailed';
    const errorNode = this.entry(map, 'error');
    if (errorNode) {
      error = this.string(errorNode, `${what}.error`, { nonEmpty: true });
      if (
        error !== undefined &&
        (!/^[A-Za-z][A-Za-z0-9_.-]{0,127}$/.test(error) || error.startsWith('States.'))
      ) {
        this.report(
          'INVALID_NAME',
          errorNode.range,
          `${what}.error is ${JSON.stringify(truncate(error))}; accepted: a name of letters, digits, "_", "-" and ".", such as DiskFull, not starting with "States."`,
        );
        error = undefined;
      }
    }
    const causeNode = this.entry(map, 'cause');
    const cause = causeNode
      ? this.template(causeNode, `${what}.cause`, scope, { nonEmpty: true })
      : undefined;
    if (error === undefined || (causeNode && !cause)) return undefined;
    return { kind: 'fail', error, ...(cause ? { cause } : {}) };
  }

  succeed(node: YamlNode, scope: Scope, where: string): Omit<SucceedStep, keyof StepCommon> | undefined {
    const what = `${where}: succeed`;
    if (node.kind === 'scalar' && node.value === null) return { kind: 'succeed' };
    if (node.kind === 'scalar') {
      const message = this.template(node, `${what} message`, scope, { nonEmpty: true });
      return message ? { kind: 'succeed', message } : undefined;
    }
    const map = this.expectMap(node, what, ' such as {} or { message: "…" }');
    if (!map) return undefined;
    this.checkKeys(map, 'succeed', what);
    const messageNode = this.entry(map, 'message');
    const message = messageNode
      ? this.template(messageNode, `${what}.message`, scope, { nonEmpty: true })
      : undefined;
    if (messageNode && !message) return undefined;
    return { kind: 'succeed', ...(message ? { message } : {}) };
  }

  outputs(node: YamlNode | undefined, scope: Scope): RunbookOutput[] {
    if (!node) return [];
    const map = this.expectMap(node, 'outputs', ' of output names to values');
    if (!map) return [];
    const out: RunbookOutput[] = [];
    for (const entry of map.entries) {
      const name = this.identifierText(entry.key, `the output name "${entry.key}"`, entry.keyRange);
      const value = this.argument(entry.value, `outputs.${entry.key}`, scope);
      if (name !== undefined && value) out.push({ name, value, range: entry.value.range });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  argument(node: YamlNode, what: string, scope: Scope): ArgumentValue | undefined {
    if (node.kind === 'scalar' && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
        this.report('WRONG_TYPE', node.range, `${what} is ${describeNode(node)}; accepted: a finite number`);
        return undefined;
      }
      return { kind: 'literal', value: node.value, range: node.range };
    }
    if (node.kind === 'scalar' && typeof node.value === 'string' && !node.value.includes('${{')) {
      return { kind: 'literal', value: node.value, range: node.range };
    }
    const template = this.template(node, what, scope);
    return template ? { kind: 'template', template } : undefined;
  }

  /** A string that may interpolate references. */
  template(
    node: YamlNode,
    what: string,
    scope: Scope,
    options: { nonEmpty?: boolean } = {},
  ): Template | undefined {
    const value = this.string(node, what, options);
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
      const reference = this.referenceIn(node, offsets, span, scope, what);
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
  referenceIn(
    node: YamlScalar,
    offsets: readonly number[],
    span: ReturnType<typeof findExpressions>[number],
    scope: Scope,
    what: string,
  ): Reference | undefined {
    const toRange = (start: number, end: number): SourceRange =>
      scalarSpanRange(this.#positions, node, offsets, span.innerStart + start, span.innerStart + end);
    if (!span.closed) {
      this.report(
        'EXPRESSION_SYNTAX',
        scalarSpanRange(this.#positions, node, offsets, span.start, span.start + 3),
        `an expression in ${what} starts with "\${{" but no "}}" closes it`,
      );
      return undefined;
    }
    const parsed = parseExpression(span.inner);
    if (!parsed.node) {
      for (const p of parsed.problems)
        this.report('EXPRESSION_SYNTAX', toRange(p.start, p.end), `in ${what}: ${p.message}`);
      return undefined;
    }
    if (parsed.node.kind !== 'path') {
      this.report(
        'NOT_A_REFERENCE',
        toRange(parsed.node.start, parsed.node.end),
        `${what} interpolates ${JSON.stringify(truncate(span.inner.trim()))}; only a single reference such as params.name, steps.<id>.outputs.<name> or trigger.alarm.name can be interpolated (operators belong in "when")`,
      );
      return undefined;
    }
    const checked = checkExpression(
      parsed.node,
      (segments) => this.resolve(segments, scope, toRange),
      toRange,
    );
    this.reportProblems(checked.problems, toRange, what);
    if (checked.expr?.kind !== 'reference') return undefined;
    return checked.expr.reference;
  }

  reportProblems(
    problems: readonly CheckProblem[],
    toRange: (s: number, e: number) => SourceRange,
    what: string,
  ): void {
    for (const p of problems)
      this.report(p.code as DiagnosticCode, toRange(p.start, p.end), `in ${what}: ${p.message}`);
  }

  /** A `when`: a boolean scalar, one `${{ … }}`, or a bare expression. */
  condition(node: YamlNode, scope: Scope, where: string): Condition | undefined {
    const what = `${where}: when`;
    if (node.kind === 'scalar' && typeof node.value === 'boolean') {
      return {
        expr: { kind: 'literal', value: node.value, type: TYPES.boolean, range: node.range },
        source: String(node.value),
        range: node.range,
      };
    }
    if (node.kind !== 'scalar' || typeof node.value !== 'string') {
      this.report(
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
        this.report(
          'WHEN_NOT_BOOLEAN',
          node.range,
          `${what} mixes text and expressions, which makes a string; write the whole condition as one expression: "\${{ a && b }}"`,
        );
        return undefined;
      }
      if (!span.closed) {
        this.report(
          'EXPRESSION_SYNTAX',
          scalarSpanRange(this.#positions, node, offsets, span.start, span.start + 3),
          `${what} starts with "\${{" but no "}}" closes it`,
        );
        return undefined;
      }
      innerStart = span.innerStart;
      inner = span.inner;
    }
    const toRange = (start: number, end: number): SourceRange =>
      scalarSpanRange(this.#positions, node, offsets, innerStart + start, innerStart + end);
    const parsed = parseExpression(inner);
    if (!parsed.node) {
      for (const p of parsed.problems)
        this.report('EXPRESSION_SYNTAX', toRange(p.start, p.end), `in ${what}: ${p.message}`);
      return undefined;
    }
    const checked = checkExpression(
      parsed.node,
      (segments) => this.resolve(segments, scope, toRange),
      toRange,
    );
    this.reportProblems(checked.problems, toRange, what);
    if (!checked.expr) return undefined;
    if (checked.expr.type.base !== 'boolean' && checked.expr.type.base !== 'unknown') {
      this.report(
        'WHEN_NOT_BOOLEAN',
        toRange(parsed.node.start, parsed.node.end),
        `${what} is ${formatType(checked.expr.type)}, not boolean; compare it, for example "${inner.trim()} == …"`,
      );
      return undefined;
    }
    return { expr: checked.expr, source: inner.trim(), range: node.range };
  }

  /** Resolves a path against the parameters, the scope and the trigger fields. */
  resolve(
    segments: readonly PathSegment[],
    scope: Scope,
    toRange: (start: number, end: number) => SourceRange,
  ): Resolution<DiagnosticCode> {
    const [root, second, third, fourth, ...rest] = segments;
    const path = segments.map((s) => s.name).join('.');
    const whole = { start: root?.start ?? 0, end: segments[segments.length - 1]?.end ?? 0 };
    const fail = (
      code: DiagnosticCode,
      message: string,
      at: { start: number; end: number } = whole,
    ): Resolution<DiagnosticCode> => ({
      ok: false,
      problem: { code, message, start: at.start, end: at.end },
    });
    if (!root) return fail('UNKNOWN_REFERENCE', 'empty reference');
    switch (root.name) {
      case 'params': {
        if (!second || third)
          return fail('UNKNOWN_REFERENCE', `"${path}" is not a parameter reference; write params.<name>`);
        const parameter = this.#params.get(second.name);
        if (!parameter) {
          if (this.#paramNames.has(second.name))
            return { ok: true, target: { kind: 'param', name: second.name }, path, type: TYPES.unknown };
          return fail(
            'UNKNOWN_PARAMETER',
            `"${second.name}" is not a declared parameter${suggestion(second.name, this.#paramNames)}; declared: ${list([...this.#paramNames])}`,
            second,
          );
        }
        const type: ValueType =
          parameter.type === 'enum'
            ? { base: 'string', nullable: false, values: parameter.values ?? [] }
            : { base: parameter.type, nullable: false };
        return { ok: true, target: { kind: 'param', name: second.name }, path, type };
      }
      case 'steps': {
        if (!second || !third) {
          return fail(
            'UNKNOWN_REFERENCE',
            `"${path}" is incomplete; write steps.<id>.status, steps.<id>.exitCode or steps.<id>.outputs.<name>`,
          );
        }
        const info = scope.get(second.name);
        if (!info) {
          const order = this.#stepOrder.get(second.name);
          if (order === undefined) {
            return fail(
              'UNKNOWN_STEP',
              `no step has the id "${second.name}"${suggestion(second.name, this.#stepOrder.keys())}`,
              second,
            );
          }
          if (order >= this.#currentOrder) {
            return fail(
              'FORWARD_REFERENCE',
              `step "${second.name}" ${order === this.#currentOrder ? 'is this step itself' : 'runs later'}; a step can only reference steps that ran before it`,
              second,
            );
          }
          return fail(
            'STEP_NOT_IN_SCOPE',
            `step "${second.name}" is not on the way to this point (it is in another parallel branch, inside a step that contains this one, or in an onFailure list this point does not follow)`,
            second,
          );
        }
        if (third.name === 'status' && !fourth) {
          return {
            ok: true,
            target: { kind: 'step', stepId: second.name, field: 'status' },
            path,
            type: { base: 'string', nullable: false, values: STEP_STATUSES },
          };
        }
        if (third.name === 'exitCode' && !fourth) {
          if (info.kind !== undefined && !info.singleExec && !(info.kind === 'exec' && info.openOutputs)) {
            return fail(
              'UNKNOWN_OUTPUT',
              `step "${second.name}" has no exitCode: only single-target exec steps have one${info.fanOut ? ' (a fan-out step has outputs.failed, outputs.succeeded, outputs.total)' : ''}`,
              third,
            );
          }
          return {
            ok: true,
            target: { kind: 'step', stepId: second.name, field: 'exitCode' },
            path,
            type: { base: 'integer', nullable: true },
          };
        }
        if (third.name === 'outputs' && fourth && rest.length === 0) {
          const output = info.outputs.get(fourth.name);
          const target = { kind: 'stepOutput' as const, stepId: second.name, output: fourth.name };
          if (!output) {
            if (info.openOutputs) return { ok: true, target, path, type: TYPES.unknown };
            return fail(
              'UNKNOWN_OUTPUT',
              `step "${second.name}" has no output "${fourth.name}"${suggestion(fourth.name, info.outputs.keys())}; its outputs: ${list([...info.outputs.keys()])}`,
              fourth,
            );
          }
          if (!info.guaranteed && !output.hasDefault) {
            return fail(
              'OUTPUT_MAY_BE_UNSET',
              `step "${second.name}" may not have run or succeeded here (it has a "when", an onFailure other than fail, or sits in an onFailure list), so "${fourth.name}" may be unset; give the capture a "default"`,
              whole,
            );
          }
          return { ok: true, target, path, type: output.type };
        }
        return fail(
          'UNKNOWN_REFERENCE',
          `"${path}" is not a step reference; write steps.${second.name}.status, steps.${second.name}.exitCode or steps.${second.name}.outputs.<name>`,
          third,
        );
      }
      case 'trigger': {
        const field = segments
          .slice(1)
          .map((s) => s.name)
          .join('.');
        if (!(TRIGGER_FIELDS as readonly string[]).includes(field)) {
          return fail(
            'UNKNOWN_REFERENCE',
            `"${path}" is not a trigger field${suggestion(field, TRIGGER_FIELDS)}; accepted: ${TRIGGER_FIELDS.map((f) => `trigger.${f}`).join(', ')}`,
          );
        }
        const kind = field.split('.')[0] as string;
        if (kind !== 'type' && !this.#triggerKinds.has(kind)) {
          this.report(
            'TRIGGER_NOT_DECLARED',
            toRange(whole.start, whole.end),
            `"${path}" is always empty: the runbook declares no ${kind} trigger`,
          );
        }
        const type: ValueType =
          field === 'type' ? { base: 'string', nullable: false, values: TRIGGER_TYPES } : TYPES.string;
        return { ok: true, target: { kind: 'trigger', field: field as TriggerField }, path, type };
      }
      default: {
        const hint = ['inputs', 'parameters', 'param', 'input'].includes(root.name)
          ? '; did you mean "params"?'
          : suggestion(root.name, ['params', 'steps', 'trigger']);
        return fail(
          'UNKNOWN_REFERENCE',
          `"${path}" starts with "${root.name}"${hint}; references start with params., steps. or trigger.`,
          root,
        );
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------

  command(node: YamlNode, scope: Scope, where: string): Command | undefined {
    const what = `${where}: command`;
    const script = this.string(node, what);
    if (script === undefined || node.kind !== 'scalar') return undefined;
    if (script.trim() === '') {
      this.report('INVALID_VALUE', node.range, `${what} is empty; ECS Exec refuses an empty command`);
      return undefined;
    }
    const spans = findExpressions(script);
    const offsets = scalarOffsets(node);
    const { contexts, problems } = classifyCommand(script, spans);
    for (const p of problems) {
      this.report(
        'COMMAND_SYNTAX',
        scalarSpanRange(this.#positions, node, offsets, p.start, p.end),
        `in ${what}: ${p.message}`,
      );
    }
    const expressions: CommandExpression[] = [];
    let ok = true;
    spans.forEach((span, index) => {
      const reference = this.referenceIn(node, offsets, span, scope, what);
      const range = scalarSpanRange(this.#positions, node, offsets, span.start, span.end);
      const context = contexts[index] ?? 'unquoted';
      if (!reference) {
        ok = false;
        return;
      }
      switch (context) {
        case 'single-quotes':
        case 'ansi-c-quotes':
        case 'literal-heredoc': {
          const place =
            context === 'single-quotes'
              ? "single quotes ('…')"
              : context === 'ansi-c-quotes'
                ? "$'…' quotes"
                : "a heredoc with a quoted delimiter (<<'EOF')";
          this.report(
            'EXPRESSION_IN_SINGLE_QUOTES',
            range,
            `in ${what}: ${reference.path} sits inside ${place}, where no variable expands; move it outside the quotes or into double quotes ("…${span.inner.trim() ? `\${{ ${span.inner.trim()} }}` : ''}…")`,
          );
          ok = false;
          return;
        }
        case 'backticks':
          this.report(
            'EXPRESSION_IN_BACKTICKS',
            range,
            `in ${what}: ${reference.path} sits inside a backtick command substitution, whose quoting cannot be rewritten safely; use $( … ) instead`,
          );
          ok = false;
          return;
        case 'escaped':
          this.report(
            'EXPRESSION_IN_SINGLE_QUOTES',
            range,
            `in ${what}: a backslash escapes the "$" of this expression, so its value could not expand; remove the backslash`,
          );
          ok = false;
          return;
        case 'arithmetic':
          if (!['integer', 'number', 'unknown'].includes(reference.type.base)) {
            this.report(
              'EXPRESSION_IN_ARITHMETIC',
              range,
              `in ${what}: ${reference.path} is ${formatType(reference.type)} inside $(( … )), where the shell would evaluate its text; only integer and number values are accepted there`,
            );
            ok = false;
            return;
          }
          break;
        case 'comment':
          this.report(
            'EXPRESSION_IN_COMMENT',
            range,
            `in ${what}: ${reference.path} sits in a shell comment and has no effect`,
          );
          break;
      }
      expressions.push({
        start: span.start,
        end: span.end,
        reference,
        context: context as CommandExpression['context'],
        range,
      });
    });
    if (!ok) return undefined;
    return { script, expressions, range: node.range };
  }
}

function safeResolve(
  resolve: NonNullable<ValidateOptions['resolveRunbook']>,
  name: string,
): RunbookSignature | undefined {
  try {
    return resolve(name);
  } catch {
    return undefined;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.trim() !== '' && !/^[+-]/.test(tz);
  } catch {
    return false;
  }
}

/** Parses `.a.b[0]["x y"]` into segments; `.` alone is the whole document. */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  if (path === '.') return [];
  const segments: (string | number)[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'((?:[^'])*)'\s*\]/y;
  let i = 0;
  if (!path.startsWith('.') && !path.startsWith('[')) return undefined;
  if (path.startsWith('.[')) i = 1;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) {
      try {
        segments.push(JSON.parse(`"${m[3]}"`) as string);
      } catch {
        return undefined;
      }
    } else segments.push(m[4] ?? '');
    i = re.lastIndex;
  }
  return segments.length > 0 ? segments : undefined;
}
