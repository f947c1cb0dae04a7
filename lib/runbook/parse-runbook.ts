/**
 * The whole front end in one call: YAML text to a validated runbook model and diagnostics.
 */
import { type Diagnostic, sortDiagnostics } from './diagnostics.ts';
import type { Runbook } from './model.ts';
import { parseYaml } from './parse.ts';
import { type ValidateOptions, validateRunbook } from './validate.ts';

/** Options of {@link parseRunbook}. */
export type ParseRunbookOptions = ValidateOptions;

/** What {@link parseRunbook} returns. */
export interface ParseRunbookResult {
  /** Present only when no diagnostic is an error. */
  readonly runbook?: Runbook;
  /** Every problem, sorted by position. */
  readonly diagnostics: Diagnostic[];
}

/**
 * Parses and validates a runbook. Never throws, whatever the input: every problem is a
 * diagnostic, all reported at once.
 *
 * @example
 * ```ts
 * const { runbook, diagnostics } = parseRunbook(readFileSync(path, 'utf8'), { file: path });
 * for (const d of diagnostics) console.error(formatDiagnostic(source, d));
 * ```
 */
export function parseRunbook(source: string, options: ParseRunbookOptions): ParseRunbookResult {
  const parsed = parseYaml(source, { file: options.file });
  if (parsed.diagnostics.some((d) => d.code === 'YAML_SYNTAX')) {
    return { diagnostics: dedupe(parsed.diagnostics) };
  }
  const validated = validateRunbook(parsed, options);
  const diagnostics = dedupe([...parsed.diagnostics, ...validated.diagnostics]);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return failed || !validated.runbook ? { diagnostics } : { runbook: validated.runbook, diagnostics };
}

function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  // Aliases expand one node in several places; report each problem once.
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of sortDiagnostics(diagnostics)) {
    const key = `${d.code}:${d.range.start.offset}:${d.range.end.offset}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}
