/**
 * Stage 2: the YAML AST to the runbook model, with every structural and semantic problem as a
 * diagnostic: unknown and missing keys, wrong types, durations, cron, targets, expressions and
 * their types, references and whether the referenced step can have run, command quoting.
 *
 * All problems are reported at once; the model is returned only when no error was found.
 * The concerns live beside this file: shapes.ts (the state and shape readers), parameters.ts,
 * triggers.ts, defaults.ts, steps.ts with one file per step kind in kinds/, captures.ts,
 * scope.ts and references.ts, commands.ts and outputs.ts.
 */
import { type Diagnostic, hasErrors } from '../diagnostics.ts';
import type { Parameter, Runbook, ValueType } from '../model.ts';
import type { ParsedYaml } from '../parse.ts';
import { readDefaults } from './defaults.ts';
import { literalType } from './describe.ts';
import { readOutputs } from './outputs.ts';
import { readParameters } from './parameters.ts';
import type { StepInfo } from './scope.ts';
import { Validation } from './shapes.ts';
import { numberSteps, stepList } from './steps.ts';
import { readTriggers } from './triggers.ts';

/** What a `runbook` step needs to know about the runbook it calls. */
export interface RunbookSignature {
  readonly parameters: readonly Parameter[];
  readonly outputs: readonly { readonly name: string; readonly type: ValueType }[];
}

/** Options of {@link validateRunbook}. */
export interface ValidateOptions {
  /** The file name diagnostics carry. */
  readonly file: string;
  /**
   * Looks up another runbook by name for `runbook` steps: its parameters are then checked and
   * its outputs typed.
   * @default - `runbook` steps are checked for shape only; their outputs have the unknown type
   */
  readonly resolveRunbook?: (name: string) => RunbookSignature | undefined;
}

/** The signature of a validated runbook, for a `resolveRunbook` callback. */
export function signatureOf(runbook: Runbook): RunbookSignature {
  return {
    parameters: runbook.parameters,
    outputs: runbook.outputs.map((o) => ({
      name: o.name,
      type: o.value.kind === 'template' ? o.value.template.type : literalType(o.value.value),
    })),
  };
}

/**
 * Validates a parsed YAML document and builds the runbook model. Never throws.
 *
 * `runbook` is present only when no error diagnostic was found (warnings allowed).
 */
export function validateRunbook(
  parsed: ParsedYaml,
  options: ValidateOptions,
): { runbook?: Runbook; diagnostics: Diagnostic[] } {
  const validator = new Validation(parsed, options);
  const runbook = readRunbook(validator);
  const diagnostics = validator.sink.diagnostics;
  return hasErrors(diagnostics) || !runbook ? { diagnostics } : { runbook, diagnostics };
}

function readRunbook(ctx: Validation): Runbook | undefined {
  const root = ctx.root;
  if (!root) {
    ctx.report(
      'WRONG_TYPE',
      ctx.positions.range(0, Math.min(ctx.source.length, 1)),
      'the file holds no YAML document (it is empty or only comments); a runbook is a mapping with at least "name" and "steps"',
    );
    return undefined;
  }
  const map = ctx.expectMap(root, 'the runbook');
  if (!map) return undefined;
  ctx.checkKeys(map, 'runbook', 'the runbook');

  const nameNode = ctx.entry(map, 'name');
  let name: string | undefined;
  if (nameNode) {
    name = ctx.kebabName(nameNode, 'name');
    ctx.runbookName = name;
  }
  const descriptionNode = ctx.entry(map, 'description');
  const description = descriptionNode ? ctx.string(descriptionNode, 'description') : undefined;

  const stepsNode = ctx.entry(map, 'steps');
  numberSteps(ctx, stepsNode);
  const parameters = readParameters(ctx, ctx.entry(map, 'parameters'));
  const triggers = readTriggers(ctx, ctx.entry(map, 'triggers'));
  const defaults = readDefaults(ctx, ctx.entry(map, 'defaults'));

  const walked = stepsNode
    ? stepList(ctx, stepsNode, new Map(), defaults, 'steps')
    : { steps: [], added: [], alwaysFails: false };
  const scope = new Map<string, StepInfo>();
  for (const info of walked.added) scope.set(info.id, info);
  ctx.currentOrder = Number.POSITIVE_INFINITY;
  const outputs = readOutputs(ctx, ctx.entry(map, 'outputs'), scope);

  if (name === undefined || !stepsNode) return undefined;
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    parameters,
    triggers,
    defaults,
    steps: walked.steps,
    outputs,
    range: root.range,
  };
}

// -------------------------------------------------------------------------------------------
