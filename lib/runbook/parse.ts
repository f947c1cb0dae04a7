/**
 * Stage 1: YAML text to a small AST with a source range on every node.
 *
 * The AST is independent of the `yaml` package's node classes: aliases are expanded (with a
 * budget, so a "billion laughs" file is a diagnostic, not a hang), `<<` merge keys are applied,
 * keys are strings, and every scalar remembers its raw source so that positions inside its value
 * (an expression in a command) map back to the file.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, parseAllDocuments } from 'yaml';
import { DiagnosticSink } from './diagnostics.ts';
import type { SourcePosition, SourceRange } from './model.ts';

/** How a scalar was written; decides how value offsets map to source offsets. */
export type ScalarStyle = 'plain' | 'single-quoted' | 'double-quoted' | 'block-literal' | 'block-folded';

/** A scalar: its value under the YAML 1.2 core schema, its style and its raw source. */
export interface YamlScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly style: ScalarStyle;
  /** The scalar's text in the file (quotes and block header included). */
  readonly raw: string;
  /** Offset of `raw` in the file. */
  readonly rawStart: number;
  readonly range: SourceRange;
}

/** One `key: value` entry; keys are strings. */
export interface YamlEntry {
  readonly key: string;
  readonly keyRange: SourceRange;
  readonly value: YamlNode;
}

/** A mapping, entries in source order. */
export interface YamlMap {
  readonly kind: 'map';
  readonly entries: readonly YamlEntry[];
  readonly range: SourceRange;
}

/** A sequence. */
export interface YamlSeq {
  readonly kind: 'seq';
  readonly items: readonly YamlNode[];
  readonly range: SourceRange;
}

/** Any AST node. */
export type YamlNode = YamlScalar | YamlMap | YamlSeq;

/** Line and column lookup for offsets of one source text. */
export class PositionIndex {
  readonly #lineStarts: number[] = [0];
  readonly #length: number;

