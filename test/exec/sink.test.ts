import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSink, sinkFileName } from '../../lib/exec/sink.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sink-test-'));
  dirs.push(dir);
  return dir;
}

describe('createFileSink', () => {
  it('writes every chunk in order across buffer flushes and returns a file URI', async () => {
    // Arrange
    const dir = path.join(await tempDir(), 'nested');
    const sink = createFileSink({ dir, fileName: 'out.log', bufferBytes: 8 });
    const chunks = ['abc', 'defgh', 'i', 'a chunk longer than the buffer', 'z'].map((t) =>
      new TextEncoder().encode(t),
    );
    // Act
    for (const chunk of chunks) sink.write(chunk);
    sink.close();
    sink.close();
    // Assert
    expect(sink.uri.startsWith('file://')).toBe(true);
    expect(await readFile(fileURLToPath(sink.uri), 'utf8')).toBe('abcdefghia chunk longer than the bufferz');
    expect(sink.bytesWritten).toBe(40);
  });

  it('throws when written after close', async () => {
    const sink = createFileSink({ dir: await tempDir(), fileName: 'x.log' });
    sink.close();
    expect(() => sink.write(new Uint8Array([1]))).toThrow(/written after close/);
  });

  it.each(['../x', 'a/b', ''])('throws for the file name %j', async (fileName) => {
    const dir = await tempDir();
    expect(() => createFileSink({ dir, fileName })).toThrow(/plain name without path separators/);
  });
});

describe('sinkFileName', () => {
  it('keeps file-system-safe characters only', () => {
    expect(sinkFileName('abc123', 'app/x y', '-s1')).toBe('abc123-app_x_y-s1.log');
  });
});
