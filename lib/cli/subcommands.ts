import type { Subcommand } from './command.ts';
import { execCommand } from './exec.ts';
import { localCommand } from './local.ts';

/** Every subcommand, in the order `runbook --help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [execCommand, localCommand];
