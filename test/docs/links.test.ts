import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenReferences, proseFiles, referencesOf, type TextFile } from './links.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The names of the repository's documents, for bare mentions such as `protocol.md §5`. */
const DOC_NAMES = new Set([
  ...readdirSync(ROOT).filter((n) => n.endsWith('.md')),
  ...readdirSync(path.join(ROOT, 'docs')).filter((n) => n.endsWith('.md')),
]);

/**
 * Documents that code already names but that arrive with work in progress: a reference to one
 * is accepted while it does not exist. Remove an entry once its document has landed.
 */
const ANNOUNCED = new Set(['docs/api.md', 'docs/deploy.md']);

const existsInRepo = (relative: string): boolean =>
  existsSync(path.join(ROOT, relative)) || ANNOUNCED.has(relative);

function check(files: readonly TextFile[], exists: (relative: string) => boolean = existsInRepo) {
  return brokenReferences(files.flatMap(referencesOf), exists, DOC_NAMES).map(
    (b) => `${b.file}:${b.line} ${b.text}: ${b.problem}`,
  );
}

describe('links', () => {
  it('keeps every link of README, docs/, runbooks/ and the source comments inside the repository', () => {
    // Arrange
    const files = proseFiles(ROOT);

    // Act
    const broken = check(files);

    // Assert
    expect(files.some((f) => f.path === 'README.md')).toBe(true);
    expect(files.some((f) => f.path.startsWith('docs/'))).toBe(true);
    expect(broken).toEqual([]);
  });

  it.each([
    ['README.md', 'See [the design](../shared/docs/design.md).', 'leaves the repository'],
    ['docs/cli.md', 'See [local runs](./missing.md#faults).', 'docs/missing.md does not exist'],
    [
      'lib/exec/command.ts',
      '/**\n * @see ../../../outside/protocol.md §9\n */\nexport const x = 1;\n',
      'leaves the repository',
    ],
    [
      'lib/exec/command.ts',
      '// quoting: design.md §4\nexport const x = 1;\n',
      'no such document in the repository',
    ],
    ['lib/exec/command.ts', 'export const x = 1; // docs/nowhere.md\n', 'no such document in the repository'],
    [
      'runbooks/x.yaml',
      '# yaml-language-server: $schema=../docs/nothing.json\nname: x\n',
      'docs/nothing.json does not exist',
    ],
  ])('reports a broken reference in %s: %s', (file, text, problem) => {
    expect(check([{ path: file, text }])).toEqual([expect.stringContaining(problem)]);
  });

  it('accepts links that stay inside and exist, URLs, anchors and paths in code', () => {
    const files: TextFile[] = [
      {
        path: 'README.md',
        text: 'See [cli](docs/cli.md#exec), [x](https://example.com/a.md) and [top](#layout).',
      },
      { path: 'docs/cli.md', text: 'Back to the [readme](../README.md); the [protocol](protocol.md) §5.' },
      {
        path: 'lib/exec/command.ts',
        text: "import { x } from '../../../elsewhere/x.ts';\n// see docs/protocol.md §9\n",
      },
      {
        path: 'runbooks/a.yaml',
        text: '# yaml-language-server: $schema=../docs/runbook.schema.json\nname: a\n',
      },
    ];

    expect(check(files)).toEqual([]);
  });

  it('gives the line of a reference', () => {
    const [broken] = check([{ path: 'docs/cli.md', text: 'one\ntwo\nsee [x](../../x.md)\n' }]);

    expect(broken).toMatch(/^docs\/cli\.md:3 /);
  });
});
