/**
 * Wording helpers of the validator's messages: how a YAML node is described, bounds, lists and
 * "did you mean" suggestions.
 */
import { TYPES } from '../expressions.ts';
import type { ScalarValue, ValueType } from '../model.ts';
import type { YamlNode } from '../parse.ts';

export function literalType(value: ScalarValue): ValueType {
  if (typeof value === 'string') return TYPES.string;
  if (typeof value === 'boolean') return TYPES.boolean;
  return Number.isInteger(value) ? TYPES.integer : TYPES.number;
}

export function describeNode(node: YamlNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'nothing (null)';
  if (typeof node.value === 'string') return `the string ${JSON.stringify(truncate(node.value))}`;
  if (typeof node.value === 'boolean') return `the boolean ${node.value}`;
  return `the number ${node.value}`;
}

export function describeBounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}

export function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function levenshtein(a: string, b: string): number {
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
export function suggestion(word: string, candidates: Iterable<string>): string {
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

export function list(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}
