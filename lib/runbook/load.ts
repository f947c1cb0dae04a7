/**
 * Reading runbook files: a runbook's `runbook` steps name other runbooks, looked up as files
 * beside it (`runbooks/<name>.yaml`), so validation checks their arguments and types their
 * outputs, the local runner runs them, and the deploy and the API find them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from './diagnostics.ts';
import type { Runbook } from './model.ts';
import { parseRunbook } from './parse-runbook.ts';
import { type RunbookSignature, signatureOf } from './validate.ts';

/** A runbook file, read and validated. */
export interface LoadedRunbook {
  /** The path as given (diagnostics name it). */
  readonly file: string;
  readonly source: string;
  /** Present only when no diagnostic is an error. */
  readonly runbook?: Runbook;
  readonly diagnostics: readonly Diagnostic[];
}

/** The files a runbook named `name` may be in, beside `parentFile`. */
export function siblingRunbookFiles(parentFile: string, name: string): string[] {
  const dir = path.dirname(parentFile);
  return [path.join(dir, `${name}.yaml`), path.join(dir, `${name}.yml`)];
}

/** The file of the runbook named `name` beside `parentFile`, or `undefined`. */
export function findSiblingRunbook(parentFile: string, name: string): string | undefined {
  return siblingRunbookFiles(parentFile, name).find((file) => existsSync(file));
}

/**
 * A `resolveRunbook` callback for the validator: reads `<name>.yaml` beside `file` and returns
 * its signature when it is valid on its own (its own `runbook` steps are checked for shape only,
 * so cycles cannot recurse). Results are cached per name.
 */
export function siblingResolver(file: string): (name: string) => RunbookSignature | undefined {
  const cache = new Map<string, RunbookSignature | undefined>();
  return (name) => {
    if (cache.has(name)) return cache.get(name);
    const found = findSiblingRunbook(file, name);
    let signature: RunbookSignature | undefined;
    if (found !== undefined) {
      try {
        const parsed = parseRunbook(readFileSync(found, 'utf8'), { file: found });
        if (parsed.runbook && parsed.runbook.name === name) signature = signatureOf(parsed.runbook);
      } catch {
        signature = undefined;
      }
    }
    cache.set(name, signature);
    return signature;
  };
}

/** Validates runbook source as the file `file`, resolving called runbooks beside it. */
export function loadRunbookSource(file: string, source: string): LoadedRunbook {
  const parsed = parseRunbook(source, { file, resolveRunbook: siblingResolver(file) });
  return {
    file,
    source,
    ...(parsed.runbook ? { runbook: parsed.runbook } : {}),
    diagnostics: parsed.diagnostics,
  };
}

/** Reads and validates a runbook file; throws only when the file cannot be read. */
export function loadRunbookFile(file: string): LoadedRunbook {
  return loadRunbookSource(file, readFileSync(file, 'utf8'));
}
