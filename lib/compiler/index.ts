export type { AslDefinition, AslState, AslStates, AslStateType, Json, JsonObject } from './asl.ts';
export { type ChoiceRule, lowerCondition } from './choice.ts';
export {
  type CompiledRunbook,
  type CompileSourceOptions,
  type CompileSourceResult,
  compileRunbook,
  compileRunbookSource,
  MAX_DEFINITION_BYTES,
} from './compile.ts';
export { type EmitOptions, emitDefinition } from './emit.ts';
export { CompileError, type CompileErrorCode } from './errors.ts';
export { runbookToMermaid } from './graph.ts';
export { referencePath, stepPath, triggerDefaults } from './layout.ts';
export {
  type ConcurrencySplit,
  FIXED_STATE_NAMES,
  lowerRunbook,
  MAX_DISTRIBUTED_MAP_CONCURRENCY,
  MAX_INLINE_MAP_CONCURRENCY,
  splitConcurrency,
  TIMEOUT_BACKSTOP_MARGIN_SECONDS,
} from './lower.ts';
export {
  COMPILE_DEFAULTS,
  type CompileOptions,
  type ResolvedCompileOptions,
  resolveCompileOptions,
} from './options.ts';
export {
  type FixedPlaceholder,
  isPlaceholderName,
  PLACEHOLDERS,
  type PlaceholderName,
  placeholderOf,
  placeholdersOf,
  placeholderToken,
  runbookArnPlaceholder,
  substitutePlaceholders,
} from './placeholders.ts';
export { type TaskStateInfo, type TaskStateKind, taskStatesOf } from './task-states.ts';
