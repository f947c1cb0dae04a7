/**
 * The import rules of docs/architecture.md as data, and the checker that applies them.
 *
 * `importsOf` reads every import of a source file with the TypeScript parser: static imports and
 * re-exports (type-only ones included, since they are dependencies too), `import()` calls,
 * `require()` and `import('x').T` types. `checkImports` applies {@link RULES} and the
 * index rule (a file in one room of lib/ imports another room through that room's index.ts,
 * unless {@link INDEX_EXCEPTIONS} says why not), and reports exceptions nothing uses any more.
 *
 * Rooms are prefixes (`lib/exec`, `lambdas`), so rooms that do not exist yet (lib/infra,
 * lambdas/) are covered the day they arrive.
 */
import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './repo.ts';

/** One import of one file. */
export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  readonly from: string;
  /** The module specifier as written. */
  readonly specifier: string;
  /** A relative specifier resolved against the importing file (relative to the root). */
  readonly target?: string;
  /** A package specifier's package name (`@middy/core`, `aws-cdk-lib`). */
  readonly packageName?: string;
  /** 1-based line of the import. */
  readonly line: number;
}

/** A rule that forbids some imports. */
export interface ImportRule {
  readonly name: string;
  /** Why the rule exists: what breaks when it is broken. */
  readonly reason: string;
  readonly forbids: (edge: ImportEdge) => boolean;
}

/** Files in `from` may import files of the room `to` other than its index.ts. */
export interface IndexException {
  /** A room or a file (a path prefix relative to the root). */
  readonly from: string;
  /** A room or a file of lib/ (a path prefix). */
  readonly to: string;
  readonly reason: string;
}

/** A broken rule. */
export interface Violation {
  readonly rule: string;
  readonly edge: ImportEdge;
}

/** Whether `file` is `prefix` itself or lies under it. */
export function within(file: string | undefined, prefix: string): boolean {
  return file !== undefined && (file === prefix || file.startsWith(`${prefix}/`));
}

function withinAny(file: string | undefined, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => within(file, prefix));
}

/** The room of a file: `lib/<name>` under lib/, else its top-level directory or file. */
export function roomOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'lib' && parts.length > 2 ? `lib/${parts[1]}` : (parts[0] as string);
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function importsPackage(edge: ImportEdge, names: readonly string[]): boolean {
  return (
    edge.packageName !== undefined &&
    names.some((n) =>
      n.endsWith('/*') ? edge.packageName?.startsWith(n.slice(0, -1)) : edge.packageName === n,
    )
  );
}

/**
 * The forbidden arrows. Each rule names the importers it forbids and the imports it forbids
 * them; test/ may import anything and is not checked.
 */
export const RULES: readonly ImportRule[] = [
  {
    name: 'lib/exec and lib/handlers do not import lib/local or lib/runner',
    reason: 'the handler cores run in Lambda: they must not bundle the emulator or the local engine',
    forbids: (e) =>
      withinAny(e.from, ['lib/exec', 'lib/handlers']) && withinAny(e.target, ['lib/local', 'lib/runner']),
  },
  {
    name: 'only lib/infra and bin/app.ts import aws-cdk-lib and constructs',
    reason: 'CDK is deploy-time code: the CLI, the runner and the Lambdas must not load it',
    forbids: (e) =>
      importsPackage(e, ['aws-cdk-lib', 'constructs']) &&
      !within(e.from, 'lib/infra') &&
      e.from !== 'bin/app.ts',
  },
  {
    name: 'only lambdas/ imports @middy/*',
    reason: 'middy is the Lambda wrapper: the handler cores stay plain functions the runner calls in-process',
    forbids: (e) => importsPackage(e, ['@middy/*']) && !within(e.from, 'lambdas'),
  },
  {
    name: "only lib/session's ws transport, lib/local and bench/ import ws",
    reason: 'the session client depends on the Transport interface; one adapter holds the socket library',
    forbids: (e) =>
      importsPackage(e, ['ws']) &&
      e.from !== 'lib/session/ws-transport.ts' &&
      !withinAny(e.from, ['lib/local', 'bench']),
  },
  {
    name: 'only lib/local imports node-pty, and only lib/runner aws-local-stepfunctions',
    reason: 'the emulator and the local engine load only for local runs, never in a Lambda or for --help',
    forbids: (e) =>
      (importsPackage(e, ['node-pty']) && !within(e.from, 'lib/local')) ||
      (importsPackage(e, ['aws-local-stepfunctions']) && !within(e.from, 'lib/runner')),
  },
  {
    name: 'nothing imports lib/cli, lib/infra, lambdas/ or lib/local back',
    reason: 'they are the outer shells: a Lambda must not bundle the emulator, the CLI must not load CDK',
    forbids: (e) =>
      (within(e.target, 'lib/cli') && !within(e.from, 'lib/cli') && e.from !== 'bin/runbook.ts') ||
      (within(e.target, 'lib/infra') && !within(e.from, 'lib/infra') && e.from !== 'bin/app.ts') ||
      (within(e.target, 'lambdas') && !within(e.from, 'lambdas')) ||
      (within(e.target, 'lib/local') && !withinAny(e.from, ['lib/local', 'lib/cli', 'bench'])),
  },
  {
    name: 'lambdas/ does not import lib/runner',
    reason: 'the runner is the local engine (aws-local-stepfunctions); a Lambda calls the handler cores',
    forbids: (e) => within(e.from, 'lambdas') && within(e.target, 'lib/runner'),
  },
  {
    name: 'lib/shared imports nothing of ours; lib/session only lib/shared',
    reason: 'they are the kernel every room may import, so they import no room back',
    forbids: (e) =>
      e.target !== undefined &&
      ((within(e.from, 'lib/shared') && !within(e.target, 'lib/shared')) ||
        (within(e.from, 'lib/session') && !withinAny(e.target, ['lib/session', 'lib/shared']))),
  },
  {
    name: 'lib/runbook imports only lib/shared; lib/compiler only lib/runbook and lib/shared',
    reason:
      'the language and the compiler are pure stages that every entry point (CLI, API Lambda, CDK) can load',
    forbids: (e) =>
      e.target !== undefined &&
      ((within(e.from, 'lib/runbook') && !withinAny(e.target, ['lib/runbook', 'lib/shared'])) ||
        (within(e.from, 'lib/compiler') &&
          !withinAny(e.target, ['lib/compiler', 'lib/runbook', 'lib/shared']))),
  },
];

