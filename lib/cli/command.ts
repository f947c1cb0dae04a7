import type { CliIo } from './io.ts';

/** One subcommand: `runbook <name> …`. */
export interface Subcommand {
  readonly name: string;
  /** One line for `runbook --help`. */
  readonly summary: string;
  /** The full usage text, printed with `--help` and after a usage error. */
  readonly usage: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
