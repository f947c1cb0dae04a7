/**
 * The validator's state and its shape readers: the typed views of YAML nodes (mappings with
 * known keys, strings, integers, identifiers, names, durations) that report a diagnostic and
 * return undefined when a node has the wrong shape.
 *
 * Every concern of the validator (parameters, triggers, steps, references, commands) is a
 * function taking this object first, so the state one run collects lives in one place.
 */
import { MAX_TIMER_MS } from '../../shared/clock.ts';
import { DURATION_FORMS, formatDuration, parseDuration } from '../../shared/duration.ts';
import { type DiagnosticCode, DiagnosticSink } from '../diagnostics.ts';
import type { Duration, Parameter, SourceRange } from '../model.ts';
import type { ParsedYaml, YamlMap, YamlNode } from '../parse.ts';
import { keysOf, type MappingName, requiredKeysOf } from '../schema.ts';
import { describeNode, list, suggestion, truncate } from './describe.ts';
import type { ValidateOptions } from './validate-runbook.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_ID_LENGTH = 64;
/** A step timeout is a timer in the exec layer: Node timers hold at most 2^31 − 1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = MAX_TIMER_MS;

/** One validation run: the diagnostics, the source, and what the walk has learnt so far. */
export class Validation {
  readonly sink: DiagnosticSink;
  readonly positions: ParsedYaml['positions'];
  readonly root: YamlNode | undefined;
  readonly source: string;
  readonly resolveRunbook: ValidateOptions['resolveRunbook'];
  readonly params = new Map<string, Parameter>();
  /** Parameters declared, even those with errors, so references to them do not cascade. */
  readonly paramNames = new Set<string>();
  readonly triggerKinds = new Set<string>();
  /** Every step id in document order (a step, its branches, then its onFailure list). */
  readonly stepOrder = new Map<string, number>();
  readonly orderOf = new WeakMap<YamlNode, number>();
  /** The document order of the step being read: references may only point before it. */
  currentOrder = Number.POSITIVE_INFINITY;
  runbookName: string | undefined;

  constructor(parsed: ParsedYaml, options: ValidateOptions) {
    this.sink = new DiagnosticSink(options.file);
    this.positions = parsed.positions;
    this.root = parsed.root;
    this.source = parsed.source;
    this.resolveRunbook = options.resolveRunbook;
  }

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
    const lineEnd = this.source.indexOf('\n', start.offset);
    return this.positions.range(start.offset, lineEnd < 0 ? end.offset : lineEnd);
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
}
