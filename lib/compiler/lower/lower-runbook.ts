/**
 * Stage 3: the runbook model to an ASL definition object (JSONPath, `${Placeholder}` tokens).
 * Pure and deterministic: the same model always gives the same object, keys in the same order.
 *
 * Shape (docs/compiler.md has the whole picture):
 *
 * ```text
 * Runbook.Start → Runbook.Input → Runbook.Params      normalise input, merge defaults, init steps
 *   → <step> → <step> → …                              one fragment per step, in order
 *   → Runbook.Outputs                                  { outputs, steps } is the execution output
 * ```
 *
 * State names derive from step ids (`usage`, `purge.Batches`, `purge.Summary`); step ids are
 * identifiers, so a `.` suffix can never collide with another step's name.
 */
import type { Runbook } from '../../runbook/model.ts';
import type { AslDefinition, AslState, AslStates, JsonObject } from '../asl.ts';
import { CompileError } from '../errors.ts';
import { initialSteps, parameterDefaults, triggerDefaults } from '../layout.ts';
import { type CompileOptions, resolveCompileOptions } from '../options.ts';
import { referencedOutputs } from '../references.ts';
import { argumentValue, setField } from '../values.ts';
import type { Context, Named } from './context.ts';
import { toStates } from './states.ts';
import { lowerSteps } from './steps.ts';

/** Names of the states every definition has. */
export const FIXED_STATE_NAMES = {
  start: 'Runbook.Start',
  input: 'Runbook.Input',
  params: 'Runbook.Params',
  outputs: 'Runbook.Outputs',
} as const;

/**
 * Lowers a validated runbook to an ASL definition object.
 *
 * @example
 * ```ts
 * const definition = lowerRunbook(runbook);
 * definition.States['Runbook.Outputs']; // { Type: 'Pass', Parameters: { outputs: {…}, 'steps.$': '$.steps' }, End: true }
 * ```
 */
export function lowerRunbook(runbook: Runbook, options?: CompileOptions): AslDefinition {
  const ctx: Context = {
    runbook,
    options: resolveCompileOptions(options),
    referenced: referencedOutputs(runbook),
    lowerSteps: (steps, next, exits) => lowerSteps(ctx, steps, next, exits),
  };
  const { start, input, params, outputs } = FIXED_STATE_NAMES;
  const body = lowerSteps(ctx, runbook.steps, outputs, { succeed: outputs });
  const states: Named[] = [
    [
      start,
      {
        Type: 'Pass',
        Comment: 'Normalise the execution input: params and trigger may be absent.',
        Parameters: { base: { params: {}, trigger: {} }, 'input.$': '$' },
        Next: input,
      },
    ],
    [
      input,
      {
        Type: 'Pass',
        Comment: 'Parameter defaults, trigger fields of a manual start, every step not run yet.',
        Parameters: {
          params: parameterDefaults(runbook),
          trigger: triggerDefaults(),
          steps: initialSteps(runbook, ctx.referenced),
          'input.$': 'States.JsonMerge($.base, $.input, false)',
        },
        Next: params,
      },
    ],
    [
      params,
      {
        Type: 'Pass',
        Comment: 'The given params and trigger over the defaults.',
        Parameters: {
          'params.$': 'States.JsonMerge($.params, $.input.params, false)',
          'trigger.$': 'States.JsonMerge($.trigger, $.input.trigger, false)',
          'steps.$': '$.steps',
        },
        Next: body.entry,
      },
    ],
    ...body.states,
    [outputs, outputsState(runbook)],
  ];
  const comment = runbook.description ? `${runbook.name}: ${runbook.description}` : runbook.name;
  const definition: AslDefinition = { Comment: comment, StartAt: start, States: toStates(states) };
  assertUniqueNames(definition, new Set());
  return definition;
}

/** Step Functions wants state names unique across the whole definition, branches included. */
function assertUniqueNames(machine: AslStates, seen: Set<string>): void {
  for (const [name, state] of Object.entries(machine.States)) {
    if (seen.has(name))
      throw new CompileError('INVALID_MODEL', `two states are named "${name}"; step ids must be unique`);
    seen.add(name);
    if (state.Type === 'Parallel')
      for (const branch of state.Branches as AslStates[]) assertUniqueNames(branch, seen);
    if (state.Type === 'Map') assertUniqueNames(state.ItemProcessor as AslStates, seen);
  }
}

function outputsState(runbook: Runbook): AslState {
  const outputs: JsonObject = {};
  for (const output of runbook.outputs) setField(outputs, output.name, argumentValue(output.value));
  return { Type: 'Pass', Parameters: { outputs, 'steps.$': '$.steps' }, End: true };
}
