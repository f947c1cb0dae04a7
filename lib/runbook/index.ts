export { type CaptureResult, convert as convertCaptured, extractCapture } from './capture.ts';
export {
  CATALOG_ENV,
  type CatalogApproval,
  type CatalogEntry,
  type CatalogParameter,
  catalogEntryOf,
  type RunbookCatalog,
} from './catalog.ts';
export {
  type CommandVariable,
  classifyCommand,
  type RewrittenCommand,
  rewriteCommand,
  type ShellClassification,
} from './commands.ts';
export { validateCron } from './cron.ts';
export {
  ALL_DIAGNOSTIC_CODES,
  DIAGNOSTIC_CODES,
  type Diagnostic,
  type DiagnosticCode,
  formatDiagnostic,
  hasErrors,
  type Severity,
  sortDiagnostics,
} from './diagnostics.ts';
export { ParameterError, type ParameterErrorCode, RunbookError } from './errors.ts';
export { checkExpression, findExpressions, parseExpression, type SyntaxNode } from './expressions.ts';
export {
  findSiblingRunbook,
  type LoadedRunbook,
  loadRunbookFile,
  loadRunbookSource,
  siblingResolver,
  siblingRunbookFiles,
} from './load.ts';
export type * from './model.ts';
export {
  ALARM_STATES,
  APPROVAL_OUTPUTS,
  FAN_OUT_DEFAULTS,
  FAN_OUT_OUTPUTS,
  STEP_KINDS,
  STEP_STATUSES,
  TARGET_SELECTORS,
  TRIGGER_FIELDS,
  TRIGGER_TYPES,
} from './model.ts';
export {
  acceptedValues,
  checkParameters,
  type ParameterDeclaration,
  type ParameterProblem,
  type ParameterSpec,
  parameterProblems,
  parseParameterArguments,
  parseParameterValue,
} from './parameters.ts';
export { type ParsedYaml, parseYaml, type YamlNode } from './parse.ts';
export { type ParseRunbookOptions, type ParseRunbookResult, parseRunbook } from './parse-runbook.ts';
export { runbookJsonSchema } from './schema.ts';
export { type RunbookSignature, signatureOf, type ValidateOptions, validateRunbook } from './validate.ts';
export { allSteps } from './walk.ts';
