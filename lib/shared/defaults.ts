/**
 * Defaults that several rooms apply, each defined once: the CLI, the runbook language and the
 * exec layer must agree on them, and the docs quote them (docs/cli.md, docs/runbooks.md).
 */

/** How long a command may run in one target when nothing says otherwise: 10 minutes. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 600_000;

/** How many targets of a fan-out run at once when nothing says otherwise. */
export const DEFAULT_FAN_OUT_CONCURRENCY = 10;

/** How many of the matching tasks a selection picks: `one`, `all`, `random` or a count. */
export type PickValue = 'one' | 'all' | 'random' | number;

/**
 * Whether a selection is a fan-out: one named task, or `pick` one, random or 1, is a single
 * target; any other selection is a fan-out however many tasks match (so its outputs and exit
 * code do not depend on how many are running). Runbook steps and `runbook exec` both ask here.
 *
 * @param namesOneTask - the selection names one task (`task:` or `--task`)
 * @param pick - undefined reads as `one`
 */
export function isFanOut(namesOneTask: boolean, pick: PickValue | undefined): boolean {
  return !namesOneTask && !(pick === undefined || pick === 'one' || pick === 'random' || pick === 1);
}