/**
 * Where a room of lib/ may import another room's files directly instead of its index.ts.
 * An exception nothing uses any more fails the test: delete it.
 */
export const INDEX_EXCEPTIONS: readonly IndexException[] = [
  {
    from: 'lib',
    to: 'lib/shared',
    reason:
      'lib/shared is a set of leaf modules without an index: polyfills.ts has side effects, and each caller loads only the one it needs',
  },
  {
    from: 'lib/cli',
    to: 'lib',
    reason:
      'subcommands load lazily (issue 9 item 6): an index loads its whole room, so `--help` and `validate` would load the ECS client and the emulator',
  },
  {
    from: 'lib/local',
    to: 'lib/session',
    reason:
      "the emulator plays the agent's side of the data channel, so it reads the wire layer (codec, message table, stream) that lib/session's index, the client's surface, does not offer",
  },
  {
    from: 'lib/compiler',
    to: 'lib/runbook',
    reason: 'pending: issue 9 item 4 moves cross-room imports to the index',
  },
  {
    from: 'lib/exec',
    to: 'lib/session',
    reason: 'pending: issue 9 item 4 moves cross-room imports to the index',
  },
  {
    from: 'lib/handlers',
    to: 'lib',
    reason: 'pending: issue 9 item 4 moves cross-room imports to the index',
  },
  { from: 'lib/runner', to: 'lib', reason: 'pending: issue 9 item 4 moves cross-room imports to the index' },
];

/** Every import of a file, read with the TypeScript parser. */
export function importsOf(file: SourceFile): ImportEdge[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined): void => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const specifier = literal.text;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    if (specifier.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      edges.push({ from: file.path, specifier, target, line });
    } else if (!specifier.startsWith('node:')) {
      edges.push({ from: file.path, specifier, packageName: packageNameOf(specifier), line });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire) add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Whether an edge crosses rooms of lib/ without going through the target room's index.ts. */
function bypassesIndex(edge: ImportEdge): boolean {
  const { from, target } = edge;
  if (!target || !within(from, 'lib') || !within(target, 'lib')) return false;
  const room = roomOf(target);
  return roomOf(from) !== room && target !== `${room}/index.ts`;
}

/** The violations among `files`' imports, and the exceptions none of them uses. */
export function checkImports(
  files: readonly SourceFile[],
  rules: readonly ImportRule[] = RULES,
  exceptions: readonly IndexException[] = INDEX_EXCEPTIONS,
): { violations: Violation[]; staleExceptions: IndexException[] } {
  const violations: Violation[] = [];
  const used = new Set<IndexException>();
  for (const file of files) {
    for (const edge of importsOf(file)) {
      for (const rule of rules) if (rule.forbids(edge)) violations.push({ rule: rule.name, edge });
      if (!bypassesIndex(edge)) continue;
      const exception = exceptions.find((x) => within(edge.from, x.from) && within(edge.target, x.to));
      if (exception) used.add(exception);
      else
        violations.push({ rule: "a room of lib/ imports another room through that room's index.ts", edge });
    }
  }
  return { violations, staleExceptions: exceptions.filter((x) => !used.has(x)) };
}

/** One line per violation: `file:line imports 'x' (rule)`. */
export function formatViolations(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.edge.from}:${v.edge.line} imports '${v.edge.specifier}' (${v.rule})`);
}
