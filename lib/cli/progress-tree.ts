/**
 * The progress of a run as lines of text: an indented tree of steps and targets (it works in a
 * pipe too), then a summary.
 */
import type { ExecResult } from '../exec/result.ts';
import type { FanOutStepValue, JsonScalar, StepValue } from '../handlers/events.ts';
import type { LocalRunResult, RunEvent } from '../runner/progress.ts';
import { formatDuration } from '../shared/duration.ts';
import { terminalSafe } from './terminal-safe.ts';

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

/** The path of a step: the `runbook` steps it is nested in, then its id (`call/say`). */
function pathOf(scope: readonly string[], stepId?: string): string {
  return [...scope, ...(stepId === undefined ? [] : [stepId])].join('/');
}

/**
 * Renders run events as an indented tree, one line at a time (it works in a pipe too).
 *
 * Steps that run at once (parallel branches) interleave their lines. A step's own start and end
 * lines name it; the lines under a step (its targets, retries, notifications, approvals, a called
 * runbook's steps) do not, so when the line before them was another step's, a `… <step>` line
 * says whose they are.
 */
export class ProgressTree {
  readonly #write: (text: string) => void;
  readonly #approvalNote: string | undefined;
  /** Indent of each scope's steps, and each step's depth, by scope. */
  readonly #base = new Map<string, number>([['', 0]]);
  readonly #depth = new Map<string, number>();
  /** The path of the step the last line was about ('' for the run's own lines). */
  #last = '';

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

  /**
   * Before lines that sit under the step at `within` (a path): when the last line was about
   * neither that step nor one inside it, a line naming the step. `about` is the path the lines
   * are about.
   */
  #under(within: string, about = within): void {
    if (within !== '' && this.#last !== within && !this.#last.startsWith(`${within}/`)) {
      const parts = within.split('/');
      const stepId = parts.pop() as string;
      this.#write(`${this.#indent(parts, stepId)}… ${stepId}\n`);
    }
    this.#last = about;
  }

  /** Renders one event. */
  render(event: RunEvent): void {
    const key = event.scope.join('/');
    // The run's own lines and a step's start and end name what they are about; the others sit
    // under their step.
    if (event.type === 'step-started' || event.type === 'step-finished') {
      this.#under(key, pathOf(event.scope, event.stepId));
    } else if (event.type === 'run-started' || event.type === 'run-finished') {
      this.#under(key);
    } else {
      this.#under(pathOf(event.scope, event.stepId));
    }
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
      case 'step-retried': {
        const failed = (event.value as { result?: ExecResult } | undefined)?.result;
        const exit = failed?.exitCode != null ? ` (exit ${failed.exitCode})` : '';
        this.#write(
          `${this.#indent(event.scope, event.stepId, 1)}↻ retry ${event.retry} after ${event.error.name}${exit}: ${firstLine(event.error.message)}\n`,
        );
        // The failed try's output: the retry's own replaces it in the step's value.
        if (failed)
          this.#lines(`${this.#indent(event.scope, event.stepId, 2)}│ `, tailLines(failed.output.tail, 4));
        break;
      }
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
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') this.#lines(inner, message.split('\n'));
    // A failed step's captures were never read (each is null): only a success shows its outputs.
    // A fan-out's counts are on its line above, and a parallel step has none of its own.
    if (status === 'succeeded' && kind !== 'fan-out' && kind !== 'parallel') {
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
