/**
 * `runbook run FILE --local`: run a runbook on this machine, with a live progress tree.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { JsonScalar, TriggerInput } from '../handlers/events.ts';
import { ParameterError } from '../runbook/errors.ts';
import { parseParameterArguments } from '../runbook/parameters.ts';
import type { ApprovalAnswer, ApprovalPolicy, ApprovalRequest } from '../runner/approval.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';
import { formatSummary, ProgressTree } from './progress-tree.ts';
import { terminalSafe } from './terminal-safe.ts';
import { printDiagnostics, readRunbookFile } from './validate.ts';

const USAGE = `Usage: runbook run FILE --local [--param NAME=VALUE ...]
                   [--approve | --reject] [--approver NAME] [--comment TEXT]
                   [--alarm NAME [--alarm-state S] [--alarm-reason TEXT] | --schedule-time T | --caller ARN]
                   [--json] [--output-dir DIR] [--cluster-file F] [--fast]

Runs a runbook on this machine: its compiled state machine in a local Step Functions engine,
its commands through ECS Exec against the local emulator (runbooks/local/cluster.yaml). A live
progress tree (steps, targets, durations, output tails) goes to stderr, then a summary.

  --local              run locally (required: running on AWS needs the runbook deployed, which
                       comes with \`runbook deploy\`)
  --param NAME=VALUE   a parameter, typed as the runbook declares it (repeat for several)
  --approve            approve every approval step
  --reject             reject every approval step
  --approver NAME      who decides (default: $USER)
  --comment TEXT       the decision's comment
  --alarm NAME         start it as the CloudWatch alarm NAME would (trigger.type = alarm)
  --alarm-state S      the alarm's new state: ALARM (default), OK or INSUFFICIENT_DATA
  --alarm-reason TEXT  the alarm's state reason (trigger.alarm.reason)
  --schedule-time T    start it as its schedule would at T, an ISO 8601 time (trigger.type = schedule)
  --caller ARN         start it as the API would for the IAM principal ARN (trigger.type = api)
  --json               print the result (status, outputs, every step's value) as JSON on stdout
  --output-dir DIR     where each target's whole output goes (default: a new directory under
                       the OS temp directory, printed)
  --cluster-file F     the local cluster file (default runbooks/local/cluster.yaml)
  --fast               no agent pacing (the emulator's 1 s initial wait and ~1 MB/s otherwise)

Without --approve or --reject an approval asks on the terminal, or, when stdin is not a
terminal, waits until its timeout and fails as rejected.

Exit codes: 0 the runbook succeeded, 1 it failed (or has errors), 2 usage error.
`;

const OPTIONS = {
  local: { type: 'boolean' },
  param: { type: 'string', multiple: true },
  approve: { type: 'boolean' },
  reject: { type: 'boolean' },
  approver: { type: 'string' },
  comment: { type: 'string' },
  json: { type: 'boolean' },
  'output-dir': { type: 'string' },
  'cluster-file': { type: 'string' },
  fast: { type: 'boolean' },
  alarm: { type: 'string' },
  'alarm-state': { type: 'string' },
  'alarm-reason': { type: 'string' },
  'schedule-time': { type: 'string' },
  caller: { type: 'string' },
} as const;

const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;

function usage(message: string): UsageError {
  return new UsageError(message, USAGE);
}

/** The parsed command line, before the runbook is read. */
export interface RunArgs {
  readonly file: string;
  readonly params: readonly string[];
  readonly decision?: 'approve' | 'reject';
  readonly approver?: string;
  readonly comment?: string;
  readonly json: boolean;
  readonly outputDir?: string;
  readonly clusterFile?: string;
  readonly fast: boolean;
  /** What started the run, as the scheduler, the alarm rule or the API would pass it. */
  readonly trigger?: TriggerInput;
}

/** The `trigger` of the execution input from the trigger options; throws {@link UsageError}. */
function triggerFrom(values: {
  alarm?: string;
  'alarm-state'?: string;
  'alarm-reason'?: string;
  'schedule-time'?: string;
  caller?: string;
}): TriggerInput | undefined {
  const given = (['alarm', 'schedule-time', 'caller'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) {
    throw usage(`a run has one trigger; received ${given.map((k) => `--${k}`).join(' and ')}`);
  }
  if (
    values.alarm === undefined &&
    (values['alarm-state'] !== undefined || values['alarm-reason'] !== undefined)
  ) {
    throw usage('--alarm-state and --alarm-reason go with --alarm NAME');
  }
  if (values.alarm !== undefined) {
    const state = values['alarm-state'] ?? 'ALARM';
    if (!(ALARM_STATES as readonly string[]).includes(state)) {
      throw usage(
        `--alarm-state must be one of ${ALARM_STATES.join(', ')}; received ${JSON.stringify(state)}`,
      );
    }
    return { type: 'alarm', alarm: { name: values.alarm, state, reason: values['alarm-reason'] ?? '' } };
  }
  const time = values['schedule-time'];
  if (time !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T/.test(time) || Number.isNaN(Date.parse(time))) {
      throw usage(
        `--schedule-time must be an ISO 8601 time such as 2026-11-23T03:00:00Z; received ${JSON.stringify(time)}`,
      );
    }
    return { type: 'schedule', schedule: { time: new Date(time).toISOString() } };
  }
  if (values.caller !== undefined) return { type: 'api', api: { caller: values.caller } };
  return undefined;
}

