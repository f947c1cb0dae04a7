export { type BuildAppOptions, type BuiltApp, buildApp } from './app.ts';
export { Engine, type EngineProps, PROJECT_ROOT } from './engine.ts';
export { InfraError, type InfraErrorCode, RunbookDiagnosticsError, SettingsError } from './errors.ts';
export { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName, type FunctionSpec } from './functions.ts';
export { type ClusterArns, clusterArns, type DeployedMachine, grantEngine } from './permissions.ts';
export { executionsRoute, Runbook, type RunbookProps } from './runbook.ts';
export {
  calledRunbooks,
  type DeployedRunbook,
  fixedContainers,
  literalOf,
  loadRunbookSet,
  notifyTopics,
  type RunbookSource,
  readRunbookDir,
} from './runbook-set.ts';
export {
  parseSettings,
  RETENTION_DAYS,
  SETTINGS_CONTEXT_KEY,
  SETTINGS_DEFAULTS,
  type Settings,
  type SettingsInput,
} from './settings.ts';
export { CATALOG_ENV, RunbooksStack, type RunbooksStackProps } from './stack.ts';
