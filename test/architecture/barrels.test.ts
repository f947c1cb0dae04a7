/**
 * The rooms' barrels (lib/<room>/index.ts) do not collide: no name is exported by two barrels
 * unless both re-export the same declaration. A module that imports from two rooms then never
 * has to rename one of them, and a name means one thing across lib/.
 *
 * Read syntactically with the TypeScript parser (no type checking), following `export *` and
 * `export { … } from` to the file that declares each name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const LIB = path.join(import.meta.dirname, '..', '..', 'lib');

/**
 * Names two barrels may export with different meanings, each with its reason. Only lib/infra
 * may appear here: it is imported by bin/app.ts and tests alone, never beside lib/runbook's
 * model in one module of lib/.
 */
const ALLOWED: Readonly<Record<string, string>> = {
  Runbook: 'lib/infra’s construct per runbook (the name issue 13 gives it) and lib/runbook’s model',
};

/** Exported name → `<file>#<name>` of its declaration. */
function exportsOf(file: string, seen = new Set<string>()): Map<string, string> {
  const out = new Map<string, string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const resolve = (specifier: string): string => path.resolve(path.dirname(file), specifier);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from =
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
          ? resolve(statement.moduleSpecifier.text)
          : undefined;
      if (!statement.exportClause) {
        if (from) for (const [name, origin] of exportsOf(from, seen)) out.set(name, origin);
      } else if (ts.isNamedExports(statement.exportClause)) {
        const inner = from ? exportsOf(from, new Set(seen)) : undefined;
        for (const element of statement.exportClause.elements) {
          const local = (element.propertyName ?? element.name).text;
          out.set(element.name.text, inner?.get(local) ?? `${file}#${local}`);
        }
      }
      continue;
    }
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) {
          out.set(declaration.name.text, `${file}#${declaration.name.text}`);
        }
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      out.set(statement.name.text, `${file}#${statement.name.text}`);
    }
  }
  return out;
}

const barrels = readdirSync(LIB)
  .map((room) => path.join(LIB, room, 'index.ts'))
  .filter((file) => existsSync(file));

describe('the rooms’ barrels', () => {
  it('reads every barrel and finds its exports', () => {
    // A parser that found nothing would make the next test pass vacuously.
    expect(barrels.length).toBeGreaterThanOrEqual(6);
    for (const barrel of barrels) expect(exportsOf(barrel).size, barrel).toBeGreaterThan(0);
    expect(exportsOf(path.join(LIB, 'handlers', 'index.ts')).get('invokeExecFn')).toMatch(/invoke\.ts#/);
  });

  it('export no name twice with different declarations', () => {
    // Arrange
    const owners = new Map<string, Map<string, string>>();
    for (const barrel of barrels) {
      for (const [name, origin] of exportsOf(barrel)) {
        const byOrigin = owners.get(name) ?? new Map<string, string>();
        byOrigin.set(origin, path.relative(LIB, barrel));
        owners.set(name, byOrigin);
      }
    }

    // Act
    const collisions = [...owners]
      .filter(([name, byOrigin]) => byOrigin.size > 1 && !(name in ALLOWED))
      .map(([name, byOrigin]) => `${name}: ${[...byOrigin.values()].join(', ')}`);

    // Assert
    expect(collisions).toEqual([]);
    // An allowance that no longer matches a collision is stale.
    for (const name of Object.keys(ALLOWED)) expect(owners.get(name)?.size, name).toBeGreaterThan(1);
  });
});
