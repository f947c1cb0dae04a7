/**
 * runbook.compile: parse, validate and compile each example runbook (runbooks/*.yaml), in ms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compileRunbookSource } from '../lib/compiler/index.ts';
import type { BenchResults } from './results.ts';

const RUNBOOKS = path.join(import.meta.dirname, '..', 'runbooks');

export async function benchCompile(results: BenchResults): Promise<void> {
  const files = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.yaml'));
  const perFile: Record<string, number> = {};
  let total = 0;
  for (const file of files) {
    const source = readFileSync(path.join(RUNBOOKS, file), 'utf8');
    for (let i = 0; i < 5; i++) compileRunbookSource(source, { file }); // warm-up
    const runs = 50;
    const start = performance.now();
    for (let i = 0; i < runs; i++) {
      const compiled = compileRunbookSource(source, { file });
      if (!compiled.json) throw new Error(`${file} does not compile`);
    }
    const ms = (performance.now() - start) / runs;
    perFile[file] = Number(ms.toFixed(3));
    total += ms;
  }
  results.record('runbook.compile', total / files.length, 'ms', {
    perFile,
    what: 'parse + validate + compile, mean of 50',
  });
}
