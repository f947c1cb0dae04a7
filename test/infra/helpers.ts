/**
 * Synthesizes the stack once for a test file: the Lambda entries (bundled by the local esbuild),
 * a temporary cdk.out, cdk-nag on.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import {
  type BuiltApp,
  buildApp,
  FUNCTION_NAMES,
  type FunctionName,
  type SettingsInput,
} from '../../lib/infra/index.ts';

export const FIXTURE_LAMBDAS = path.join(import.meta.dirname, '..', 'fixtures', 'lambdas');
export const REAL_LAMBDAS = path.join(import.meta.dirname, '..', '..', 'lambdas');

/**
 * Each function's entry: the real `lambdas/<name>.ts` once it exists, else its fixture (the
 * entries land one by one; the fixtures keep the stack synthesizable until they all have).
 */
export const TEST_ENTRIES: Partial<Record<FunctionName, string>> = Object.fromEntries(
  FUNCTION_NAMES.map((name) => {
    const real = path.join(REAL_LAMBDAS, `${name}.ts`);
    return [name, existsSync(real) ? real : path.join(FIXTURE_LAMBDAS, `${name}.ts`)];
  }),
);
export const EXAMPLE_RUNBOOKS = path.join(import.meta.dirname, '..', '..', 'runbooks');

/** The settings most tests deploy with: one cluster by name, one by ARN, an exec key. */
export const TEST_SETTINGS = {
  clusters: ['demo', 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod'],
  execKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  retentionDays: 14,
} as const satisfies SettingsInput;

export interface Synthesized extends BuiltApp {
  readonly assembly: CloudAssembly;
  readonly template: Template;
  /** The template as JSON. */
  readonly json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  readonly outdir: string;
  cleanup(): void;
}

/** Builds and synthesizes the app (throws as synth would). */
export function synthesize(
  options: { settings?: SettingsInput; runbooksDir?: string; nag?: boolean; outdir?: string } = {},
): Synthesized {
  const outdir = options.outdir ?? mkdtempSync(path.join(tmpdir(), 'infra-test-'));
  const built = buildApp({
    app: { outdir, context: { ecsRunbooks: options.settings ?? TEST_SETTINGS } },
    runbooksDir: options.runbooksDir ?? EXAMPLE_RUNBOOKS,
    entries: TEST_ENTRIES,
    nag: options.nag ?? true,
  });
  const assembly = built.app.synth();
  const json = assembly.getStackByName(built.stack.stackName).template;
  return {
    ...built,
    assembly,
    template: Template.fromJSON(json),
    json,
    outdir,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Resources of one type, by logical id. */
export function resourcesOfType(
  synth: Synthesized,
  type: string,
): [string, { Type: string; Properties: Record<string, unknown> }][] {
  return Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
}
