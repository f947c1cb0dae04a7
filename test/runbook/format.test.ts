import { describe, expect, it } from 'vitest';
import { type Diagnostic, formatDiagnostic, parseRunbook } from '../../lib/runbook/index.ts';

describe('formatDiagnostic', () => {
  it('prints file:line:col, the line and carets under the range', () => {
    // Arrange
    const source =
      'name: t\nsteps:\n  - id: s\n    timeout: 5 minutes\n    exec: { target: { service: api }, command: "true" }\n';
    const [d] = parseRunbook(source, { file: 'runbooks/t.yaml' }).diagnostics;

    // Act
    const text = formatDiagnostic(source, d as Diagnostic);

    // Assert
    expect(text.split('\n')).toEqual([
      `runbooks/t.yaml:4:14: error INVALID_DURATION: ${d?.message}`,
      '    4 |     timeout: 5 minutes',
      '      |              ^^^^^^^^^',
    ]);
  });

  it('prints a warning as a warning', () => {
    const source =
      'name: t\nsteps:\n  - id: a\n    exec: { target: { service: api, concurrency: 5 }, command: "true" }\n';
    const [d] = parseRunbook(source, { file: 'w.yaml' }).diagnostics;

    expect(formatDiagnostic(source, d as Diagnostic)).toMatch(
      /^w\.yaml:4:37: warning FAN_OUT_OPTION_IGNORED: /,
    );
  });

  it('underlines to the end of the line when the range spans lines', () => {
    const d: Diagnostic = {
      code: 'WRONG_TYPE',
      severity: 'error',
      message: 'm',
      file: 'f',
      range: { start: { line: 1, col: 3, offset: 2 }, end: { line: 2, col: 2, offset: 7 } },
    };

    expect(formatDiagnostic('abcd\nef\n', d).split('\n')[2]).toBe('      |   ^^');
  });

  it('draws one caret for an empty range and keeps columns under tabs', () => {
    const d: Diagnostic = {
      code: 'MISSING_KEY',
      severity: 'error',
      message: 'm',
      file: 'f',
      range: { start: { line: 1, col: 3, offset: 2 }, end: { line: 1, col: 3, offset: 2 } },
    };

    expect(formatDiagnostic('\t\tx', d).split('\n').slice(1)).toEqual(['    1 |   x', '      |   ^']);
  });

  it('prints only the head line when the line is not in the source', () => {
    const d: Diagnostic = {
      code: 'YAML_SYNTAX',
      severity: 'error',
      message: 'gone',
      file: 'f',
      range: { start: { line: 9, col: 1, offset: 99 }, end: { line: 9, col: 1, offset: 99 } },
    };

    expect(formatDiagnostic('one line', d)).toBe('f:9:1: error YAML_SYNTAX: gone');
  });
});
