/**
 * What a session runs: a command under a PTY, or a generator of deterministic output.
 */

/** How the command ended. */
export interface BackendExit {
  /** Exit status; `undefined` for the generated backend. */
  readonly exitCode: number | undefined;
  /** Signal number that ended the command, when one did. */
  readonly signal: number | undefined;
}

/** Where a backend delivers its output. */
export interface BackendSink {
  data(bytes: Buffer): void;
  /** Called once, after the last `data`. */
  end(exit: BackendExit): void;
}

/** A running command's controls. */
export interface CommandBackend {
  /** Writes client keystrokes to the command. */
  write(bytes: Uint8Array): void;
  /** Applies a terminal size from a Size message. */
  resize(cols: number, rows: number): void;
  /** Asks a pull-based backend for more output; push-based backends ignore it. */
  demand(): void;
  /** Stops reading output until {@link resume} (back-pressure). */
  pause(): void;
  resume(): void;
  /** Ends the command (if still running) and resolves once it is gone; bounded. */
  kill(): Promise<void>;
}
