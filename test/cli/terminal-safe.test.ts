// biome-ignore-all lint/suspicious/noTemplateCurlyInString: runbook expressions are written ${{ … }}
/**
 * Control characters in parameters, trigger fields and approval text never reach the terminal
 * raw through `runbook run`'s progress tree and summary.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { terminalSafe } from '../../lib/cli/terminal-safe.ts';
import { captureIo } from './io.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A title set, a line erase, an OSC 52 clipboard write, a C1 CSI, a bidi override, a BEL. */
const HOSTILE = 'x\u001b]0;pwned\u0007\r\u001b[2K\u001b]52;c;cm0gLXJmIH4=\u0007\u009b31m\u202eevil';

describe('terminalSafe', () => {
  it.each([
    ['\u001b[31mred', '\\e[31mred'],
    ['a\rb', 'a\\rb'],
    ['bell\u0007', 'bell\\a'],
    ['\u0000\u0001\u007f', '\\x00\\x01\\x7f'],
    ['\u009b1m', '\\x9b1m'],
    ['\u202e', '\\u202e'],
    ['line\n\ttab ü 😀', 'line\n\ttab ü 😀'],
  ])('writes %j as %j', (text, shown) => {
    expect(terminalSafe(text)).toBe(shown);
  });
});

describe('runbook run with hostile values', () => {
  it('prints parameters, the alarm reason and approval text with their control characters escaped', async () => {
    // Arrange
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-terminal-'));
    dirs.push(dir);
    const file = path.join(dir, 'hostile.yaml');
    await writeFile(
      file,
      `name: hostile
parameters: { x: { type: string, default: "" } }
triggers: { alarm: { alarms: [a] } }
steps:
  - id: ask
    approval: { message: "approve \${{ params.x }}?", timeout: 5s }
  - id: tell
    notify:
      topic: arn:aws:sns:eu-west-1:123456789012:ops
      subject: "s \${{ params.x }}"
      message: "reason \${{ trigger.alarm.reason }}"
  - id: stop
    when: "\${{ params.x != '' }}"
    fail: { error: Stopped, cause: "failed \${{ params.x }}" }
`,
    );
    const cap = captureIo({ cwd: ROOT });
    const outputDir = path.join(dir, 'out');

    // Act
    const code = await main(
      [
        'run',
        file,
        '--local',
        '--fast',
        '--approve',
        '--param',
        `x=${HOSTILE}`,
        '--alarm',
        'a',
        '--alarm-reason',
        HOSTILE,
        '--output-dir',
        outputDir,
      ],
      cap.io,
    );

    // Assert
    const err = cap.stderr();
    expect(code).toBe(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(err).toContain(`approve ${terminalSafe(HOSTILE)}?`);
    expect(err).toContain(`reason ${terminalSafe(HOSTILE)}`);
    expect(err).toContain(`failed ${terminalSafe(HOSTILE)}`);
  });
});
