/**
 * Errors that stop synth: a bad setting, a runbook that does not validate, a runbook set the
 * stack cannot wire (a call cycle, a notify topic unknown at synth).
 */

/** What went wrong. */
export type InfraErrorCode = 'INVALID_SETTING' | 'INVALID_RUNBOOK' | 'UNWIRABLE_RUNBOOK';

/** The base class of the errors `lib/infra` throws at synth. */
export class InfraError extends Error {
  override readonly name: string = 'InfraError';
  readonly code: InfraErrorCode;

  constructor(code: InfraErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A setting in cdk.json (or `-c`) that is missing, of the wrong type or out of range. */
export class SettingsError extends InfraError {
  override readonly name = 'SettingsError';
  /** The setting's name, as written in cdk.json: `ecsRunbooks.clusters`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super('INVALID_SETTING', message);
    this.setting = setting;
  }
}

/** One or more runbooks in the runbook directory have error diagnostics. */
export class RunbookDiagnosticsError extends InfraError {
  override readonly name = 'RunbookDiagnosticsError';
  /** The files with errors. */
  readonly files: readonly string[];

  constructor(files: readonly string[], message: string) {
    super('INVALID_RUNBOOK', message);
    this.files = files;
  }
}
