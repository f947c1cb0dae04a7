/**
 * Errors of the local runner: what stops a run from starting. What happens during a run is in
 * its result instead (a failed step, a failed run).
 */
import type { Diagnostic } from '../runbook/index.ts';

/** Parameter errors are the runbook language's (lib/runbook/errors.ts); the runner throws them too. */
export { ParameterError } from '../runbook/errors.ts';

/** Codes of {@link RunnerError}. */
export type RunnerErrorCode = 'INVALID_RUNBOOK' | 'CHILD_RUNBOOK_NOT_FOUND' | 'INVALID_OPTION';

/** Base class of the runner's errors. */
export class RunnerError extends Error {
  override readonly name: string = 'RunnerError';
  readonly code: RunnerErrorCode;

  constructor(code: RunnerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The runbook has error diagnostics: it cannot be compiled, so it cannot run. */
export class RunbookInvalidError extends RunnerError {
  override readonly name = 'RunbookInvalidError';
  readonly file: string;
  readonly source: string;
  readonly diagnostics: readonly Diagnostic[];

  constructor(file: string, source: string, diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      'INVALID_RUNBOOK',
      `${file} has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors
        .slice(0, 3)
        .map((d) => `${d.code} at ${d.range.start.line}:${d.range.start.col}`)
        .join(', ')}${errors.length > 3 ? ', …' : ''}`,
    );
    this.file = file;
    this.source = source;
    this.diagnostics = diagnostics;
  }
}

/** A `runbook` step names a runbook with no file beside its parent. */
export class ChildRunbookNotFoundError extends RunnerError {
  override readonly name = 'ChildRunbookNotFoundError';
  readonly runbook: string;
  readonly searched: readonly string[];

  constructor(runbook: string, searched: readonly string[]) {
    super(
      'CHILD_RUNBOOK_NOT_FOUND',
      `runbook ${runbook} was not found; looked for ${searched.join(' and ')}`,
    );
    this.runbook = runbook;
    this.searched = searched;
  }
}
