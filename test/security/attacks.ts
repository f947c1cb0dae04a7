/**
 * Hostile values and the helpers the attack tests share: each payload touches a canary file
 * when anything runs it, so a test proves nothing ran by the file's absence.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand } from '../../lib/exec/command.ts';
import { OutputCollector } from '../../lib/exec/output.ts';
import { rewriteCommand } from '../../lib/runbook/commands.ts';
import type { Diagnostic } from '../../lib/runbook/diagnostics.ts';
import { parseRunbook } from '../../lib/runbook/parse-runbook.ts';
import { agentArgv } from '../exec/command-run.ts';
import { runSh, type Shell } from '../shells.ts';

/** A fresh directory with a canary path in it. */
export function canaryDir(): {
  readonly dir: string;
  readonly canary: string;
  ran(): boolean;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'rb-attack-'));
  const canary = join(dir, 'canary');
  return {
    dir,
    canary,
    ran: () => existsSync(canary),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Ways to run `touch <canary>` hidden in a value, for shells that evaluate or re-parse it. */
export function payloads(canary: string): string[] {
  const run = `touch ${canary}`;
  return [
    `a[$(${run})]`,
    `x[\`${run}\`]`,
    `a[$(${run})]+1`,
    `1+a[$(${run})]`,
    `-a[$(${run})]`,
    `0 + a[$(${run})]`,
    `$(${run})`,
    `\`${run}\``,
    `1;${run}`,
    `1); ${run}; (`,
    `1 ]] || ${run} || [[ 1`,
    `1 )) || ${run} || (( 1`,
    `'; ${run}; '`,
    `"; ${run}; "`,
    `\n${run}\n`,
    `\r${run}`,
    `$((a[$(${run})]))`,
    `\${x[$(${run})]}`,
    `{{ ${run} }}`,
    `--help;${run}`,
    `a[$(${run})]\n`,
    `2#a[$(${run})]`,
    `0x1f`,
    `1e5`,
    `1.5.5`,
    `+1`,
    ` 1`,
    `1 `,
    `-`,
    ``,
    `true;${run}`,
    `TRUE`,
    `٣`,
  ];
}

/** A runbook with one exec step running `command`, with parameters of every type. */
export function runbookWith(command: string): string {
  return [
    'name: attack',
    'parameters:',
    '  n: { type: integer, default: 3 }',
    '  f: { type: number, default: 1.5 }',
    '  b: { type: boolean, default: true }',
    '  e: { type: enum, values: [red, green], default: red }',
    '  s: { type: string, default: text }',
    'steps:',
    '  - id: first',
    '    exec: { target: { service: api }, command: "true" }',
    '  - id: attack',
    '    exec:',
    '      target: { service: api }',
    `      command: ${JSON.stringify(command)}`,
    '',
  ].join('\n');
}

/** The script the compiler sends for `command` (the last step of {@link runbookWith}). */
export function compiledScript(command: string): {
  readonly script: string;
  readonly diagnostics: Diagnostic[];
} {
  const { runbook, diagnostics } = parseRunbook(runbookWith(command), { file: 'attack.yaml' });
  const step = runbook?.steps[1];
  if (step?.kind !== 'exec') {
    throw new Error(`does not validate: ${diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  }
  return { script: rewriteCommand(step.command).script, diagnostics: [...diagnostics] };
}

/** What one wrapped run gave: the script's exit code (from the marker) and its output. */
export interface WrappedRun {
  readonly exitCode: number | null;
  readonly output: string;
  readonly stderr: string;
}

/**
 * Runs `script` as the exec layer sends it (the `sh -c` wrapper with the values exported, split
 * as the agent splits it), with `shell` as `sh`.
 */
export function runWrapped(
  shell: Shell,
  script: string,
  env: Readonly<Record<string, string>>,
  cwd: string,
): WrappedRun {
  const built = buildCommand({ script, env });
  const [, , wrapped] = agentArgv(built.command);
  const run = runSh(shell, wrapped as string, { cwd });
  const chunks: string[] = [];
  const collector = new OutputCollector({
    marker: built.marker,
    sink: (c) => chunks.push(Buffer.from(c).toString('utf8')),
  });
  collector.push(Buffer.from(run.stdout, 'utf8'));
  const result = collector.end();
  return { exitCode: result.exitCode, output: chunks.join(''), stderr: run.stderr };
}
