// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
/**
 * The local Step Functions API over the local emulator, with the real `@aws-sdk/client-sfn`
 * pointed at it, for the API and CLI tests. `closeSfnHarnesses` (afterEach) stops everything and
 * removes the directories.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { type LocalSfnApi, startSfnApi } from '../../../lib/runner/sfn/server.ts';
import { type Harness, startHarness } from '../../handlers/harness.ts';
import { cleanUp } from '../helpers.ts';

/** Small runbooks the tests run (name → YAML). */
export const RUNBOOKS = {
  ok: `name: ok
parameters:
  who: { type: string, default: world }
steps:
  - id: greet
    exec:
      target: { cluster: demo, service: api }
      command: 'echo "hello \${{ params.who }}"; echo second line'
    capture:
      greeting: { regex: '^hello (.+)$', type: string }
outputs:
  greeting: "\${{ steps.greet.outputs.greeting }}"
`,
  fails: `name: fails
steps:
  - id: boom
    exec:
      target: { cluster: demo, service: api }
      command: 'echo about to fail; exit 3'
`,
  gated: `name: gated
steps:
  - id: ask
    approval: { message: "Restart api?", timeout: 5m }
  - id: work
    exec: { target: { cluster: demo, service: api }, command: 'echo worked' }
`,
} as const;

/** A runbook whose command sleeps, writing the sleeping process's id to `pidFile` first. */
export function sleeper(pidFile: string): string {
  return `name: sleeper
steps:
  - id: nap
    exec:
      target: { cluster: demo, service: api }
      command: 'sleep 60 & echo $! > ${pidFile}; wait'
    timeout: 2m
`;
}

export interface SfnHarness {
  readonly ecsHarness: Harness;
  readonly api: LocalSfnApi;
  readonly sfn: SFNClient;
  /** The runbook files by name. */
  readonly files: Readonly<Record<string, string>>;
  readonly dir: string;
  readonly outputDir: string;
  /** The environment that points the SDK (and the CLI) at the local API. */
  readonly env: Readonly<Record<string, string>>;
  /** The state machine ARN of runbook `name`. */
  machineArn(name: string): string;
}

const open: { harness: SfnHarness; dirs: string[] }[] = [];

/** Starts the emulator and the local Step Functions API over `runbooks` (default {@link RUNBOOKS}). */
export async function startSfnHarness(
  runbooks: Readonly<Record<string, string>> = RUNBOOKS,
): Promise<SfnHarness> {
  const ecsHarness = await startHarness();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sfn-runbooks-'));
  const outputDir = await mkdtemp(path.join(os.tmpdir(), 'sfn-outputs-'));
  const files: Record<string, string> = {};
  for (const [name, source] of Object.entries(runbooks)) {
    files[name] = path.join(dir, `${name}.yaml`);
    await writeFile(files[name], source);
  }
  const region = ecsHarness.local.region;
  const api = await startSfnApi({
    runbooks: Object.values(files),
    ecs: ecsHarness.ecs,
    kms: ecsHarness.kms,
    region,
    accountId: ecsHarness.local.config.accountId,
    outputDir,
  });
  if (api.service.skipped.length > 0) {
    await api.close();
    throw new Error(`runbooks not served: ${JSON.stringify(api.service.skipped)}`);
  }
  const credentials = ecsHarness.local.credentials;
  const sfn = new SFNClient({ endpoint: api.endpoint, region, credentials, maxAttempts: 1 });
  const harness: SfnHarness = {
    ecsHarness,
    api,
    sfn,
    files,
    dir,
    outputDir,
    env: {
      AWS_ENDPOINT_URL_SFN: api.endpoint,
      AWS_ENDPOINT_URL_ECS: ecsHarness.local.endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    machineArn: (name) =>
      `arn:aws:states:${region}:${ecsHarness.local.config.accountId}:stateMachine:runbooks-${name}`,
  };
  open.push({ harness, dirs: [dir, outputDir] });
  return harness;
}

/** Stops every harness started since the last call. */
export async function closeSfnHarnesses(): Promise<void> {
  for (const { harness, dirs } of open.splice(0)) {
    harness.sfn.destroy();
    await harness.api.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
  await cleanUp();
}

/** Polls until `check` returns a value (every 25 ms, at most `ms`); throws with `what` after. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the execution has ended and returns its description. */
export function finished(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return until(`${executionArn} to end`, async () => {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  });
}
