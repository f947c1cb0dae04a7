/**
 * Runs a built command the way the SSM agent does in ECS: shlex-split, then argv[0] exec'd
 * directly, no shell in between.
 */
import { spawnSync } from 'node:child_process';
import type { BuiltCommand } from '../../lib/exec/command.ts';
import { type CollectedOutput, OutputCollector } from '../../lib/exec/output.ts';
import { shlexSplit } from '../../lib/local/shlex.ts';

/** The shells a wrapped script is checked under: dash or whatever `sh` is, and bash in POSIX mode (Amazon Linux's `sh`). */
export const SHELLS = [
  { name: 'sh', argv0: ['sh'] },
  { name: 'bash --posix', argv0: ['bash', '--posix'] },
] as const;

/** The words the agent would exec. */
export function agentArgv(command: string): string[] {
  const argv = shlexSplit(command);
  if (argv.length !== 3 || argv[0] !== 'sh' || argv[1] !== '-c') {
    throw new Error(`not a sh -c command: ${JSON.stringify(argv.slice(0, 2))} and ${argv.length - 2} more`);
  }
  return argv;
}

export interface RunOutcome extends CollectedOutput {
  /** Normalised stdout as the collector's sink received it. */
  readonly output: string;
  /** Everything the process wrote to stdout, marker included. */
  readonly raw: Buffer;
  /** What it wrote to stderr (a PTY would merge it into the output). */
  readonly stderr: string;
  /** The process's own exit status: the outer shell's, not the script's. */
  readonly processStatus: number | null;
}

/** Runs the command without a PTY, spawning the split argv directly. */
export function runBuilt(
  built: BuiltCommand,
  options: { readonly argv0?: readonly string[]; readonly cwd?: string } = {},
): RunOutcome {
  const [, dashC, wrapped] = agentArgv(built.command);
  const [file, ...flags] = options.argv0 ?? ['sh'];
  const child = spawnSync(file as string, [...flags, dashC as string, wrapped as string], {
    cwd: options.cwd,
    timeout: 15_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.error) throw child.error;
  const chunks: Buffer[] = [];
  const collector = new OutputCollector({ marker: built.marker, sink: (c) => chunks.push(Buffer.from(c)) });
  collector.push(child.stdout);
  const result = collector.end();
  return {
    ...result,
    output: Buffer.concat(chunks).toString('utf8'),
    raw: child.stdout,
    stderr: child.stderr.toString('utf8'),
    processStatus: child.status,
  };
}
