/**
 * Diagnostics: every problem found in a runbook, with a stable code and a source range.
 *
 * Codes form a closed set; docs/diagnostics.md explains each one with an example. Tests assert
 * codes and ranges, never the prose of messages.
 */
import type { SourceRange } from './model.ts';

/** Every diagnostic code, its severity and a one-line summary (docs/diagnostics.md has more). */
export const DIAGNOSTIC_CODES = {
  YAML_SYNTAX: { severity: 'error', summary: 'The file is not valid YAML.' },
  MULTIPLE_DOCUMENTS: { severity: 'error', summary: 'The file holds more than one YAML document.' },
  DUPLICATE_KEY: { severity: 'error', summary: 'A mapping repeats a key.' },
  UNKNOWN_KEY: { severity: 'error', summary: 'A key the language does not define.' },
  MISSING_KEY: { severity: 'error', summary: 'A required key is absent.' },
  WRONG_TYPE: { severity: 'error', summary: 'A value has the wrong YAML type.' },
  INVALID_VALUE: { severity: 'error', summary: 'A value of the right type that is not accepted.' },
  INVALID_NAME: { severity: 'error', summary: 'A name or identifier is not spelled as required.' },
  VALUE_OUT_OF_RANGE: { severity: 'error', summary: 'A number or length is outside its allowed range.' },
  DEFAULT_OUT_OF_RANGE: { severity: 'error', summary: "A parameter's default breaks its own constraints." },
  KEY_NOT_APPLICABLE: { severity: 'error', summary: 'A key that this kind of step does not take.' },
  DUPLICATE_STEP_ID: { severity: 'error', summary: 'Two steps share an id.' },
  MULTIPLE_STEP_KINDS: { severity: 'error', summary: 'A step has more than one kind key.' },
  NO_STEP_KIND: { severity: 'error', summary: 'A step has no kind key.' },
  EMPTY_STEPS: { severity: 'error', summary: 'A step list is empty.' },
  UNREACHABLE_STEP: { severity: 'error', summary: 'A step after an unconditional `fail` or `succeed`.' },
  TARGET_INCOMPLETE: { severity: 'error', summary: 'An exec target names no task selection.' },
  TARGET_AMBIGUOUS: { severity: 'error', summary: 'An exec target names several task selections.' },
  INVALID_TOLERANCE: { severity: 'error', summary: '`toleratedFailures` is not a count or a percentage.' },
  FAN_OUT_OPTION_IGNORED: { severity: 'warning', summary: 'A fan-out setting on a single-target step.' },
  CAPTURE_ON_FANOUT: { severity: 'error', summary: '`capture` on a fan-out exec step.' },
  INVALID_REGEX: { severity: 'error', summary: 'A capture regex or parameter pattern does not compile.' },
  INVALID_JSON_PATH: { severity: 'error', summary: 'A capture JSON path is not `.a.b[0]` syntax.' },
  INVALID_DURATION: {
    severity: 'error',
    summary: 'A duration is not `500ms`, `30s`, `5m`, `1h30m` or seconds.',
  },
  INVALID_CRON: { severity: 'error', summary: 'A schedule is not a six-field EventBridge cron expression.' },
  INVALID_TIMEZONE: { severity: 'error', summary: 'A schedule time zone is not an IANA time zone name.' },
  INVALID_ARN: { severity: 'error', summary: 'A literal SNS topic is not an SNS topic ARN.' },
  MISSING_PARAMETER: { severity: 'error', summary: 'A required parameter is not given a value.' },
  EXPRESSION_SYNTAX: { severity: 'error', summary: 'An expression does not parse.' },
  EXPRESSION_TYPE: { severity: 'error', summary: 'An expression combines values of incompatible types.' },
  WHEN_NOT_BOOLEAN: { severity: 'error', summary: 'A `when` is not a boolean expression.' },
  NOT_A_REFERENCE: { severity: 'error', summary: 'An interpolated expression is not a single reference.' },
  UNKNOWN_REFERENCE: { severity: 'error', summary: 'A reference that names nothing the language defines.' },
  UNKNOWN_PARAMETER: { severity: 'error', summary: 'A parameter that is not declared.' },
  UNKNOWN_STEP: { severity: 'error', summary: 'A step id that no step has.' },
  UNKNOWN_OUTPUT: { severity: 'error', summary: 'An output the referenced step does not produce.' },
  FORWARD_REFERENCE: { severity: 'error', summary: 'A reference to the step itself or a later step.' },
  STEP_NOT_IN_SCOPE: {
    severity: 'error',
    summary: 'A reference to a step in another parallel branch or in a nested list that cannot have run.',
  },
  OUTPUT_MAY_BE_UNSET: {
    severity: 'error',
    summary: 'An output of a step that may not have run or succeeded, with no `default`.',
  },
  TRIGGER_NOT_DECLARED: {
    severity: 'warning',
    summary: '`trigger.<kind>.*` in a runbook without that trigger.',
  },
  EXPRESSION_IN_SINGLE_QUOTES: {
    severity: 'error',
    summary: "An expression in a command where no variable expands (single quotes, `$'…'`, quoted heredoc).",
  },
  EXPRESSION_IN_BACKTICKS: {
    severity: 'error',
    summary: 'An expression inside a backtick command substitution.',
  },
  EXPRESSION_IN_ARITHMETIC: { severity: 'error', summary: 'A non-numeric expression inside `$(( … ))`.' },
  EXPRESSION_IN_COMMENT: {
    severity: 'warning',
    summary: 'An expression inside a shell comment has no effect.',
  },
  COMMAND_SYNTAX: { severity: 'warning', summary: 'A command has an unterminated quote or heredoc.' },
  VALUE_IN_CODE_POSITION: {
    severity: 'warning',
    summary: 'A string value where a shell (or a nested interpreter) reads text as code or arithmetic.',
  },
  EXPRESSION_AFTER_DOLLAR: {
    severity: 'error',
    summary: 'An expression right after a `$` (`$${{ x }}` reads `$$`, the shell’s PID, first).',
  },
  RECURSIVE_RUNBOOK: { severity: 'error', summary: 'A `runbook` step calls the runbook it is in.' },
  UNKNOWN_RUNBOOK: {
    severity: 'error',
    summary: 'A `runbook` step names a runbook the resolver does not know.',
  },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

/** A diagnostic code: a closed SCREAMING_SNAKE set. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** `error` prevents a model; `warning` does not. */
export type Severity = 'error' | 'warning';

/** One problem in a runbook. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  /** What was wrong, the value received and what is accepted. */
  readonly message: string;
  readonly range: SourceRange;
  readonly file: string;
}

