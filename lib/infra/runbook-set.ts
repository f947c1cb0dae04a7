/**
 * The runbooks one stack deploys: every `*.yaml` of one directory (one level), validated
 * together (a `runbook` step's callee is looked up in the same set), compiled, and ordered so
 * each runbook comes after the runbooks it calls. Pure apart from reading the directory; no CDK.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CompiledRunbook, compileRunbook } from '../compiler/index.ts';
import {
  allSteps,
  formatDiagnostic,
  parseRunbook,
  type Runbook,
  type RunbookSignature,
  signatureOf,
  type Template,
} from '../runbook/index.ts';
import { InfraError, RunbookDiagnosticsError } from './errors.ts';

/** One runbook of the set. */
export interface DeployedRunbook {
  readonly file: string;
  readonly runbook: Runbook;
  readonly compiled: CompiledRunbook;
  /** The runbooks its `runbook` steps call, by name, sorted. */
  readonly calls: readonly string[];
}

/** A runbook file's text. */
export interface RunbookSource {
  readonly file: string;
  readonly source: string;
}

/** The runbook files of `dir`: `*.yaml` and `*.yml`, one level, sorted. */
export function readRunbookDir(dir: string): RunbookSource[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      return { file, source: readFileSync(file, 'utf8') };
    });
}

/**
 * Validates and compiles a set of runbooks. Every error diagnostic of every file is collected
 * first; then synth stops with all of them.
 *
 * @throws RunbookDiagnosticsError when any runbook has error diagnostics (the message holds
 *   each, formatted with its file, line and column).
 * @throws InfraError `UNWIRABLE_RUNBOOK` for two runbooks with one name, or a call cycle (the
 *   state machines would reference each other's ARNs, which CloudFormation cannot create).
 */
export function loadRunbookSet(sources: readonly RunbookSource[]): DeployedRunbook[] {
  // First pass: each runbook on its own, for the signatures its callers are checked against.
  const signatures = new Map<string, RunbookSignature>();
  for (const { file, source } of sources) {
    const alone = parseRunbook(source, { file });
    if (alone.runbook && !signatures.has(alone.runbook.name)) {
      signatures.set(alone.runbook.name, signatureOf(alone.runbook));
    }
  }
  const problems: string[] = [];
  const failed: string[] = [];
  const loaded: { file: string; runbook: Runbook }[] = [];
  for (const { file, source } of sources) {
    const parsed = parseRunbook(source, { file, resolveRunbook: (name) => signatures.get(name) });
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (!parsed.runbook || errors.length > 0) {
      failed.push(file);
      problems.push(...errors.map((d) => formatDiagnostic(source, d)));
      continue;
    }
    loaded.push({ file, runbook: parsed.runbook });
  }
  if (failed.length > 0) {
    throw new RunbookDiagnosticsError(
      failed,
      `${failed.length} runbook(s) do not validate, so nothing is synthesized:\n${problems.join('\n')}`,
    );
  }

  const byName = new Map<string, { file: string; runbook: Runbook }>();
  for (const item of loaded) {
    const other = byName.get(item.runbook.name);
    if (other) {
      throw new InfraError(
        'UNWIRABLE_RUNBOOK',
        `${item.file} and ${other.file} both name a runbook ${item.runbook.name}; runbook names must be unique in a stack`,
      );
    }
    byName.set(item.runbook.name, item);
  }
  const result = new Map<string, DeployedRunbook>();
  const visiting: string[] = [];
  const visit = (name: string): void => {
    if (result.has(name)) return;
    const item = byName.get(name);
    if (!item) return;
    if (visiting.includes(name)) {
      const cycle = [...visiting.slice(visiting.indexOf(name)), name].join(' → ');
      throw new InfraError(
        'UNWIRABLE_RUNBOOK',
        `runbooks call each other in a cycle (${cycle}); a deployed state machine cannot start one that references it back`,
      );
    }
    visiting.push(name);
    const calls = calledRunbooks(item.runbook);
    for (const callee of calls) {
      if (!byName.has(callee)) {
        throw new InfraError(
          'UNWIRABLE_RUNBOOK',
          `${item.file}: runbook ${name} calls ${callee}, which is not in the runbook directory; deployed: ${[...byName.keys()].sort().join(', ')}`,
        );
      }
      visit(callee);
    }
    visiting.pop();
    result.set(name, { ...item, compiled: compileRunbook(item.runbook), calls });
  };
  for (const name of [...byName.keys()].sort()) visit(name);
  return [...result.values()];
}

/** The runbooks `runbook`'s steps call, sorted. */
export function calledRunbooks(runbook: Runbook): string[] {
  const names = new Set<string>();
  for (const step of allSteps(runbook.steps)) if (step.kind === 'runbook') names.add(step.runbook);
  return [...names].sort();
}

/** A template's text when it has no references, else `undefined`. */
export function literalOf(template: Template | undefined): string | undefined {
  if (!template) return undefined;
  if (template.parts.some((part) => part.kind !== 'text')) return undefined;
  return template.parts.map((part) => (part.kind === 'text' ? part.text : '')).join('');
}

/**
 * The container names exec steps use, when every exec step of every runbook names its container
 * literally; `undefined` when any one leaves it open (an expression, or the task's only
 * container), so no `ecs:container-name` condition can be set for the shared exec role.
 */
export function fixedContainers(runbooks: readonly Runbook[]): string[] | undefined {
  const names = new Set<string>();
  for (const runbook of runbooks) {
    for (const step of allSteps(runbook.steps)) {
      if (step.kind !== 'exec') continue;
      const name = literalOf(step.target.container);
      if (name === undefined) return undefined;
      names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The SNS topics a runbook's notify steps publish to, sorted.
 *
 * @throws InfraError `UNWIRABLE_RUNBOOK` for a topic written as an expression: the state
 *   machine's role may publish only to topics known at synth.
 */
export function notifyTopics(runbook: Runbook, file: string): string[] {
  const topics = new Set<string>();
  for (const step of allSteps(runbook.steps)) {
    if (step.kind !== 'notify') continue;
    const topic = literalOf(step.topic);
    if (topic === undefined) {
      throw new InfraError(
        'UNWIRABLE_RUNBOOK',
        `${file}:${step.topic.range.start.line}:${step.topic.range.start.col}: step ${step.id} of runbook ${runbook.name} names its topic with an expression; a deployed runbook may publish only to topics written literally, so write the topic ARN`,
      );
    }
    topics.add(topic);
  }
  return [...topics].sort();
}
