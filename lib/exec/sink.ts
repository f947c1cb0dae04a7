/**
 * A file sink: the whole normalised output of one target, written to a file as it arrives.
 *
 * Writes are synchronous and batched: chunks collect in a fixed buffer that goes to the file
 * with `writeSync` when full. An asynchronous stream would queue without bound when output
 * arrives faster than the disk takes it (the local agent without pacing delivers hundreds of
 * MB/s), so memory would grow with the output; here it stays at one buffer.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Options of {@link createFileSink}. */
export interface FileSinkOptions {
  /** The directory; created when missing. */
  readonly dir: string;
  /** The file name, e.g. `<taskId>-<container>.log`; must not contain a path separator. */
  readonly fileName: string;
  /** Bytes collected before one write to the file. @default 65_536 */
  readonly bufferBytes?: number;
}

/** A sink writing to one file. */
export interface FileSink {
  /** `file://` URI of the file. */
  readonly uri: string;
  readonly path: string;
  /** Bytes written so far (including those still buffered). */
  readonly bytesWritten: number;
  /** Appends a chunk; throws when the file cannot be written (disk full, …). */
  write(chunk: Uint8Array): void;
  /** Writes what is buffered and closes the file; later calls do nothing. */
  close(): void;
}

const DEFAULT_BUFFER_BYTES = 65_536;

/**
 * Creates (truncating) a file for one target's output and returns its sink; throws when the
 * directory or the file cannot be created.
 */
export function createFileSink(options: FileSinkOptions): FileSink {
  if (options.fileName === '' || /[/\\]/.test(options.fileName) || options.fileName === '..') {
    throw new RangeError(
      `A sink file name must be a plain name without path separators; received ${JSON.stringify(options.fileName)}`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const filePath = path.resolve(options.dir, options.fileName);
  const fd = openSync(filePath, 'w', 0o600);
  const buffer = Buffer.allocUnsafe(options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
  let used = 0;
  let bytesWritten = 0;
  let closed = false;

  const flush = (): void => {
    let offset = 0;
    while (offset < used) offset += writeSync(fd, buffer, offset, used - offset);
    used = 0;
  };
  const writeAll = (chunk: Uint8Array): void => {
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
  };

  return {
    uri: pathToFileURL(filePath).href,
    path: filePath,
    get bytesWritten() {
      return bytesWritten;
    },
    write(chunk) {
      if (closed) throw new Error(`The output sink ${filePath} was written after close()`);
      bytesWritten += chunk.length;
      if (used + chunk.length <= buffer.length) {
        buffer.set(chunk, used);
        used += chunk.length;
        return;
      }
      flush();
      if (chunk.length >= buffer.length) writeAll(chunk);
      else {
        buffer.set(chunk, 0);
        used = chunk.length;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        flush();
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** A file name for a target's output: `<taskId>-<container>.log`, made safe for any file system. */
export function sinkFileName(taskId: string, container: string, suffix = ''): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(taskId)}-${safe(container)}${suffix}.log`;
}
