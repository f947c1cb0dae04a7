/**
 * The deployed runbook catalog: what the API and the approval-request function know of each
 * runbook the stack deploys. The stack builds it at synth with {@link catalogEntryOf} and
 * passes it to both functions as JSON (docs/api.md#the-catalog); lib/handlers parses it.
 */
import type { Runbook, Step } from './model.ts';
import type { ParameterDeclaration } from './parameters.ts';

/**
 * The environment variable the API and approval-request functions read the catalog from: the
 * stack (lib/infra) sets it, lib/handlers parses it.
 */
export const CATALOG_ENV = 'RUNBOOK_CATALOG';

/** A parameter declaration without its source ranges. */
export type CatalogParameter = ParameterDeclaration;

/** What the approval-request message says of an approval step's surroundings. */
export interface CatalogApproval {
  readonly stepId: string;
  /** What runs after an approval, in words: `flush (Flush every task), then verify`. */
  readonly next: string;
  /** What a rejection (or no decision in time) leads to, in words. */
  readonly onReject: string;
}

/** One deployed runbook. */
export interface CatalogEntry {
  readonly name: string;
  /** The runbook's state machine. */
  readonly stateMachineArn: string;
  /** Whether `POST /runbooks/<name>/executions` may start it (`triggers.api` is declared). */
  readonly api: boolean;
  readonly parameters: readonly CatalogParameter[];
  readonly approvals: readonly CatalogApproval[];
}

/** Every runbook a stack deploys. */
export interface RunbookCatalog {
  readonly runbooks: readonly CatalogEntry[];
}

function stepLabel(step: Step): string {
  return step.name ? `${step.id} (${step.name})` : step.id;
}

function listed(steps: readonly Step[]): string {
  const shown = steps.slice(0, 3).map(stepLabel).join(', then ');
  return steps.length > 3 ? `${shown}, and ${steps.length - 3} more` : shown;
}

/** Where a list of steps sits, for the words after its last step. */
type Place =
  | { readonly kind: 'top' }
  | { readonly kind: 'branch'; readonly parallel: string }
  | { readonly kind: 'onFailure'; readonly step: string };

function afterList(place: Place): string {
  switch (place.kind) {
    case 'top':
      return 'nothing: the run ends';
    case 'branch':
      return `nothing more in its branch of ${place.parallel}`;
    case 'onFailure':
      return `the steps after ${place.step}`;
  }
}

function* approvalsIn(steps: readonly Step[], place: Place): Generator<CatalogApproval> {
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'approval') {
      const rest = steps.slice(index + 1);
      const onFailure = step.onFailure;
      const onReject =
        onFailure.kind === 'fail'
          ? place.kind === 'top'
            ? 'the run fails'
            : 'the step fails as ApprovalRejected'
          : onFailure.kind === 'continue'
            ? `the step is marked failed and ${rest.length > 0 ? listed(rest) : afterList(place)} runs`
            : `its onFailure steps run: ${listed(onFailure.steps)}`;
      yield { stepId: step.id, next: rest.length > 0 ? listed(rest) : afterList(place), onReject };
    }
    if (step.kind === 'parallel') {
      for (const branch of step.branches)
        yield* approvalsIn(branch.steps, { kind: 'branch', parallel: step.id });
    }
    if (step.onFailure.kind === 'steps')
      yield* approvalsIn(step.onFailure.steps, { kind: 'onFailure', step: step.id });
  }
}

/**
 * The catalog entry of a validated runbook deployed as `stateMachineArn` (a CDK token is fine:
 * the entry is JSON the stack hands to the functions).
 *
 * @example
 * const catalog: RunbookCatalog = { runbooks: [catalogEntryOf(runbook, machine.stateMachineArn)] };
 * fn.addEnvironment('RUNBOOK_CATALOG', JSON.stringify(catalog));
 */
export function catalogEntryOf(runbook: Runbook, stateMachineArn: string): CatalogEntry {
  return {
    name: runbook.name,
    stateMachineArn,
    api: runbook.triggers.api !== undefined,
    parameters: runbook.parameters.map(
      ({ range: _r, nameRange: _n, description: _d, ...parameter }) => parameter,
    ),
    approvals: [...approvalsIn(runbook.steps, { kind: 'top' })],
  };
}
