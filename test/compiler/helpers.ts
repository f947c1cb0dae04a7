/**
 * Test helpers: runbooks from inline YAML, compiled definitions checked by asl-validator, and
 * runs in aws-local-stepfunctions with canned task handlers.
 */
import validator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState, CompiledRunbook, CompileOptions } from '../../lib/compiler/index.ts';
import { compileRunbook } from '../../lib/compiler/index.ts';
import { checkRunbookInput } from '../../lib/handlers/check-input.ts';
import type { CheckInputEvent } from '../../lib/handlers/events.ts';
import { formatDiagnostic } from '../../lib/runbook/diagnostics.ts';
import type { Runbook } from '../../lib/runbook/model.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import type { ValidateOptions } from '../../lib/runbook/validate.ts';

/** A validated runbook from YAML; throws with the formatted diagnostics when it has errors. */
export function model(source: string, options: Partial<ValidateOptions> = {}): Runbook {
  const { runbook, diagnostics } = parseRunbook(source, { file: 'inline.yaml', ...options });
  if (!runbook) throw new Error(diagnostics.map((d) => formatDiagnostic(source, d)).join('\n'));
  return runbook;
}

/** Compiles YAML source. */
export function compileYaml(source: string, options?: CompileOptions): CompiledRunbook {
  return compileRunbook(model(source), options);
}

/** A runbook named `t` with the given steps (YAML lines, indented as list items under steps). */
export function runbookYaml(steps: string, extra = ''): string {
  return `name: t\n${extra}\nsteps:\n${steps}\n`;
}

/** asl-validator's verdict; it mutates its input, so it gets a copy. */
export function validate(definition: unknown): { isValid: boolean; text: string } {
  const result = validator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return { isValid: result.isValid, text: result.errorsText('\n') };
}

/** A state by name, searched in Parallel branches and Map processors too. */
export function findState(definition: { States: Record<string, AslState> }, name: string): AslState {
  const found = searchState(definition.States, name);
  if (!found) throw new Error(`no state named ${name}`);
  return found;
}

function searchState(states: Record<string, AslState>, name: string): AslState | undefined {
  if (states[name]) return states[name];
  for (const state of Object.values(states)) {
    const nested =
      state.Type === 'Parallel'
        ? (state.Branches as { States: Record<string, AslState> }[])
        : state.Type === 'Map'
          ? [state.ItemProcessor as { States: Record<string, AslState> }]
          : [];
    for (const machine of nested) {
      const found = searchState(machine.States, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** Every string in a JSON value, with the key it sits under. */
export function* strings(value: unknown, key?: string): Generator<[string | undefined, string]> {
  if (typeof value === 'string') yield [key, value];
  else if (Array.isArray(value)) for (const item of value) yield* strings(item, key);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, k);
}

/** A task handler for aws-local-stepfunctions: receives the resolved Parameters. */
export type LocalHandler = (input: never) => unknown;

/** The context the local runner passes: the engine makes no execution id or task token. */
export const LOCAL_CONTEXT = {
  Execution: {
    Id: 'arn:aws:states:eu-west-1:000000000000:execution:t:run-1',
    Name: 'run-1',
    StartTime: '2030-01-01T00:00:00Z',
  },
  Task: { Token: 'local-token' },
};

/**
 * An error as a handler raises it through the runner: `name` is the task error name, and the
 * message is the Lambda runtime's envelope around the step value's JSON.
 */
export function taskError(name: string, value: unknown): Error {
  const error = new Error(JSON.stringify({ errorType: name, errorMessage: JSON.stringify(value) }));
  error.name = name;
  return error;
}

async function checkInputHandler(event: CheckInputEvent): Promise<unknown> {
  try {
    return await checkRunbookInput(event);
  } catch (error) {
    throw taskError((error as Error).name, JSON.parse((error as Error).message));
  }
}

/** Runs a definition locally; resolves to the execution output or rejects with the failure. */
export async function runLocal(
  definition: AslDefinition,
  input: unknown,
  handlers: Record<string, LocalHandler>,
  waits: Record<string, number> = {},
): Promise<Record<string, unknown>> {
  // asl-validator runs in the golden tests; validating again costs about 300 ms per machine.
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const retryOverrides: Record<string, number> = {};
  for (const name of Object.keys(handlers)) retryOverrides[name] = 0;
  // The first state types and checks the input with the real core, as the runner does.
  const all = { 'Runbook.CheckInput': checkInputHandler, ...handlers };
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: all as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retryOverrides,
    },
    context: LOCAL_CONTEXT,
  });
  return (await execution.result) as Record<string, unknown>;
}
