/**
 * Every subcommand, in the order `runbook --help` lists them, each loaded on demand: `--help`
 * loads none of them, `validate` only the runbook language, and the AWS SDK, the local engine and
 * the emulator load only under the commands that use them (docs/cli.md, "Start-up").
 */
import type { SubcommandEntry } from './command.ts';

export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  {
    name: 'run',
    summary: 'run a runbook on this machine against the local emulator (--local)',
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'exec',
    summary: 'run a command in ECS containers and exit with its exit code',
    load: async () => (await import('./exec.ts')).execCommand,
  },
  {
    name: 'validate',
    summary: 'check runbooks and print every diagnostic',
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  {
    name: 'compile',
    summary: 'print a runbook as an AWS Step Functions definition (ASL JSON)',
    load: async () => (await import('./compile.ts')).compileCommand,
  },
  {
    name: 'graph',
    summary: 'print a runbook as a Mermaid flowchart',
    load: async () => (await import('./graph.ts')).graphCommand,
  },
  {
    name: 'local',
    summary: 'serve the local ECS emulator (runbook local up [FILE])',
    load: async () => (await import('./local.ts')).localCommand,
  },
];
