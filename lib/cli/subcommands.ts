import type { Subcommand } from './command.ts';
import { compileCommand } from './compile.ts';
import { execCommand } from './exec.ts';
import { graphCommand } from './graph.ts';
import { localCommand } from './local.ts';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';

/** Every subcommand, in the order `runbook --help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [
  runCommand,
  execCommand,
  validateCommand,
  compileCommand,
  graphCommand,
  localCommand,
];
