/**
 * The compiler's entry points: a validated runbook, or runbook source text, to ASL.
 */
import type { Diagnostic } from '../runbook/diagnostics.ts';
import type { Runbook } from '../runbook/model.ts';
import { type ParseRunbookOptions, parseRunbook } from '../runbook/parse-runbook.ts';
import type { AslDefinition } from './asl.ts';
import { emitDefinition } from './emit.ts';
import { CompileError } from './errors.ts';
import { lowerRunbook } from './lower.ts';
import type { CompileOptions } from './options.ts';
import { type PlaceholderName, placeholdersOf } from './placeholders.ts';

/** A compiled runbook. */
export interface CompiledRunbook {
  /** The ASL definition object (JSONPath; `${Placeholder}` tokens for deploy-time resources). */
  readonly definition: AslDefinition;
  /** Its JSON text, indented, for people, the goldens and the CLI; ends with a newline. */
  readonly json: string;
  /**
   * The same JSON without whitespace, for `DefinitionBody.fromString`: about 60 % of `json`,
   * and what Step Functions' 1 MB definition limit is checked against.
   */
  readonly compactJson: string;
  /** The placeholders the definition uses, sorted: the substitutions a deployment must give. */
  readonly placeholders: readonly PlaceholderName[];
}

/** Step Functions' limit on a state machine definition, in bytes. */
export const MAX_DEFINITION_BYTES = 1_048_576;

/**
 * Compiles a validated runbook to ASL. Pure and deterministic: no clock, randomness or
 * environment; compiling the same runbook twice gives identical JSON.
 *
 * Throws `CompileError` only for invalid options, a Step Functions limit the runbook exceeds
 * (`DEFINITION_TOO_LARGE`, `TEMPLATE_TOO_COMPLEX`), or a model the validator would not produce.
 *
 * @example
 * ```ts
 * const { runbook } = parseRunbook(source, { file });
 * const { compactJson, placeholders } = compileRunbook(runbook);
 * new sfn.StateMachine(this, 'Runbook', {
 *   definitionBody: sfn.DefinitionBody.fromString(compactJson),
 *   definitionSubstitutions: { ExecFnArn: execFn.functionArn, … },   // one per placeholder
 * });
 * ```
 */
export function compileRunbook(runbook: Runbook, options?: CompileOptions): CompiledRunbook {
  const definition = lowerRunbook(runbook, options);
  const compactJson = emitDefinition(definition, { compact: true });
  const bytes = Buffer.byteLength(compactJson, 'utf8');
  if (bytes > MAX_DEFINITION_BYTES) {
    throw new CompileError(
      'DEFINITION_TOO_LARGE',
      `runbook ${runbook.name} compiles to ${bytes} bytes of ASL; Step Functions accepts at most ${MAX_DEFINITION_BYTES} (about 140 fan-out steps): split it and call the parts with runbook steps`,
    );
  }
  return {
    definition,
    json: emitDefinition(definition),
    compactJson,
    placeholders: placeholdersOf(definition),
  };
}

/** Options of {@link compileRunbookSource}: the front end's and the compiler's. */
export interface CompileSourceOptions extends ParseRunbookOptions {
  readonly compile?: CompileOptions;
}

/** What {@link compileRunbookSource} returns. */
export interface CompileSourceResult {
  /** Present only when no diagnostic is an error. */
  readonly runbook?: Runbook;
  readonly definition?: AslDefinition;
  readonly json?: string;
  readonly compactJson?: string;
  readonly placeholders?: readonly PlaceholderName[];
  /** Every problem the front end found, sorted by position (warnings too). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses, validates and compiles runbook source text. Runbook problems are diagnostics, never
 * thrown; with any error diagnostic there is no definition.
 *
 * @example
 * ```ts
 * const result = compileRunbookSource(readFileSync(path, 'utf8'), { file: path });
 * if (!result.json) for (const d of result.diagnostics) console.error(formatDiagnostic(source, d));
 * ```
 */
export function compileRunbookSource(source: string, options: CompileSourceOptions): CompileSourceResult {
  const { compile, ...parseOptions } = options;
  const parsed = parseRunbook(source, parseOptions);
  if (!parsed.runbook) return { diagnostics: parsed.diagnostics };
  return {
    runbook: parsed.runbook,
    ...compileRunbook(parsed.runbook, compile),
    diagnostics: parsed.diagnostics,
  };
}
