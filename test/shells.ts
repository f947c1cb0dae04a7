/**
 * The `sh` implementations generated scripts are checked under: dash (Debian's and Ubuntu's
 * `/bin/sh`) and bash invoked as `sh` (Amazon Linux's, RHEL/UBI's and Fedora's `/bin/sh`, which
 * runs bash in POSIX mode but keeps its arithmetic, `[[`, arrays and the rest).
 *
 * Each is found on PATH (and in /bin, /usr/bin); a shell that is missing is reported with a
 * reason so the tests that need it can say why they did not run, never skip silently.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** One shell, spawned as `sh`. */
export interface Shell {
  /** `dash` or `bash as sh`: for test names. */
  readonly name: string;
  /** The executable's absolute path. */
  readonly file: string;
}

/** The absolute path of `name` on PATH or in the usual directories, or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/bin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const dash = findExecutable('dash');
const bash = findExecutable('bash');

/** The shells found, dash first. */
export const SH_SHELLS: readonly Shell[] = [
  ...(dash ? [{ name: 'dash', file: dash }] : []),
  ...(bash ? [{ name: 'bash as sh', file: bash }] : []),
];

/** Why a shell is missing, for `describe.runIf(...)` titles; undefined when both are found. */
export const MISSING_SHELLS: string | undefined =
  [!dash && 'dash is not installed', !bash && 'bash is not installed'].filter(Boolean).join('; ') ||
  undefined;

/** Whether bash, the shell these attacks target, can be tested. */
export const HAS_BASH = bash !== undefined;

/** The outcome of {@link runSh}. */
export interface ShRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sh -c script` with `shell` as `sh` (argv[0] is `sh`, so bash enters POSIX mode as it
 * does as /bin/sh) and exactly `env` plus PATH.
 */
export function runSh(
  shell: Shell,
  script: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly cwd?: string } = {},
): ShRun {
  const run = spawnSync(shell.file, ['-c', script], {
    argv0: 'sh',
    encoding: 'utf8',
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    timeout: 15_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * A directory holding one `sh` that is `shell` (a symlink), to put first on a PATH: how a local
 * cluster file's `env.PATH` makes containers run bash as `sh`. Call `remove()` when done.
 */
export function shOnPath(shell: Shell): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rb-sh-'));
  symlinkSync(shell.file, join(dir, 'sh'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
