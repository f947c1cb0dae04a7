/**
 * Errors of the runbook language that are thrown, not reported as diagnostics: values given to a
 * runbook from outside (command-line parameters, a parent runbook's arguments, an API's input).
 * Problems in a runbook's own text are diagnostics (diagnostics.ts) instead.
 */

/** Codes of {@link ParameterError}. */
export type ParameterErrorCode = 'UNKNOWN_PARAMETER' | 'INVALID_PARAMETER' | 'MISSING_PARAMETER';

/** Base class of the runbook language's errors. */
export class RunbookError extends Error {
  override readonly name: string = 'RunbookError';
  readonly code: ParameterErrorCode;

  constructor(code: ParameterErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A parameter value the runbook does not accept, an unknown parameter, or a missing required one. */
export class ParameterError extends RunbookError {
  override readonly name = 'ParameterError';
  /** The parameter's name. */
  readonly parameter: string;

  constructor(code: ParameterErrorCode, parameter: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.parameter = parameter;
  }
}
