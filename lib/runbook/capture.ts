/**
 * Reading a capture's value from a target's output, as the exec handler does after a step
 * succeeded. Pure, so the handler, the local runner and the tests share one definition.
 */
import type { Capture, ScalarType, ScalarValue } from './model.ts';

/** A captured value, or why there is none. */
export type CaptureResult =
  | { readonly ok: true; readonly value: ScalarValue }
  | { readonly ok: false; readonly reason: string };

/**
 * Extracts `capture` from `output` (normalised: LF line ends).
 *
 * - regex: the first match of the pattern with the `m` flag (so `^` and `$` match at line
 *   boundaries); the chosen group's text is converted to the type.
 * - json: the output, trimmed, parsed as JSON; when that fails, its last non-empty line. The path
 *   is walked; strings are converted to the type, other JSON values must already have it.
 *
 * A capture that finds nothing takes its `default`, else fails.
 */
export function extractCapture(output: string, capture: Capture): CaptureResult {
  const found = find(output, capture);
  if (found.ok) return found;
  if (capture.default !== undefined) return { ok: true, value: capture.default };
  return found;
}

function find(output: string, capture: Capture): CaptureResult {
  const { extract, type } = capture;
  if (extract.kind === 'regex') {
    let match: RegExpExecArray | null;
    try {
      match = new RegExp(extract.pattern, 'm').exec(output);
    } catch (error) {
      return { ok: false, reason: `the regex does not compile: ${(error as Error).message}` };
    }
    if (!match) return { ok: false, reason: `no line of the output matches /${extract.pattern}/m` };
    const text = typeof extract.group === 'number' ? match[extract.group] : match.groups?.[extract.group];
    if (text === undefined)
      return { ok: false, reason: `group ${extract.group} did not take part in the match` };
    return convert(text, type);
  }
  const document = parseJsonOutput(output);
  if (document === undefined) return { ok: false, reason: 'the output is not JSON, nor is its last line' };
  let value: unknown = document.value;
  for (const segment of extract.segments) {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) {
      value = (value as Record<string | number, unknown>)[segment];
    } else {
      return { ok: false, reason: `the JSON has nothing at ${extract.path}` };
    }
  }
  if (typeof value === 'string') return type === 'string' ? { ok: true, value } : convert(value, type);
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean'))
    return { ok: true, value: String(value) };
  if (type === 'boolean' && typeof value === 'boolean') return { ok: true, value };
  if (type === 'number' && typeof value === 'number') return { ok: true, value };
  if (type === 'integer' && typeof value === 'number' && Number.isSafeInteger(value))
    return { ok: true, value };
  return {
    ok: false,
    reason: `the JSON value at ${extract.path} is ${JSON.stringify(value)?.slice(0, 60)}, not ${type === 'integer' ? 'an' : 'a'} ${type}`,
  };
}

function parseJsonOutput(output: string): { value: unknown } | undefined {
  const trimmed = output.trim();
  try {
    return { value: JSON.parse(trimmed) };
  } catch {
    const lines = trimmed.split('\n').filter((line) => line.trim() !== '');
    const last = lines[lines.length - 1];
    if (last === undefined) return undefined;
    try {
      return { value: JSON.parse(last) };
    } catch {
      return undefined;
    }
  }
}

/** Converts captured text to a scalar type: integers and numbers in decimal, booleans true/false. */
export function convert(text: string, type: ScalarType): CaptureResult {
  const t = text.trim();
  switch (type) {
    case 'string':
      return { ok: true, value: text };
    case 'integer':
      if (/^[+-]?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return { ok: true, value: Number(t) };
      return { ok: false, reason: `${JSON.stringify(text.slice(0, 60))} is not an integer` };
    case 'number':
      if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t)))
        return { ok: true, value: Number(t) };
      return { ok: false, reason: `${JSON.stringify(text.slice(0, 60))} is not a number` };
    case 'boolean':
      if (/^true$/i.test(t)) return { ok: true, value: true };
      if (/^false$/i.test(t)) return { ok: true, value: false };
      return { ok: false, reason: `${JSON.stringify(text.slice(0, 60))} is not true or false` };
  }
}
