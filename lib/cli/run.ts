/**
 * `runbook run FILE --local`: run a runbook on this machine, with a live progress tree.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { ExecResult } from '../exec/result.ts';
import type { FanOutStepValue, JsonScalar, StepValue, TriggerInput } from '../handlers/events.ts';
import { ParameterError } from '../runbook/errors.ts';
import { parseParameterArguments } from '../runbook/parameters.ts';
import type { ApprovalAnswer, ApprovalPolicy, ApprovalRequest } from '../runner/approval.ts';
import type { LocalRunResult, RunEvent } from '../runner/progress.ts';
import { formatDuration } from '../shared/duration.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';
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

const MARKS = { succeeded: '✓', failed: '✗', skipped: '-' } as const;
const TAIL_LINES = 8;

function tailLines(tail: string, max: number): string[] {
  const lines = tail.replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  return lines.length > max ? ['…', ...lines.slice(-max)] : lines;
}

function shownValue(value: JsonScalar): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Renders run events as an indented tree, one line at a time (it works in a pipe too). */
export class ProgressTree {
  readonly #write: (text: string) => void;
  readonly #approvalNote: string | undefined;
  /** Indent of each scope's steps, and each step's depth, by scope. */
  readonly #base = new Map<string, number>([['', 0]]);
  readonly #depth = new Map<string, number>();

  /**
   * @param approvalNote printed under each approval request (how it will be decided)
   */
  constructor(write: (text: string) => void, approvalNote?: string) {
    // Every line shows runbook values (parameters, trigger fields, messages, errors): escape
    // the control characters among them before they reach a terminal.
    this.#write = (text) => write(terminalSafe(text));
    this.#approvalNote = approvalNote;
  }