  constructor(source: string) {
    this.#length = source.length;
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      // YAML line breaks: LF, CRLF, and a lone CR.
      if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) this.#lineStarts.push(i + 1);
    }
  }

  /** The 1-based line and column of `offset` (clamped to the text). */
  at(offset: number): SourcePosition {
    const o = Math.max(0, Math.min(Number.isFinite(offset) ? Math.trunc(offset) : 0, this.#length));
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#lineStarts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - (this.#lineStarts[lo] ?? 0) + 1, offset: o };
  }

  /** The range from `start` to `end` offsets. */
  range(start: number, end: number): SourceRange {
    return { start: this.at(start), end: this.at(Math.max(start, end)) };
  }
}

/** What `parseYaml` returns: the root node (absent for an empty or unreadable document). */
export interface ParsedYaml {
  readonly root?: YamlNode;
  readonly source: string;
  readonly positions: PositionIndex;
  readonly diagnostics: DiagnosticSink['diagnostics'];
}

/** Options of {@link parseYaml}. */
export interface ParseYamlOptions {
  /** The file name diagnostics carry. */
  readonly file: string;
  /** Most nodes an alias expansion may produce in total. @default 100000 */
  readonly maxNodes?: number;
}

const STYLES: Record<string, ScalarStyle> = {
  PLAIN: 'plain',
  QUOTE_SINGLE: 'single-quoted',
  QUOTE_DOUBLE: 'double-quoted',
  BLOCK_LITERAL: 'block-literal',
  BLOCK_FOLDED: 'block-folded',
};

/**
 * Parses YAML text into the AST. Never throws: syntax errors, several documents and runaway
 * aliases become diagnostics.
 */
export function parseYaml(source: string, options: ParseYamlOptions): ParsedYaml {
  const text = typeof source === 'string' ? source : String(source);
  const sink = new DiagnosticSink(options.file);
  const positions = new PositionIndex(text);
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, {
      uniqueKeys: false,
      prettyErrors: false,
      keepSourceTokens: false,
    });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (error) {
    // The yaml package reports problems as errors on the document; a throw is its own bug.
    sink.report('YAML_SYNTAX', positions.range(0, 0), `the YAML parser failed: ${String(error)}`);
    return { source: text, positions, diagnostics: sink.diagnostics };
  }
  const [first, ...rest] = docs;
  for (const doc of rest) {
    const start = doc.range?.[0] ?? 0;
    sink.report(
      'MULTIPLE_DOCUMENTS',
      positions.range(start, start),
      'the file holds more than one YAML document (a `---` line starts another); a runbook file holds exactly one',
    );
  }
  if (!first) return { source: text, positions, diagnostics: sink.diagnostics };
  let syntaxErrors = 0;
  for (const error of first.errors) {
    syntaxErrors++;
    if (syntaxErrors > 20) break;
    const [from, to] = error.pos;
    sink.report('YAML_SYNTAX', positions.range(from, to), `invalid YAML: ${firstLine(error.message)}`);
  }
  if (first.errors.length > 0) return { source: text, positions, diagnostics: sink.diagnostics };
  const builder = new AstBuilder(first, text, positions, sink, options.maxNodes ?? 100_000);
  const root = first.contents ? builder.build(first.contents as Node, 0) : undefined;
  return { root, source: text, positions, diagnostics: sink.diagnostics };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

class AstBuilder {
  #nodes = 0;
  #exhausted = false;

  private readonly doc: Document.Parsed;
  private readonly source: string;
  private readonly positions: PositionIndex;
  private readonly sink: DiagnosticSink;
  private readonly maxNodes: number;

  constructor(
    doc: Document.Parsed,
    source: string,
    positions: PositionIndex,
    sink: DiagnosticSink,
    maxNodes: number,
  ) {
    this.doc = doc;
    this.source = source;
    this.positions = positions;
    this.sink = sink;
    this.maxNodes = maxNodes;
  }

  build(node: Node, depth: number): YamlNode | undefined {
    if (++this.#nodes > this.maxNodes || depth > 200) {
      if (!this.#exhausted) {
        this.#exhausted = true;
        const at = node.range?.[0] ?? 0;
        this.sink.report(
          'YAML_SYNTAX',
          this.positions.range(at, at),
          `the document expands to more than ${this.maxNodes} nodes or 200 levels (aliases?); a runbook is far smaller`,
        );
      }
      return undefined;
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) return this.nullAt(node);
      return this.build(target as Node, depth + 1);
    }
    if (isScalar(node)) return this.scalar(node);
    if (isMap(node)) {
      const entries: YamlEntry[] = [];
      const merged: YamlEntry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const key = this.key(keyNode, pair.value as Node | null, node);
        if (!key) continue;
        const value = pair.value
          ? this.build(pair.value as Node, depth + 1)
          : this.emptyAt(keyNode?.range?.[1] ?? node.range?.[0] ?? 0);
        if (!value) continue;
        if (key.text === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
          merged.push(...this.mergeSources(value));
          continue;
        }
        if (entries.some((e) => e.key === key.text)) {
          this.sink.report(
            'DUPLICATE_KEY',
            key.range,
            `the key "${key.text}" appears twice in this mapping; YAML keys must be unique (the first one counts)`,
          );
          continue;
        }
        entries.push({ key: key.text, keyRange: key.range, value });
      }
      for (const entry of merged) {
        if (!entries.some((e) => e.key === entry.key)) entries.push(entry);
      }
      return { kind: 'map', entries, range: this.rangeOf(node) };
    }
    if (isSeq(node)) {
      const items: YamlNode[] = [];
      for (const item of node.items) {
        const built = item ? this.build(item as Node, depth + 1) : undefined;
        if (built) items.push(built);
      }
      return { kind: 'seq', items, range: this.rangeOf(node) };
    }
    return this.nullAt(node);
  }

  private mergeSources(value: YamlNode): YamlEntry[] {
    // `<<: *a` or `<<: [*a, *b]`; earlier sources win, as in YAML 1.1's merge key.
    if (value.kind === 'map') return [...value.entries];
    if (value.kind === 'seq') {
      const out: YamlEntry[] = [];
      for (const item of value.items) {
        if (item.kind !== 'map') continue;
        for (const entry of item.entries) if (!out.some((e) => e.key === entry.key)) out.push(entry);
      }
      return out;
    }
    return [];
  }

  private key(
    keyNode: Node | null,
    valueNode: Node | null,
    map: Node,
  ): { text: string; range: SourceRange } | undefined {
    if (keyNode && isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object') {
      return { text: String(keyNode.value), range: this.rangeOf(keyNode) };
    }
    const at = keyNode?.range?.[0] ?? valueNode?.range?.[0] ?? map.range?.[0] ?? 0;
    const end = keyNode?.range?.[1] ?? at;
    this.sink.report(
      'WRONG_TYPE',
      this.positions.range(at, end),
      `a mapping key is ${keyNode ? (isScalar(keyNode) ? 'null' : 'a collection') : 'missing'}; keys must be plain strings`,
    );
    return undefined;
  }

  private scalar(node: Node & { value: unknown; type?: string }): YamlScalar {
    const [start = 0, end = start] = node.range ?? [];
    const raw = this.source.slice(start, end);
    const v = node.value;
    const value =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null
        ? v
        : v === undefined
          ? null
          : String(v);
    return {
      kind: 'scalar',
      value,
      style: STYLES[node.type ?? 'PLAIN'] ?? 'plain',
      raw,
      rawStart: start,
      range: this.positions.range(start, end),
    };
  }

  private nullAt(node: Node): YamlScalar {
    return this.emptyAt(node.range?.[0] ?? 0);
  }

  private emptyAt(offset: number): YamlScalar {
    return {
      kind: 'scalar',
      value: null,
      style: 'plain',
      raw: '',
      rawStart: offset,
      range: this.positions.range(offset, offset),
    };
  }

  private rangeOf(node: Node): SourceRange {
    const [start = 0, end = start] = node.range ?? [];
    return this.positions.range(start, end);
  }
}

