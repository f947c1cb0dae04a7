/**
 * `runbook exec`: the non-interactive ECS Exec — remote output on stdout, the remote exit code
 * as ours.
 */

import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { ExecResult } from '../exec/result.ts';
import type { ExecRequest } from '../exec/run-exec.ts';
import type { TargetPick, TargetSelector } from '../exec/targets.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_FAN_OUT_CONCURRENCY, isFanOut } from '../shared/defaults.ts';
import { DURATION_FORMS, formatDuration, parseDuration } from '../shared/duration.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, formatError, UsageError, write } from './io.ts';

const USAGE = `Usage: runbook exec [--cluster C] (--task T | --service S | --family F | --started-by X | --group G)
                    [--pick one|all|N|random] [--all] [--concurrency N] [--tolerate N|P%]
                    [--container NAME] [--timeout DURATION] [--json] [--output-dir DIR]
                    [--local [--cluster-file F] [--fast]] -- COMMAND...

Runs COMMAND in ECS containers through ECS Exec and exits with the remote exit code.

After --, exactly one word is a shell script (-- 'cd /app && rake x'); several words are an
argv, each word quoted (-- grep "a b" f keeps "a b" one word).

Targets:
  --cluster C          cluster name or ARN (default: AWS's default cluster, "default")
  --task T             one task, by ARN or id
  --service S          the RUNNING tasks of a service
  --family F           the RUNNING tasks of a task definition family
  --started-by X       the RUNNING tasks started by X
  --group G            the RUNNING tasks of a task group
  --pick P             one (default) | random | all | N (the first N)
  --all                same as --pick all
  --container NAME     required when the task has several containers

Fan-out (any selection but --task or --pick one|random|1):
  --concurrency N      targets at once (default ${DEFAULT_FAN_OUT_CONCURRENCY})
  --tolerate N|P%      failures tolerated before the run fails (default 0)

Output:
  --timeout DURATION   per target: 500ms, 30s, 5m, 1h30m, or seconds (default ${formatDuration(DEFAULT_COMMAND_TIMEOUT_MS)})
  --json               print the result records as one JSON array; nothing streams live
  --output-dir DIR     also write each target's whole output to a file in DIR (the record's
                       output.uri); --json records otherwise keep a 32 KiB tail

Local:
  --local              start the local emulator in-process (no AWS calls)
  --cluster-file F     its cluster file (default runbooks/local/cluster.yaml)
  --fast               no agent pacing (the emulator's 1 s initial wait and ~1 MB/s otherwise)

AWS settings come from the environment: AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_ECS, …

Exit codes: one target: the remote exit code, or 255 when none is known (AWS error, session
lost, timeout); fan-out: 0 when the error budget held, 1 when it was exceeded; 2: usage error.
`;

const OPTIONS = {
  cluster: { type: 'string' },
  task: { type: 'string' },
  service: { type: 'string' },
  family: { type: 'string' },
  'started-by': { type: 'string' },
  group: { type: 'string' },
  pick: { type: 'string' },
  all: { type: 'boolean' },
  concurrency: { type: 'string' },
  tolerate: { type: 'string' },
  container: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  'output-dir': { type: 'string' },
  local: { type: 'boolean' },
  'cluster-file': { type: 'string' },
  fast: { type: 'boolean' },
} as const;

/** The parsed command line. */
interface ExecArgs {
  readonly selector: TargetSelector;
  readonly fanOut: boolean;
  readonly command: ExecRequest['command'];
  readonly concurrency?: number;
  readonly tolerate?: string;
  readonly timeoutMs?: number;
  readonly json: boolean;
  readonly outputDir?: string;
  readonly local: boolean;
  readonly clusterFile?: string;
  readonly fast: boolean;
}

function usage(message: string): UsageError {
  return new UsageError(message, USAGE);
}

function parsePick(text: string): TargetPick {
  if (text === 'one' || text === 'all' || text === 'random') return text;
  if (/^[1-9]\d*$/.test(text)) return Number(text);
  throw usage(`--pick must be one, all, random or a positive integer; received ${JSON.stringify(text)}`);
}