/** Parses `runbook run` arguments; throws {@link UsageError}. */
export function parseRunArgs(args: readonly string[]): RunArgs {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  if (positionals.length !== 1) {
    throw usage(
      `give exactly one runbook file; received ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  if (!values.local) {
    throw usage(
      'running on AWS Step Functions needs the runbook deployed as a state machine, which comes with ' +
        '`runbook deploy` (not available yet); run it on this machine with --local',
    );
  }
  if (values.approve && values.reject) throw usage('--approve and --reject contradict each other; give one');
  if (values.comment !== undefined && !values.approve && !values.reject) {
    throw usage('--comment goes with --approve or --reject');
  }
  const decision = values.approve ? 'approve' : values.reject ? 'reject' : undefined;
  const trigger = triggerFrom(values);
  return {
    file: positionals[0] as string,
    params: values.param ?? [],
    ...(decision ? { decision } : {}),
    ...(values.approver !== undefined ? { approver: values.approver } : {}),
    ...(values.comment !== undefined ? { comment: values.comment } : {}),
    json: values.json ?? false,
    ...(values['output-dir'] !== undefined ? { outputDir: values['output-dir'] } : {}),
    ...(values['cluster-file'] !== undefined ? { clusterFile: values['cluster-file'] } : {}),
    fast: values.fast ?? false,
    ...(trigger ? { trigger } : {}),
  };
}

/** Resolves with `promise`, or rejects with the abort reason when `signal` aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Asks on the terminal, one approval at a time. One line reader serves the whole run, so answers
 * typed (or piped) ahead of a prompt are kept for it, whichever approval they answer; `close`
 * releases stdin when the run ends.
 */
function terminalApprover(io: CliIo, approver: string): { policy: ApprovalPolicy; close: () => void } {
  let reader: { rl: ReturnType<typeof createInterface>; lines: AsyncIterator<string> } | undefined;
  const lines = (): AsyncIterator<string> => {
    if (!reader) {
      const rl = createInterface({ input: io.stdin, terminal: false });
      reader = { rl, lines: rl[Symbol.asyncIterator]() };
    }
    return reader.lines;
  };
  let queue: Promise<unknown> = Promise.resolve();
  const ask = async (request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> => {
    const question = async (prompt: string): Promise<string> => {
      await write(io.stderr, terminalSafe(prompt));
      const line = await untilAborted(lines().next(), signal);
      return line.done ? '' : line.value;
    };
    const approved = /^\s*y(es)?\s*$/i.test(await question(`Approve step ${request.stepId}? [y/N] `));
    const comment = (await question('Comment (Enter for none): ')).trim();
    return { approved, approvedBy: approver, comment };
  };
  return {
    policy: {
      ask: (request, signal) => {
        const turn = queue.then(() => ask(request, signal));
        queue = turn.catch(() => undefined);
        return turn;
      },
    },
    close: () => reader?.rl.close(),
  };
}

async function runRun(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseRunArgs(args);
  const loaded = await readRunbookFile(io, 'run', parsed.file);
  if (!loaded) return 1;
  const hasErrors = await printDiagnostics(io, loaded);
  if (hasErrors || !loaded.runbook) return 1;
  let params: Record<string, JsonScalar>;
  try {
    params = parseParameterArguments(loaded.runbook, parsed.params);
  } catch (error) {
    if (error instanceof ParameterError) throw usage(error.message);
    throw error;
  }
  // The local engine and the emulator load only now, once the arguments and the runbook are good.
  const { prepareRunbook, runLocal } = await import('../runner/run-local.ts');
  const { resolveClusterFile, startCliEmulator } = await import('./local-cluster.ts');
  const prepared = prepareRunbook(loaded.runbook, { file: resolveFile(io, parsed.file) });

  const approver = parsed.approver ?? io.env.USER ?? io.env.USERNAME ?? 'local-user';
  const interactive = parsed.decision === undefined && io.stdin.isTTY === true;
  const terminal = interactive ? terminalApprover(io, approver) : undefined;
  const approval: ApprovalPolicy | undefined = parsed.decision
    ? {
        decision: parsed.decision,
        approvedBy: approver,
        ...(parsed.comment !== undefined ? { comment: parsed.comment } : {}),
      }
    : terminal?.policy;
  const note = parsed.decision
    ? undefined
    : interactive
      ? undefined
      : 'no --approve or --reject and no terminal to ask on: waiting until it times out ({timeout}), then failing as rejected';
  const tree = new ProgressTree((text) => io.stderr.write(text), note);

  const { emulator, ecs, kms } = await startCliEmulator({
    clusterFile: resolveClusterFile(io.cwd, parsed.clusterFile),
    realistic: !parsed.fast,
  });
  try {
    const result = await runLocal(prepared, {
      ecs,
      kms,
      params,
      ...(parsed.trigger ? { trigger: parsed.trigger } : {}),
      region: emulator.region,
      ...(parsed.outputDir !== undefined ? { outputDir: resolveFile(io, parsed.outputDir) } : {}),
      ...(approval ? { approval } : {}),
      onEvent: (event) => tree.render(event),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    await write(io.stderr, terminalSafe(formatSummary(result)));
    if (parsed.json) await write(io.stdout, `${JSON.stringify(result, null, 2)}\n`);
    return result.status === 'succeeded' ? 0 : 1;
  } finally {
    terminal?.close();
    ecs.destroy();
    kms.destroy();
    await emulator.close();
  }
}

function resolveFile(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file);
}

/** `runbook run`. */
export const runCommand: Subcommand = {
  name: 'run',
  usage: USAGE,
  run: runRun,
};
