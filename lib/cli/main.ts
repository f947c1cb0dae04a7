/**
 * The `runbook` command line: `main(argv, io)` → exit code.
 *
 * Data goes to stdout, progress, diagnostics and hints to stderr; a stack trace only with
 * `--debug`. A {@link UsageError} exits 2 and prints the subcommand's usage. Library code never
 * calls `process.exit`.
 */
import type { Subcommand, SubcommandEntry } from './command.ts';
import { type CliIo, formatError, UsageError, write } from './io.ts';
import { SUBCOMMANDS } from './subcommands.ts';

/** The package's version, as package.json says; read only for `--version`, so starting loads no file. */
async function packageVersion(): Promise<string> {
  const { default: packageJson } = await import('../../package.json', { with: { type: 'json' } });
  return packageJson.version;
}

function topUsage(commands: readonly SubcommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: runbook <command> [options]',
    '',
    'Run shell commands in Amazon ECS containers through ECS Exec, with exit codes and complete',
    'output; compile YAML runbooks to AWS Step Functions and run them locally.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options: --help (any command), --version, --debug (stack traces on errors)',
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // `--debug` is ours only before `--`: after it, every word belongs to the remote command.
  const dashDash = argv.indexOf('--');
  const ours = dashDash < 0 ? argv : argv.slice(0, dashDash);
  const debug = ours.includes('--debug');
  const args = [...ours.filter((a) => a !== '--debug'), ...(dashDash < 0 ? [] : argv.slice(dashDash))];
  const [name, ...rest] = args;
  const usage = topUsage(SUBCOMMANDS);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await write(name === undefined ? io.stderr : io.stdout, usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    await write(io.stdout, `runbook ${await packageVersion()}\n`);
    return 0;
  }
  const entry = SUBCOMMANDS.find((c) => c.name === name);
  if (!entry) {
    await write(io.stderr, `runbook: unknown command ${JSON.stringify(name)}\n\n${usage}`);
    return 2;
  }
  let command: Subcommand;
  try {
    command = await entry.load();
  } catch (error) {
    await write(io.stderr, formatError(entry.name, error, debug));
    return 1;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    await write(io.stdout, command.usage);
    return 0;
  }
  try {
    return await command.run(rest, debug ? { ...io, debug } : io);
  } catch (error) {
    if (error instanceof UsageError) {
      await write(io.stderr, `runbook ${command.name}: ${error.message}\n\n${error.usage}`);
      return 2;
    }
    await write(io.stderr, formatError(command.name, error, debug));
    return 1;
  }
}
