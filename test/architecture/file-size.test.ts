import { describe, expect, it } from 'vitest';
import { type SourceFile, sourceFiles } from './repo.ts';

/** Lines a file under lib/ may have without saying why it needs more. */
const MAX_LINES = 800;

/** `Size: <why>` in the opening comment: the reason a file is longer (at least a few words). */
const REASON = /^\s*\*\s*Size:\s*\S.{20,}/m;

function lineCount(text: string): number {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

/** The files over {@link MAX_LINES} whose first block comment gives no `Size:` reason. */
function oversizeWithoutReason(files: readonly SourceFile[]): string[] {
  return files
    .filter((file) => lineCount(file.text) > MAX_LINES)
    .filter((file) => !REASON.test(/\/\*[\s\S]*?\*\//.exec(file.text)?.[0] ?? ''))
    .map((file) => `${file.path}: ${lineCount(file.text)} lines`);
}

describe('file sizes', () => {
  it('keeps every file under lib/ at 800 lines, or gives the reason in its opening comment', () => {
    // Arrange
    const files = sourceFiles('lib');

    // Act
    const offenders = oversizeWithoutReason(files);

    // Assert
    expect(files.length).toBeGreaterThan(50);
    expect(offenders, 'split the file by concern, or add " * Size: <why>" to its opening comment').toEqual(
      [],
    );
  });

  it('reports a long file without a reason', () => {
    const text = `/** A module. */\n${'export const x = 1;\n'.repeat(MAX_LINES)}`;

    expect(oversizeWithoutReason([{ path: 'lib/x.ts', text }])).toEqual([`lib/x.ts: ${MAX_LINES + 1} lines`]);
  });

  it('accepts a long file whose opening comment gives a reason, and a short file without one', () => {
    const long = `/**\n * A module.\n *\n * Size: one table of every operation, which reads best in one place.\n */\n${'x;\n'.repeat(MAX_LINES)}`;
    const short = 'x;\n'.repeat(MAX_LINES);

    expect(
      oversizeWithoutReason([
        { path: 'lib/long.ts', text: long },
        { path: 'lib/short.ts', text: short },
      ]),
    ).toEqual([]);
  });
});
