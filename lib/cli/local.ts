/**
 * `runbook local up [FILE]`: serve the local emulator until interrupted.
 */
import { parseArgs } from 'node:util';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';

const USAGE = `Usage: runbook local up [FILE] [--port N] [--fast]

Serves the local emulator (ECS API, KMS, ECS Exec agent) for the clusters in FILE (default
runbooks/local/cluster.yaml) and prints the environment that points the AWS SDK and CLI at it.
Runs until interrupted (Ctrl-C).

  --port N   the ECS API's port (default: a free one)
  --fast     no agent pacing: no 1 s initial wait, no 1 ms per KiB (the real agent has both)
`;

async function runLocal(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: { port: { type: 'string' }; fast: { type: 'boolean' } };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { port: { type: 'string' }, fast: { type: 'boolean' } },
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
  const port = parsed.values.port === undefined ? 0 : Number(parsed.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port must be 0–65535; received ${JSON.stringify(parsed.values.port)}`, USAGE);
  }
  const { resolveClusterFile, startCliEmulator } = await import('./local-cluster.ts');
  const clusterFile = resolveClusterFile(io.cwd, file);
  const { emulator, ecs, kms } = await startCliEmulator({
    clusterFile,
    port,
    realistic: !parsed.values.fast,
  });
  ecs.destroy();
  kms.destroy();
  try {
    const clusters = emulator.config.clusters.map((c) => c.name).join(', ');
    await write(
      io.stdout,
      [
        `# local emulator for ${clusterFile} (clusters: ${clusters})`,
        `export AWS_ENDPOINT_URL_ECS=${emulator.endpoint}`,
        `export AWS_ENDPOINT_URL_KMS=${emulator.kmsEndpoint}`,
        `export AWS_REGION=${emulator.region}`,
        `export AWS_ACCESS_KEY_ID=${emulator.credentials.accessKeyId}`,
        `export AWS_SECRET_ACCESS_KEY=${emulator.credentials.secretAccessKey}`,
        '',
      ].join('\n'),
    );
    await write(io.stderr, `serving; sandbox ${emulator.sandboxDir}; Ctrl-C to stop\n`);
    await new Promise<void>((resolve) => {
      if (!io.signal) return;
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return 0;
  } finally {
    await emulator.close();
  }
}

/** `runbook local`. */
export const localCommand: Subcommand = {
  name: 'local',
  usage: USAGE,
  run: runLocal,
};
