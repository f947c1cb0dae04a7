/**
 * Running runbooks in the runner tests: against a harness (local emulator, real clients), with
 * every event collected and every directory removed by `cleanUp` (call it in afterEach).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LocalRunResult, RunEvent } from '../../lib/runner/progress.ts';
import { type RunLocalOptions, runLocal } from '../../lib/runner/run-local.ts';
import { closeHarnesses, type Harness } from '../handlers/harness.ts';

const dirs: string[] = [];

/** A new temporary directory, removed by {@link cleanUp}. */
export async function tempDir(prefix = 'runner-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Closes the harnesses and removes the directories. */
export async function cleanUp(): Promise<void> {
  await closeHarnesses();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Writes runbook files (name → YAML) into one new directory; returns their paths by name. */
export async function writeRunbooks(
  files: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const dir = await tempDir('runbooks-');
  const paths: Record<string, string> = {};
  for (const [name, source] of Object.entries(files)) {
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(file, source);
    paths[name] = file;
  }
  return paths;
}

/** A run's result and every event it emitted. */
export interface Run {
  readonly result: LocalRunResult;
  readonly events: RunEvent[];
}

/** Runs runbook source (written to a file, so children resolve beside it) on the harness. */
export async function run(
  harness: Harness,
  source: string,
  options: Partial<RunLocalOptions> & { readonly siblings?: Readonly<Record<string, string>> } = {},
): Promise<Run> {
  const { siblings, ...rest } = options;
  const files = await writeRunbooks({ main: source, ...siblings });
  const events: RunEvent[] = [];
  const result = await runLocal(source, {
    file: files.main,
    ecs: harness.ecs,
    kms: harness.kms,
    outputDir: await tempDir('runner-outputs-'),
    onEvent: (event) => events.push(event),
    ...rest,
  });
  return { result, events };
}

/** The events of one type. */
export function eventsOf<T extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: T,
): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}
