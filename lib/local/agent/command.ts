/**
 * Turns a session's command string into an argv the way the agent does in container mode, and
 * decides up front whether it can start, with the agent's own error texts.
 *
 * node-pty reports a failed exec as output of the child (`execvp(3) failed.`), not as an
 * error, so the executable is looked up here first, with Go's `exec.LookPath` rules.
 *
 * @see docs/protocol.md §9
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import { ShlexError, shlexSplit } from '../shlex.ts';

/** The agent's text for an empty or whitespace-only command. */
export const EMPTY_COMMAND_TEXT = 'Commands cannot be empty for session type InteractiveCommands';

/** Prefix of every start failure the agent reports. */
export const START_FAILURE_PREFIX = 'Unable to start command: Failed to start pty: ';

/** A command that can be spawned. */
export interface CommandPlanReady {
  readonly ok: true;
  /** argv[0] as written (execvp resolves it with the child's PATH, as Go's exec does). */
  readonly file: string;
  readonly args: readonly string[];
}

/** A command that cannot start, with the text the agent reports. */
export interface CommandPlanFailed {
  readonly ok: false;
  /** `channel_closed` Output. */
  readonly output: string;
  /** Whether the agent sleeps before reporting (2 s for exec failures; none for an empty command). */
  readonly delayed: boolean;
}

export type CommandPlan = CommandPlanReady | CommandPlanFailed;

/**
 * Splits `command` with the agent's shlex rules, prepends `argvPrefix`, and checks that argv[0]
 * can be executed with `env.PATH`, relative paths taken from `workdir`.
 */
export function planCommand(
  command: string,
  argvPrefix: readonly string[],
  env: Readonly<Record<string, string>>,
  workdir: string,
): CommandPlan {
  if (command.trim() === '') return { ok: false, output: EMPTY_COMMAND_TEXT, delayed: false };
  let words: string[];
  try {
    words = shlexSplit(command);
  } catch (error) {
    if (!(error instanceof ShlexError)) throw error;
    return { ok: false, output: `Unable to start command: ${error.message}`, delayed: true };
  }
  // A command that is only a comment splits into nothing: the agent has nothing to run.
  if (words.length === 0) return { ok: false, output: EMPTY_COMMAND_TEXT, delayed: false };
  const argv = [...argvPrefix, ...words];
  const file = argv[0] as string;
  const failure = findExecutable(file, env.PATH, workdir);
  if (failure !== undefined) return { ok: false, output: `${START_FAILURE_PREFIX}${failure}`, delayed: true };
  return { ok: true, file, args: argv.slice(1) };
}

/** Go's error text when `file` cannot be executed, or `undefined` when it can. */
function findExecutable(file: string, path: string | undefined, workdir: string): string | undefined {
  if (file.includes('/')) {
    // Go skips LookPath for names with a slash; fork/exec then reports the errno.
    const target = isAbsolute(file) ? file : resolve(workdir, file);
    const errno = executableErrno(target);
    return errno === undefined ? undefined : `fork/exec ${file}: ${errno}`;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(workdir, dir, file);
    if (executableErrno(candidate) === undefined) return undefined;
  }
  return `exec: ${JSON.stringify(file)}: executable file not found in $PATH`;
}

function executableErrno(target: string): string | undefined {
  try {
    const stat = statSync(target);
    if (!stat.isFile()) return 'permission denied';
    accessSync(target, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file or directory';
    return 'permission denied';
  }
}