/** Parses `runbook exec` arguments; throws {@link UsageError} before any remote call. */
export function parseExecArgs(args: readonly string[]): ExecArgs {
  const dashDash = args.indexOf('--');
  const ours = dashDash < 0 ? args : args.slice(0, dashDash);
  const words = dashDash < 0 ? [] : args.slice(dashDash + 1);
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...ours],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  if (positionals.length > 0) {
    throw usage(`the command goes after --; received ${JSON.stringify(positionals.join(' '))} before it`);
  }
  if (words.length === 0 || (words.length === 1 && (words[0] ?? '').trim() === '')) {
    throw usage('no command: put it after --, e.g. runbook exec --service api -- uptime');
  }
  const chosen = (['task', 'service', 'family', 'started-by', 'group'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (chosen.length !== 1) {
    throw usage(
      chosen.length === 0
        ? 'no target: give one of --task, --service, --family, --started-by, --group'
        : `give exactly one of --task, --service, --family, --started-by, --group; received ${chosen.map((k) => `--${k}`).join(', ')}`,
    );
  }
  if (values.all && values.pick !== undefined && values.pick !== 'all') {
    throw usage(`--all contradicts --pick ${values.pick}`);
  }
  const pick: TargetPick = values.all ? 'all' : values.pick === undefined ? 'one' : parsePick(values.pick);
  if (values.task !== undefined && values.pick !== undefined && pick !== 'one') {
    throw usage(`--pick applies to a selection of tasks, not to --task; received --pick ${values.pick}`);
  }
  const fanOut = isFanOut(values.task !== undefined, pick);
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    if (!/^[1-9]\d*$/.test(values.concurrency)) {
      throw usage(`--concurrency must be a positive integer; received ${JSON.stringify(values.concurrency)}`);
    }
    concurrency = Number(values.concurrency);
  }
  if (values.tolerate !== undefined && !/^(\d+|\d+(\.\d+)?%)$/.test(values.tolerate)) {
    throw usage(
      `--tolerate must be a count (3) or a percentage (10%); received ${JSON.stringify(values.tolerate)}`,
    );
  }
  if (!fanOut && (values.concurrency !== undefined || values.tolerate !== undefined)) {
    throw usage(
      '--concurrency and --tolerate apply to a fan-out (--all, --pick N > 1); this selects one target',
    );
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = parseDuration(values.timeout);
    if (timeoutMs === undefined || timeoutMs === 0) {
      throw usage(
        `--timeout must be a positive duration (${DURATION_FORMS}); received ${JSON.stringify(values.timeout)}`,
      );
    }
  }
  if (values['cluster-file'] !== undefined && !values.local) {
    throw usage('--cluster-file needs --local');
  }
  if (values.fast && !values.local) throw usage('--fast needs --local');
  const selector: TargetSelector = {
    ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
    ...(values.task !== undefined ? { task: values.task } : {}),
    ...(values.service !== undefined ? { service: values.service } : {}),
    ...(values.family !== undefined ? { family: values.family } : {}),
    ...(values['started-by'] !== undefined ? { startedBy: values['started-by'] } : {}),
    ...(values.group !== undefined ? { group: values.group } : {}),
    ...(values.container !== undefined ? { container: values.container } : {}),
    pick,
  };
  return {
    selector,
    fanOut,
    command: words.length === 1 ? { script: words[0] as string } : { argv: [...words] },
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(values.tolerate !== undefined ? { tolerate: values.tolerate } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    json: values.json ?? false,
    ...(values['output-dir'] !== undefined ? { outputDir: values['output-dir'] } : {}),
    local: values.local ?? false,
    ...(values['cluster-file'] !== undefined ? { clusterFile: values['cluster-file'] } : {}),
    fast: values.fast ?? false,
  };
}

function describeFailure(result: ExecResult): string {
  const lines = [
    `${result.taskId || '(no task)'}${result.container ? `/${result.container}` : ''}: ${result.status}` +
      (result.exitCode !== null ? ` (exit ${result.exitCode})` : '') +
      (result.error ? ` — ${result.error.name}: ${result.error.message}` : ''),
  ];
  if (result.error?.hint) lines.push(`  hint: ${result.error.hint.replaceAll('\n', '\n  ')}`);
  return `${lines.join('\n')}\n`;
}

async function runExecCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseExecArgs(args);
  // Loaded only now, so `exec --help` and usage errors load neither the SDK nor the emulator.
  const { createEcsClient } = await import('../exec/clients.ts');
  const { ExecUsageError } = await import('../exec/errors.ts');
  const { runExec } = await import('../exec/run-exec.ts');
  let ecs: ECSClient;
  let kms: KMSClient | undefined;
  let stopEmulator = async () => {};
  if (parsed.local) {
    const { resolveClusterFile, startCliEmulator } = await import('./local-cluster.ts');
    const started = await startCliEmulator({
      clusterFile: resolveClusterFile(io.cwd, parsed.clusterFile),
      realistic: !parsed.fast,
    });
    ({ ecs, kms } = started);
    stopEmulator = () => started.emulator.close();
  } else {
    ecs = createEcsClient();
  }
  try {
    // Live output is line-buffered: the exit-code marker can straddle frames and must never show.
    const onLine: ExecRequest['onLine'] = parsed.json
      ? undefined
      : parsed.fanOut
        ? (target, line) => io.stdout.write(`${target.taskId}: ${line}\n`)
        : (_target, line, newline) => io.stdout.write(newline ? `${line}\n` : line);
    const onResult: ExecRequest['onResult'] =
      parsed.fanOut && !parsed.json
        ? (result) =>
            io.stderr.write(
              result.status === 'succeeded'
                ? `${result.taskId}: succeeded in ${formatDuration(result.durationMs)}\n`
                : describeFailure(result),
            )
        : undefined;
    let run: Awaited<ReturnType<typeof runExec>>;
    try {
      run = await runExec(
        {
          target: parsed.selector,
          command: parsed.command,
          ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
          ...(parsed.concurrency !== undefined ? { concurrency: parsed.concurrency } : {}),
          ...(parsed.tolerate !== undefined ? { tolerate: parsed.tolerate } : {}),
          ...(parsed.outputDir !== undefined ? { sinkDir: path.resolve(io.cwd, parsed.outputDir) } : {}),
          ...(onLine ? { onLine } : {}),
          ...(onResult ? { onResult } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        },
        { ecs, ...(kms ? { kms } : {}) },
      );
    } catch (error) {
      if (error instanceof ExecUsageError) throw usage(error.message);
      // No record at all (the selection itself failed: no cluster, no task, no such container):
      // no exit code is known, so one target exits 255 as ssh does, a fan-out 1.
      await write(io.stderr, formatError('exec', error, io.debug));
      return parsed.fanOut ? 1 : 255;
    }
    if (parsed.json) await write(io.stdout, `${JSON.stringify(run.results, null, 2)}\n`);
    if (!parsed.fanOut) {
      const result = run.results[0];
      if (!result) return 255;
      if (
        result.status !== 'succeeded' &&
        !(result.status === 'failed' && result.error?.name === 'CommandFailed')
      ) {
        await write(io.stderr, describeFailure(result));
      }
      return result.exitCode ?? 255;
    }
    const { summary } = run;
    await write(
      io.stderr,
      `${summary.succeeded}/${summary.total} targets succeeded, ${summary.failed} failed` +
        ` (tolerated: ${summary.toleratedFailures})${summary.budgetExceeded ? ': error budget exceeded' : ''}\n`,
    );
    return summary.budgetExceeded ? 1 : 0;
  } finally {
    ecs.destroy();
    kms?.destroy();
    await stopEmulator();
  }
}

/** `runbook exec`. */
export const execCommand: Subcommand = {
  name: 'exec',
  usage: USAGE,
  run: runExecCommand,
};
