/**
 * The validator's entry: stage 2, the YAML AST to the runbook model with diagnostics.
 *
 * The validator lives in validate/, one file per concern (validate/validate-runbook.ts says
 * which); this file keeps the import path the rest of the code uses.
 */
export {
  type RunbookSignature,
  signatureOf,
  type ValidateOptions,
  validateRunbook,
} from './validate/validate-runbook.ts';
