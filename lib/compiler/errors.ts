/**
 * Errors the compiler throws. A validated runbook compiles; these report bad compile options,
 * a model the validator should not have produced, or a limit of Step Functions itself.
 */

/** Why compilation stopped. */
export type CompileErrorCode =
  /** A compile option is out of range or unknown. */
  | 'INVALID_OPTION'
  /** A template needs more intrinsic functions than one Step Functions field allows. */
  | 'TEMPLATE_TOO_COMPLEX'
  /** Even the compact definition exceeds Step Functions' 1 MB definition limit. */
  | 'DEFINITION_TOO_LARGE'
  /** The model breaks an invariant the validator guarantees (a bug, not a user mistake). */
  | 'INVALID_MODEL';

/** A compilation that cannot proceed; `code` says why. */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  readonly code: CompileErrorCode;

  constructor(code: CompileErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