/** Every code, in the table's order. */
export const ALL_DIAGNOSTIC_CODES = Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[];

/** Whether any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics by position, then code, for stable output. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.range.start.offset - b.range.start.offset || a.code.localeCompare(b.code),
  );
}

/**
 * Collects diagnostics for one file; the stages share one.
 *
 * Internal plumbing, exported so each stage can be called alone with its own collector.
 */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];

  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  /** Records a diagnostic with the code's severity. */
  report(code: DiagnosticCode, range: SourceRange, message: string): void {
    this.diagnostics.push({
      code,
      severity: DIAGNOSTIC_CODES[code].severity,
      message,
      range,
      file: this.file,
    });
  }
}

/**
 * Prints a diagnostic for a terminal: `file:line:col: error CODE: message`, then the offending
 * line and carets under the range's part of that line.
 *
 * @example
 * ```text
 * runbooks/x.yaml:12:11: error INVALID_DURATION: timeout is "5 minutes"; accepted: 500ms, 30s, 5m, 1h30m, or a bare integer of seconds
 *    12 |   timeout: 5 minutes
 *       |            ^^^^^^^^^
 * ```
 */
export function formatDiagnostic(source: string, d: Diagnostic): string {
  const { start, end } = d.range;
  const head = `${d.file}:${start.line}:${start.col}: ${d.severity} ${d.code}: ${d.message}`;
  const lines = source.split(/\r\n|\n|\r/);
  const line = lines[start.line - 1];
  if (line === undefined) return head;
  const shown = line.replace(/\t/g, ' ');
  const from = Math.min(start.col - 1, shown.length);
  const to = end.line === start.line ? Math.min(end.col - 1, shown.length) : shown.length;
  const width = Math.max(1, to - from);
  const gutter = String(start.line).padStart(5);
  const pad = ' '.repeat(gutter.length);
  return `${head}\n${gutter} | ${shown}\n${pad} | ${' '.repeat(from)}${'^'.repeat(width)}`;
}
