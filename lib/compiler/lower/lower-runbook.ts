/**
 * Stage 3: the runbook model to an ASL definition object (JSONPath, `${Placeholder}` tokens).
 * Pure and deterministic: the same model always gives the same object, keys in the same order.
 *
 * Shape (docs/compiler.md has the whole picture):
 *
 * ```text
 * Runbook.CheckInput                                  type and check the execution input (InvalidInput)
 *   → Runbook.Start → Runbook.Input → Runbook.Params  normalise input, merge defaults, init steps
 *   → <step> → <step> → …                              one fragment per step, in order
 *   → Runbook.Outputs                                  { outputs, steps } is the execution output
 * ```
 *
 * State names derive from step ids (`usage`, `purge.Batches`, `purge.Summary`); step ids are
 * identifiers, so a `.` suffix can never collide with another step's name.
 */
import type { Parameter, Runbook } from '../../runbook/model.ts';
import type { AslDefinition, AslState, AslStates, JsonObject } from '../asl.ts';
import { CompileError } from '../errors.ts';
import { initialSteps, parameterDefaults, triggerDefaults } from '../layout.ts';
import { type CompileOptions, resolveCompileOptions } from '../options.ts';
import { placeholderToken } from '../placeholders.ts';
import { referencedOutputs } from '../references.ts';
import { argumentValue, setField } from '../values.ts';
import type { Context, Named } from './context.ts';
import { toStates } from './states.ts';
import { lowerSteps } from './steps.ts';

/** Names of the states every definition has. */
export const FIXED_STATE_NAMES = {
  checkInput: 'Runbook.CheckInput',
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
  const { checkInput, start, input, params, outputs } = FIXED_STATE_NAMES;
  const body = lowerSteps(ctx, runbook.steps, outputs, { succeed: outputs });
  const states: Named[] = [
    [
      checkInput,
      {
        Type: 'Task',
        Comment:
          'Type and check the execution input as the CLI and the API do, whoever started the run; fails with InvalidInput.',
        Resource: placeholderToken('CheckInputFnArn'),
        Parameters: {
          kind: 'checkInput',
          runbook: runbook.name,
          parameters: runbook.parameters.map(declaration),
          'input.$': '$',
        },
        ResultPath: '$',
        Next: start,
      },
    ],
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
  const definition: AslDefinition = {
    Comment: comment,
    StartAt: checkInput,
    States: toStates(withoutUnreachable(states, checkInput)),
  };
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

/** What `Runbook.CheckInput` needs of a parameter: its declaration without default or ranges. */
function declaration(parameter: Parameter): JsonObject {
  const out: JsonObject = { name: parameter.name, type: parameter.type, required: parameter.required };
  if (parameter.values !== undefined) out.values = [...parameter.values];
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength', 'pattern'] as const) {
    const value = parameter[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The states reachable from `start`. Step Functions (and the local engine) refuse a definition
 * with an unreachable state: a runbook whose last step is an unconditional `fail` never reaches
 * `Runbook.Outputs`, which then must not be emitted.
 */
function withoutUnreachable(states: readonly Named[], start: string): Named[] {
  const byName = new Map(states);
  const reached = new Set<string>();
  const pending = [start];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (reached.has(name)) continue;
    reached.add(name);
    const state = byName.get(name);
    if (state === undefined) continue;
    const targets: unknown[] = [state.Next, state.Default];
    for (const rule of (state.Choices as { Next?: unknown }[] | undefined) ?? []) targets.push(rule.Next);
    for (const rule of (state.Catch as { Next?: unknown }[] | undefined) ?? []) targets.push(rule.Next);
    for (const target of targets) if (typeof target === 'string') pending.push(target);
  }
  return states.filter(([name]) => reached.has(name));
}

function outputsState(runbook: Runbook): AslState {
  const outputs: JsonObject = {};
  for (const output of runbook.outputs) setField(outputs, output.name, argumentValue(output.value));
  return { Type: 'Pass', Parameters: { outputs, 'steps.$': '$.steps' }, End: true };
}
