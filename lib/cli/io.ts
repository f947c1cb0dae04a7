/**
 * What a subcommand may touch of the outside world, injected so tests call `main(argv, io)`.
 */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted when the user interrupts (SIGINT); subcommands pass it down to every wait. */
  readonly signal?: AbortSignal;
  /** `--debug` was given: errors print their stack. @default false */
  readonly debug?: boolean;
}

/**
 * An error as the user reads it: `runbook <command>: <Name>: <message>`, then its hint (lib/exec's
 * errors carry one), then the stack only with `--debug`.
 */
export function formatError(command: string, error: unknown, debug = false): string {
  const err = error instanceof Error ? error : new Error(String(error));
  const hint = (err as { hint?: unknown }).hint;
  return (
    `runbook ${command}: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n` +
    (typeof hint === 'string' && hint ? `hint: ${hint}\n` : '') +
    (debug && err.stack ? `${err.stack}\n` : '')
  );
}

/** A command-line mistake: exit code 2, the message and the subcommand's usage on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** Writes a chunk and waits for the stream to accept it (back-pressure for large outputs). */
export function write(stream: NodeJS.WritableStream, text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(text, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}
