/**
 * The CDK app: settings from the context, the runbooks of one directory, one stack, and cdk-nag's
 * AwsSolutions checks as a synth-time validation plugin (a finding fails synth unless it is
 * acknowledged next to its resource).
 */
import path from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EngineProps } from './engine.ts';
import { PROJECT_ROOT } from './engine.ts';
import { loadRunbookSet, readRunbookDir } from './runbook-set.ts';
import { parseSettings, SETTINGS_CONTEXT_KEY } from './settings.ts';
import { RunbooksStack } from './stack.ts';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Passed to `App` (tests give `outdir` and `context`). */
  readonly app?: AppProps;
  /** @default - `runbooks/` of this repository */
  readonly runbooksDir?: string;
  /** @default - `lambdas/` of this repository */
  readonly lambdasDir?: EngineProps['lambdasDir'];
  /** @default - `<lambdasDir>/<name>.ts` */
  readonly entries?: EngineProps['entries'];
  /** Run cdk-nag's AwsSolutions checks at synth. @default true */
  readonly nag?: boolean;
}

/** What {@link buildApp} returns. */
export interface BuiltApp {
  readonly app: App;
  readonly stack: RunbooksStack;
}

/**
 * Builds the app. Throws (and so stops synth) on a bad setting or a runbook that does not
 * validate, with a message that says what to fix.
 *
 * @example
 * ```ts
 * const { app } = buildApp();
 * app.synth();
 * ```
 */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const app = new App(options.app);
  const settings = parseSettings(app.node.tryGetContext(SETTINGS_CONTEXT_KEY));
  const runbooks = loadRunbookSet(readRunbookDir(options.runbooksDir ?? path.join(PROJECT_ROOT, 'runbooks')));
  const stack = new RunbooksStack(app, settings.stackName, {
    settings,
    runbooks,
    description: 'ecs-runbooks: runbooks/*.yaml as Step Functions state machines, their Lambdas and triggers',
    ...(settings.account || settings.region
      ? {
          env: {
            ...(settings.account ? { account: settings.account } : {}),
            ...(settings.region ? { region: settings.region } : {}),
          },
        }
      : {}),
    ...(options.lambdasDir ? { lambdasDir: options.lambdasDir } : {}),
    ...(options.entries ? { entries: options.entries } : {}),
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