  #indent(scope: readonly string[], stepId?: string, extra = 0): string {
    const key = scope.join('/');
    const depth = stepId === undefined ? 0 : (this.#depth.get(`${key}|${stepId}`) ?? 0);
    return '  '.repeat((this.#base.get(key) ?? 0) + depth + extra);
  }

  #lines(indent: string, lines: readonly string[]): void {
    for (const line of lines) this.#write(`${indent}${line}\n`);
  }

  /** Renders one event. */
  render(event: RunEvent): void {
    const key = event.scope.join('/');
    switch (event.type) {
      case 'run-started': {
        for (const step of event.steps) this.#depth.set(`${key}|${step.id}`, step.depth);
        if (event.scope.length === 0) {
          this.#write(
            `runbook ${event.runbook} (${event.execution.slice(event.execution.lastIndexOf(':') + 1)})\n`,
          );
          this.#write(`outputs of every target in ${event.outputDir}\n`);
        } else {
          const parentScope = event.scope.slice(0, -1);
          const parentStep = event.scope[event.scope.length - 1] as string;
          const parentKey = parentScope.join('/');
          this.#base.set(
            key,
            (this.#base.get(parentKey) ?? 0) + (this.#depth.get(`${parentKey}|${parentStep}`) ?? 0) + 2,
          );
          this.#write(`${this.#indent(parentScope, parentStep, 1)}runbook ${event.runbook}\n`);
        }
        break;
      }
      case 'step-started':
        this.#write(
          `${this.#indent(event.scope, event.stepId)}▶ ${event.stepId} (${event.kind})${event.name ? ` ${event.name}` : ''}\n`,
        );
        break;
      case 'step-retried':
        this.#write(
          `${this.#indent(event.scope, event.stepId, 1)}↻ retry ${event.retry} after ${event.error.name}: ${firstLine(event.error.message)}\n`,
        );
        break;
      case 'target-finished':
        this.#target(this.#indent(event.scope, event.stepId, 1), event.result, event.attempt);
        break;
      case 'notification':
        this.#write(
          `${this.#indent(event.scope, event.stepId, 1)}✉ ${event.topic}${event.subject ? ` — ${event.subject}` : ''}\n`,
        );
        this.#lines(this.#indent(event.scope, event.stepId, 2), event.message.split('\n'));
        break;
      case 'approval-requested':
        this.#write(`${this.#indent(event.scope, event.stepId, 1)}? ${event.message}\n`);
        if (this.#approvalNote) {
          this.#write(
            `${this.#indent(event.scope, event.stepId, 1)}  ${this.#approvalNote.replace('{timeout}', formatDuration(event.timeoutMs))}\n`,
          );
        }
        break;
      case 'approval-decided':
        this.#write(
          `${this.#indent(event.scope, event.stepId, 1)}${event.approved ? '✓ approved' : '✗ rejected'} by ${event.approvedBy}${event.comment ? `: ${event.comment}` : ''}\n`,
        );
        break;
      case 'step-finished':
        this.#step(event.scope, event.stepId, event.kind, event.status, event.durationMs, event.value);
        break;
      case 'run-finished':
        if (event.scope.length > 0) {
          const parentScope = event.scope.slice(0, -1);
          const parentStep = event.scope[event.scope.length - 1] as string;
          this.#write(
            `${this.#indent(parentScope, parentStep, 1)}runbook ${event.result.runbook} ${event.result.status} in ${formatDuration(event.result.durationMs)}\n`,
          );
        }
        break;
    }
  }

  #target(indent: string, result: ExecResult, attempt: number): void {
    const mark = result.status === 'succeeded' ? '✓' : '✗';
    const exit = result.exitCode !== null ? ` (exit ${result.exitCode})` : '';
    const error = result.error ? `: ${result.error.name}: ${firstLine(result.error.message)}` : '';
    const tryText = attempt > 1 ? ` [try ${attempt}]` : '';
    this.#write(
      `${indent}${mark} ${result.taskId}${result.container ? `/${result.container}` : ''} ${result.status} in ${formatDuration(result.durationMs)}${exit}${tryText}${error}\n`,
    );
    this.#lines(`${indent}  │ `, tailLines(result.output.tail, result.status === 'succeeded' ? 2 : 4));
  }

  #step(
    scope: readonly string[],
    stepId: string,
    kind: string,
    status: StepValue['status'],
    durationMs: number,
    value: StepValue,
  ): void {
    const indent = this.#indent(scope, stepId);
    if (status === 'skipped') {
      this.#write(`${indent}${MARKS.skipped} ${stepId} skipped\n`);
      return;
    }
    const details: string[] = [];
    if (value.exitCode !== null) details.push(`exit ${value.exitCode}`);
    if (kind === 'fan-out') {
      const { total, succeeded } = (value as FanOutStepValue).outputs;
      details.push(`${succeeded}/${total} targets succeeded`);
    }
    this.#write(
      `${indent}${MARKS[status]} ${stepId} ${status} in ${formatDuration(durationMs)}${details.length > 0 ? ` (${details.join(', ')})` : ''}\n`,
    );
    const inner = this.#indent(scope, stepId, 1);
    const result = (value as { result?: ExecResult }).result;
    if (result) {
      const tail = tailLines(result.output.tail, TAIL_LINES);
      this.#lines(`${inner}│ `, result.output.truncated && tail[0] !== '…' ? ['…', ...tail] : tail);
      if (result.output.uri) this.#write(`${inner}whole output: ${result.output.uri}\n`);
    }
    if (kind !== 'fan-out' && kind !== 'parallel' && kind !== 'runbook') {
      for (const [name, output] of Object.entries(value.outputs)) {
        this.#write(`${inner}${name} = ${shownValue(output)}\n`);
      }
    }
    if (value.error) {
      this.#write(`${inner}${value.error.name}: ${value.error.message}\n`);
      if (value.error.hint) this.#write(`${inner}hint: ${value.error.hint}\n`);
    }
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** The summary printed after the tree. */
export function formatSummary(result: LocalRunResult): string {
  const lines: string[] = [];
  if (result.status === 'succeeded') {
    lines.push(`${MARKS.succeeded} ${result.runbook} succeeded in ${formatDuration(result.durationMs)}`);
  } else {
    const error = result.error;
    lines.push(
      `${MARKS.failed} ${result.runbook} failed in ${formatDuration(result.durationMs)}` +
        (error ? `: ${error.name}${error.stepId ? ` in step ${error.stepId}` : ''}: ${error.message}` : ''),
    );
  }
  const outputs = Object.entries(result.outputs);
  if (outputs.length > 0) {
    lines.push('outputs:');
    for (const [name, value] of outputs) lines.push(`  ${name} = ${shownValue(value)}`);
  }
  const counts = { succeeded: 0, failed: 0, skipped: 0 };
  for (const value of Object.values(result.steps)) counts[value.status]++;
  lines.push(`steps: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.skipped} skipped`);
  lines.push(`whole outputs: ${result.outputDir}`);
  return `${lines.join('\n')}\n`;
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