/**
 * Maps each index of a scalar's value (and one past its end) to an offset in the file.
 *
 * Exact for single-line plain and quoted scalars and for quoted escapes; for folded lines and
 * block scalars it aligns characters greedily, which lands on the right character except where
 * folding turned a line break into a space.
 */
export function scalarOffsets(scalar: YamlScalar): number[] {
  const value = typeof scalar.value === 'string' ? scalar.value : String(scalar.value);
  const raw = scalar.raw;
  const out: number[] = [];
  let p = 0;
  if (scalar.style === 'single-quoted' || scalar.style === 'double-quoted') p = 1;
  else if (scalar.style === 'block-literal' || scalar.style === 'block-folded') {
    const nl = raw.search(/\r?\n|\r/);
    p = nl < 0 ? raw.length : nl;
  }
  for (let i = 0; i < value.length; ) {
    const c = value[i];
    if (p >= raw.length) {
      out.push(scalar.rawStart + Math.max(0, raw.length - 1));
      i++;
      continue;
    }
    if (scalar.style === 'single-quoted' && c === "'" && raw[p] === "'" && raw[p + 1] === "'") {
      out.push(scalar.rawStart + p);
      p += 2;
      i++;
      continue;
    }
    if (scalar.style === 'double-quoted' && raw[p] === '\\') {
      const next = raw[p + 1];
      if (next === '\n' || next === '\r') {
        p += 2;
        while (p < raw.length && /[\n\r \t]/.test(raw[p] ?? '')) p++;
        continue;
      }
      const length = next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
      out.push(scalar.rawStart + p);
      const code = value.codePointAt(i) ?? 0;
      if (next === 'U' && code > 0xffff) {
        out.push(scalar.rawStart + p);
        i++;
      }
      p += length;
      i++;
      continue;
    }
    if (raw[p] === c) {
      out.push(scalar.rawStart + p);
      p++;
      i++;
      continue;
    }
    const q = c === undefined ? -1 : raw.indexOf(c, p);
    if (q < 0) {
      out.push(scalar.rawStart + p);
    } else {
      out.push(scalar.rawStart + q);
      p = q + 1;
    }
    i++;
  }
  out.push(scalar.rawStart + Math.min(p, raw.length));
  return out;
}

/** The file range of `value.slice(from, to)` of a string scalar. */
export function scalarSpanRange(
  positions: PositionIndex,
  scalar: YamlScalar,
  offsets: readonly number[],
  from: number,
  to: number,
): SourceRange {
  const last = offsets.length - 1;
  const start = offsets[Math.max(0, Math.min(from, last))] ?? scalar.rawStart;
  const end =
    to > from
      ? (offsets[Math.max(0, Math.min(to - 1, last))] ?? start) + 1
      : (offsets[Math.min(to, last)] ?? start);
  return positions.range(start, Math.max(start, end));
}
