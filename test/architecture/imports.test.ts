import { describe, expect, it } from 'vitest';
import {
  checkImports,
  formatViolations,
  INDEX_EXCEPTIONS,
  type IndexException,
  importsOf,
  RULES,
} from './import-rules.ts';
import { type SourceFile, sourceFiles } from './repo.ts';

/** The directories whose imports the rules govern (test/ may import anything). */
const CHECKED = ['lib', 'lambdas', 'bin', 'bench'];

function file(path: string, text: string): SourceFile {
  return { path, text };
}

describe('import rules', () => {
  const files = CHECKED.flatMap(sourceFiles);
  const repository = checkImports(files);

  it('finds no forbidden import in lib/, lambdas/, bin/ or bench/', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(formatViolations(repository.violations)).toEqual([]);
  });

  it('uses every exception to the index rule', () => {
    const { staleExceptions } = repository;

    expect(
      staleExceptions.map((x) => `${x.from} -> ${x.to}`),
      'nothing imports this way any more: delete the exception from test/architecture/import-rules.ts',
    ).toEqual([]);
  });

  it('gives each rule and exception a reason', () => {
    for (const rule of RULES) expect(rule.reason.length).toBeGreaterThan(20);
    for (const exception of INDEX_EXCEPTIONS) expect(exception.reason.length).toBeGreaterThan(20);
  });

  it('reads static, type-only, re-exported, dynamic, required and type-position imports', () => {
    // Arrange
    const source = file(
      'lib/exec/x.ts',
      [
        "import { a } from '../local/a.ts';",
        "import type { B } from '../runner/b.ts';",
        "export { c } from './c.ts';",
        "export * from '@middy/core';",
        "const d = await import('ws');",
        "const e = require('aws-cdk-lib/aws-s3');",
        "type F = import('constructs').Construct;",
        "import { readFile } from 'node:fs';",
      ].join('\n'),
    );

    // Act
    const edges = importsOf(source);

    // Assert
    expect(edges.map((e) => e.target ?? e.packageName)).toEqual([
      'lib/local/a.ts',
      'lib/runner/b.ts',
      'lib/exec/c.ts',
      '@middy/core',
      'ws',
      'aws-cdk-lib',
      'constructs',
    ]);
    expect(edges.map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it.each([
    ['lib/exec/execute.ts', "import { startLocalEcs } from '../local/index.ts';"],
    ['lib/handlers/exec-step.ts', "import type { RunContext } from '../runner/index.ts';"],
    ['lib/runner/run-local.ts', "import { Stack } from 'aws-cdk-lib';"],
    ['lib/handlers/api.ts', "import { Construct } from 'constructs';"],
    ['lib/handlers/api.ts', "import middy from '@middy/core';"],
    ['lib/cli/main.ts', "const { default: router } = await import('@middy/http-router');"],
    ['lib/exec/execute.ts', "import { WebSocket } from 'ws';"],
    ['lib/session/session.ts', "import type { WebSocket } from 'ws';"],
    ['lib/exec/execute.ts', "import { spawn } from 'node-pty';"],
    ['lambdas/exec.ts', "import { StateMachine } from 'aws-local-stepfunctions';"],
    ['lib/runner/run-local.ts', "import { startEmulator } from '../local/index.ts';"],
    ['lambdas/exec.ts', "import { startEmulator } from '../lib/local/index.ts';"],
    ['lambdas/api.ts', "import { runLocal } from '../lib/runner/index.ts';"],
    ['lib/handlers/api.ts', "import { RunbookStack } from '../infra/index.ts';"],
    ['lib/runner/run-local.ts', "import { main } from '../cli/main.ts';"],
    ['lib/handlers/api.ts', "import { handler } from '../../lambdas/api.ts';"],
    ['lib/shared/errors.ts', "import type { ExecResult } from '../exec/index.ts';"],
    ['lib/session/session.ts', "import { parseDuration } from '../runbook/index.ts';"],
    ['lib/runbook/parse.ts', "import { lowerRunbook } from '../compiler/index.ts';"],
    ['lib/compiler/compile.ts', "import { runExecStep } from '../handlers/index.ts';"],
  ])('reports %s doing: %s', (path, text) => {
    const { violations } = checkImports([file(path, text)], RULES, []);

    expect(violations.length).toBeGreaterThan(0);
  });

  it.each([
    ['lib/infra/stack.ts', "import { Stack } from 'aws-cdk-lib';"],
    ['bin/app.ts', "import { App } from 'aws-cdk-lib';"],
    ['lambdas/shared/with-defaults.ts', "import middy from '@middy/core';"],
    ['lib/session/ws-transport.ts', "import { WebSocket } from 'ws';"],
    ['lib/local/agent/server.ts', "import { WebSocketServer } from 'ws';"],
    ['bench/server.ts', "import { WebSocketServer } from 'ws';"],
    ['lib/cli/local.ts', "import { startEmulator } from '../local/index.ts';"],
    ['lib/runner/run-local.ts', "import { runExecStep } from '../handlers/index.ts';"],
    ['lambdas/exec.ts', "import { runExecStep } from '../lib/handlers/index.ts';"],
    ['lib/exec/execute.ts', "import { sleep } from '../shared/clock.ts';"],
  ])('accepts %s doing: %s', (path, text) => {
    const { violations } = checkImports([file(path, text)], RULES, INDEX_EXCEPTIONS);

    expect(formatViolations(violations)).toEqual([]);
  });

  it("reports a cross-room import that bypasses the room's index, unless an exception covers it", () => {
    // Arrange
    const planted = file('lib/exec/execute.ts', "import { runSession } from '../session/session.ts';");
    const exception: IndexException = { from: 'lib/exec', to: 'lib/session/session.ts', reason: 'a test' };

    // Act
    const without = checkImports([planted], [], []);
    const withException = checkImports([planted], [], [exception]);

    // Assert
    expect(formatViolations(without.violations)).toEqual([
      "lib/exec/execute.ts:1 imports '../session/session.ts' (a room of lib/ imports another room through that room's index.ts)",
    ]);
    expect(withException.violations).toEqual([]);
    expect(withException.staleExceptions).toEqual([]);
  });

  it('reports an exception nothing uses', () => {
    const exception: IndexException = { from: 'lib/exec', to: 'lib/session', reason: 'a test' };

    const { staleExceptions } = checkImports(
      [file('lib/exec/execute.ts', "import { runSession } from '../session/index.ts';")],
      [],
      [exception],
    );

    expect(staleExceptions).toEqual([exception]);
  });

  it('fails the repository check when a forbidden import is planted in a real file', () => {
    // Arrange
    const victim = files.find((f) => f.path === 'lib/exec/execute.ts');
    expect(victim).toBeDefined();
    const planted = files.map((f) =>
      f === victim ? file(f.path, `import { startEmulator } from '../local/index.ts';\n${f.text}`) : f,
    );

    // Act
    const { violations } = checkImports(planted);

    // Assert
    expect(violations.map((v) => `${v.edge.from}:${v.edge.line}`)).toEqual([
      'lib/exec/execute.ts:1',
      'lib/exec/execute.ts:1',
    ]);
    expect(formatViolations(violations)).toContain(
      "lib/exec/execute.ts:1 imports '../local/index.ts' (lib/exec and lib/handlers do not import lib/local or lib/runner)",
    );
  });
});
