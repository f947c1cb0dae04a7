/**
 * Stage 4: a definition object to its JSON text, two-space indented, keys in the order lowering
 * built them (which is deterministic), ending with a newline.
 *
 * One difference from `JSON.stringify`: text that merely looks like a placeholder (a script's
 * `${OutputBucket}`) is written `\u0024{OutputBucket}`, which parses to the same string but is
 * not a `${…}` token, so CloudFormation's definition substitution cannot rewrite user text.
 * Real placeholders (a whole string under `Resource`, `FunctionName` …) stay as they are.
 */
import type { Json } from './asl.ts';
import { CompileError } from './errors.ts';
import { isPlaceholderName, PLACEHOLDER_KEYS, placeholderOf } from './placeholders.ts';

const TOKEN_RE = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Options of {@link emitDefinition}. */
export interface EmitOptions {
  /**
   * No whitespace and no final newline: the smallest text, for definitions near Step
   * Functions' 1 MB limit.
   *
   * @default false
   */
  readonly compact?: boolean;
}

/**
 * The JSON text of a definition (or any JSON value built by the compiler).
 *
 * @example
 * ```ts
 * emitDefinition(lowerRunbook(runbook)); // '{\n  "Comment": "purge-temp-files…",\n  "StartAt": …'
 * ```
 */
export function emitDefinition(definition: Json, options: EmitOptions = {}): string {
  return options.compact ? write(definition, undefined, undefined) : `${write(definition, '', undefined)}\n`;
}

/** `indent` undefined: compact. */
function write(value: Json, indent: string | undefined, key: string | undefined): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new CompileError('INVALID_MODEL', `a definition holds the number ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return writeString(value, key);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (indent === undefined) return `[${value.map((item) => write(item, undefined, undefined)).join(',')}]`;
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${write(item, inner, undefined)}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  if (indent === undefined)
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, undefined, k)}`).join(',')}}`;
  const inner = `${indent}  `;
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner, k)}`).join(',\n')}\n${indent}}`;
}

function writeString(value: string, key: string | undefined): string {
  const text = JSON.stringify(value);
  if (key !== undefined && PLACEHOLDER_KEYS.has(key) && placeholderOf(value)) return text;
  return text.replace(TOKEN_RE, (token, name: string) =>
    isPlaceholderName(name) ? `\\u0024{${name}}` : token,
  );
}
