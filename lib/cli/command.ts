import type { CliIo } from './io.ts';

/** One subcommand's implementation: `runbook <name> …`, loaded only when it runs. */
export interface Subcommand {
  readonly name: string;
  /** The full usage text, printed with `--help` and after a usage error. */
  readonly usage: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * What `runbook --help` knows of a subcommand without loading it: its name, its one-line
 * summary, and how to load its implementation (a dynamic import, so a start loads only the
 * command it runs).
 */
export interface SubcommandEntry {
  readonly name: string;
  /** One line for `runbook --help`. */
  readonly summary: string;
  load(): Promise<Subcommand>;
}
