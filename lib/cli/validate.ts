/**
 * `runbook validate FILE...`: every diagnostic of every file, at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../runbook/diagnostics.ts';
import { type LoadedRunbook, loadRunbookSource } from '../runbook/load.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';

const USAGE = `Usage: runbook validate FILE...

Checks runbooks: YAML syntax, the schema, step ids and references, expression types, commands,
durations, cron expressions. Runbooks a \`runbook\` step calls are read from beside the file
(<name>.yaml) to check the arguments and type the outputs.

Prints every diagnostic on stderr as file:line:col with the offending line, and "<file>: ok" for
each file without errors. Exit codes: 0 when no file has an error, 1 otherwise, 2 usage error.
`;

/**
 * Reads and validates a runbook file for a subcommand; a file that cannot be read is a
 * one-line message on stderr and `undefined`.
 */
export async function readRunbookFile(
  io: CliIo,
  command: string,
  file: string,
): Promise<LoadedRunbook | undefined> {
  let source: string;
  try {
    source = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (error) {
    await write(io.stderr, `runbook ${command}: cannot read ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
  // Diagnostics name the file as given; children are looked up beside its resolved path.
  const loaded = loadRunbookSource(path.resolve(io.cwd, file), source);
  return { ...loaded, file, diagnostics: loaded.diagnostics.map((d) => ({ ...d, file })) };
}

/** Prints a file's diagnostics on stderr; resolves to whether any is an error. */
export async function printDiagnostics(io: CliIo, loaded: LoadedRunbook): Promise<boolean> {
  for (const diagnostic of loaded.diagnostics) {
    await write(io.stderr, `${formatDiagnostic(loaded.source, diagnostic)}\n`);
  }
  return loaded.diagnostics.some((d) => d.severity === 'error');
}

/** Parses a subcommand's arguments: positionals only (and --help, handled by main). */
export function positionalsOf(args: readonly string[], usage: string): string[] {
  try {
    return parseArgs({ args: [...args], options: {}, allowPositionals: true, strict: true }).positionals;
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

async function runValidate(args: readonly string[], io: CliIo): Promise<number> {
  const files = positionalsOf(args, USAGE);
  if (files.length === 0) throw new UsageError('no file: give one or more runbook files', USAGE);
  let failed = false;
  for (const file of files) {
    const loaded = await readRunbookFile(io, 'validate', file);
    if (!loaded) {
      failed = true;
      continue;
    }
    const hasErrors = await printDiagnostics(io, loaded);
    if (hasErrors) failed = true;
    else {
      const warnings = loaded.diagnostics.length;
      await write(
        io.stderr,
        `${file}: ok${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n`,
      );
    }
  }
  return failed ? 1 : 0;
}

/** `runbook validate`. */
export const validateCommand: Subcommand = {
  name: 'validate',
  usage: USAGE,
  run: runValidate,
};
