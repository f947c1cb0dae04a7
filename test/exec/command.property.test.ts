import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCommand } from '../../lib/exec/command.ts';
import { agentArgv } from './command-run.ts';

/** Pieces an injection or a naive quoting would trip on; the canary file proves nothing ran. */
const NASTY = [
  "'",
  '"',
  '\\',
  '$(touch canary)',
  '`touch canary`',
  "'; touch canary; '",
  '"; touch canary; "',
  '\n touch canary \n',
  '$HOME',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  '${x:-y}',
  '{{',
  '}}',
  '{{{',
  '{{ssm:/a/b}}',
  '#',
  ' #',
  ';',
  '|',
  '&',
  '*',
  '~',
  '!',
  '\t',
  '\r\n',
  'é',
  '😀',
  '日本',
  '\u00a0',
];

const value = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...NASTY), { maxLength: 12 }).map((p) => p.join('')) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: fc.constantFrom("'", '{', '"', 'a'), minLength: 1000, maxLength: 5000 }),
    },
  )
  .filter((text) => !text.includes('\0'));

describe('buildCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rb-command-property-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands every env value to the script exactly and runs none of it', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), (values) => {
        // Arrange
        const env = Object.fromEntries(values.map((v, i) => [`RB_P_v${i}`, v]));
        const script = values.map((_, i) => `printf '%s\\0' "$RB_P_v${i}"`).join('; ');
        const built = buildCommand({ script, env });
        const argv = agentArgv(built.command);

        // Act
        const child = spawnSync(argv[0] as string, argv.slice(1), { cwd: dir, timeout: 10_000 });

        // Assert
        const expected = `${values.map((v) => `${v}\0`).join('')}${built.marker}0\n`;
        expect(child.stdout.toString('utf8')).toBe(expected);
        expect(existsSync(join(dir, 'canary'))).toBe(false);
        expect(built.command).not.toContain('{{');
      }),
      { numRuns: 300 },
    );
  });

  it('hands a 100 KB value to the script exactly', () => {
    const big = `${NASTY.join('')}${'x\'{{y}}"$(z)`\\\n'.repeat((100 * 1024) / 16)}`;
    const built = buildCommand({ script: 'printf %s "$RB_P_big"', env: { RB_P_big: big } });
    const argv = agentArgv(built.command);

    const child = spawnSync(argv[0] as string, argv.slice(1), { cwd: dir, timeout: 10_000 });

    expect(child.stdout.toString('utf8')).toBe(`${big}${built.marker}0\n`);
    expect(existsSync(join(dir, 'canary'))).toBe(false);
  });

  it('keeps any script one shlex word that holds it whole', () => {
    fc.assert(
      fc.property(
        fc.oneof(value, fc.string({ unit: 'binary' })).filter((s) => !s.includes('\0')),
        (script) => {
          const built = buildCommand({ script });

          const argv = agentArgv(built.command);

          expect(argv[2]).toContain(`(eval '${script.replaceAll("'", "'\\''")}') </dev/null`);
          expect(built.command).not.toContain('{{');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
