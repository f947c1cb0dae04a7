/**
 * `runbook local up [FILE]`: serve the local emulator and the local Step Functions API until
 * interrupted.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';

const USAGE = `Usage: runbook local up [FILE] [--port N] [--sfn-port N] [--runbooks DIR | --runbook F ...]
                       [--output-dir DIR] [--fast]

Serves the local emulator (ECS API, KMS, ECS Exec agent) for the clusters in FILE (default
runbooks/local/cluster.yaml) and, beside it, the Step Functions API over the runbooks (one
state machine each, named runbooks-<name> as deployed), and prints the environment that points
the AWS SDK, the AWS CLI and \`runbook run|status|history|logs|approve|reject|stop\` at them.
Runs until interrupted (Ctrl-C).

  --port N          the ECS API's port (default: a free one)
  --sfn-port N      the Step Functions API's port (default: a free one)
  --runbooks DIR    serve every runbook (*.yaml, *.yml) in DIR (default: runbooks/, if there)
  --runbook F       serve this runbook file (repeat for several; instead of --runbooks)
  --output-dir DIR  where the runs' whole outputs go (default: a temporary directory, removed
                    when the server stops)
  --fast            no agent pacing: no 1 s initial wait, no 1 ms per KiB (the real agent has both)
`;

function portOf(text: string | undefined, option: string): number {
  const port = text === undefined ? 0 : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`${option} must be 0–65535; received ${JSON.stringify(text)}`, USAGE);
  }
  return port;
}

/** The runbook files to serve: the ones given, else those of the directory (one level). */
function runbookFiles(cwd: string, dir: string | undefined, files: readonly string[]): string[] {
  if (files.length > 0) return files.map((f) => path.resolve(cwd, f));
  const folder = path.resolve(cwd, dir ?? 'runbooks');
  if (!existsSync(folder)) {
    if (dir !== undefined) throw new UsageError(`--runbooks ${dir}: no such directory`, USAGE);
    return [];
  }
  return readdirSync(folder)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(folder, name));
}

const OPTIONS = {
  port: { type: 'string' },
  'sfn-port': { type: 'string' },
  runbooks: { type: 'string' },
  runbook: { type: 'string', multiple: true },
  'output-dir': { type: 'string' },
  fast: { type: 'boolean' },
} as const;

async function runLocal(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: typeof OPTIONS;
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, USAGE);
  }
  const [verb, file, ...extra] = parsed.positionals;
  if (verb !== 'up')
    throw new UsageError(`unknown action ${JSON.stringify(verb ?? '')}; accepted: up`, USAGE);
  if (extra.length > 0) throw new UsageError(`one cluster file at most; received ${extra.join(' ')}`, USAGE);
  const port = portOf(parsed.values.port, '--port');
  const sfnPort = portOf(parsed.values['sfn-port'], '--sfn-port');
  if (parsed.values.runbooks !== undefined && parsed.values.runbook !== undefined) {
    throw new UsageError('give --runbooks DIR or --runbook FILE, not both', USAGE);
  }
  const runbooks = runbookFiles(io.cwd, parsed.values.runbooks, parsed.values.runbook ?? []);
  const { resolveClusterFile, startCliEmulator } = await import('./local-cluster.ts');
  const clusterFile = resolveClusterFile(io.cwd, file);
  const { emulator, ecs, kms } = await startCliEmulator({
    clusterFile,
    port,
    realistic: !parsed.values.fast,
  });
  const given = parsed.values['output-dir'];
  const outputDir =
    given === undefined
      ? mkdtempSync(path.join(os.tmpdir(), 'runbook-local-outputs-'))
      : path.resolve(io.cwd, given);
  let sfn: Awaited<ReturnType<typeof import('../runner/sfn/server.ts')['startSfnApi']>> | undefined;
  try {
    const { startSfnApi } = await import('../runner/sfn/server.ts');
    sfn = await startSfnApi({
      runbooks,
      ecs,
      kms,
      region: emulator.region,
      accountId: emulator.config.accountId,
      outputDir,
      port: sfnPort,
    });
    const clusters = emulator.config.clusters.map((c) => c.name).join(', ');
    const machines = sfn.service.stateMachines.map((m) => m.name).join(', ') || 'none';
    await write(
      io.stdout,
      [
        `# local emulator for ${clusterFile} (clusters: ${clusters})`,
        `# local Step Functions API (state machines: ${machines})`,
        `export AWS_ENDPOINT_URL_ECS=${emulator.endpoint}`,
        `export AWS_ENDPOINT_URL_SFN=${sfn.endpoint}`,
        `export AWS_ENDPOINT_URL_KMS=${emulator.kmsEndpoint}`,
        `export AWS_REGION=${emulator.region}`,
        `export AWS_ACCESS_KEY_ID=${emulator.credentials.accessKeyId}`,
        `export AWS_SECRET_ACCESS_KEY=${emulator.credentials.secretAccessKey}`,
        '',
      ].join('\n'),
    );
    for (const skipped of sfn.service.skipped) {
      await write(io.stderr, `not served: ${skipped.message}\n`);
    }
    await write(
      io.stderr,
      `serving; sandbox ${emulator.sandboxDir}; whole outputs in ${outputDir}; Ctrl-C to stop\n`,
    );
    await new Promise<void>((resolve) => {
      if (!io.signal) return;
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return 0;
  } finally {
    await sfn?.close();
    ecs.destroy();
    kms.destroy();
    await emulator.close();
    if (given === undefined) rmSync(outputDir, { recursive: true, force: true });
  }
}

/** `runbook local`. */
export const localCommand: Subcommand = {
  name: 'local',
  usage: USAGE,
  run: runLocal,
};
