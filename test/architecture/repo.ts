/** Helpers of the architecture tests: the repository's root and its source files. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository's root directory. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A source file: its path relative to the root (with `/`), and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** Every `.ts` file under `dir` (relative to the root), recursively; none when it does not exist. */
export function sourceFiles(dir: string): SourceFile[] {
  const base = path.join(ROOT, dir);
  if (!existsSync(base)) return [];
  const out: SourceFile[] = [];
  for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.push({ path: path.relative(ROOT, full).split(path.sep).join('/'), text: readFileSync(full, 'utf8') });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Whether a file exists, relative to the root. */
export function exists(relative: string): boolean {
  return existsSync(path.join(ROOT, relative));
}
