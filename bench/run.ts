/**
 * `npm run bench`: runs the benchmarks and writes bench/results.json (git-ignored). Pass names
 * (or prefixes) to run some: `npm run bench -- session exec`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import '../lib/shared/polyfills.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { benchCli } from './cli.ts';
import { benchExec } from './exec.ts';
import { benchExecBatch } from './exec-batch.ts';
import { benchLambda } from './lambda.ts';
import { BenchResults } from './results.ts';
import { benchCompile } from './runbook.ts';
import { benchRunner } from './runner.ts';
import { benchS3Store } from './s3-store.ts';
import { benchSession } from './session.ts';

const BENCHES: Record<string, (results: BenchResults) => Promise<void>> = {
  session: benchSession,
  exec: benchExec,
  'runbook.compile': benchCompile,
  'runner.fanout': benchRunner,
  'cli.startup': benchCli,
  'lambda.exec': benchLambda,
  'lambda.exec.batch25': benchExecBatch,
  s3store: benchS3Store,
};

const wanted = process.argv.slice(2);
const results = new BenchResults();
const startedAt = new Date().toISOString();
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.some((w) => name.startsWith(w))) continue;
  await bench(results);
}
const file = path.join(import.meta.dirname, 'results.json');
// A partial run (`npm run bench -- exec`) keeps the other benchmarks' last results.
const previous = await readFile(file, 'utf8').then(
  (text) => JSON.parse(text) as Record<string, unknown>,
  () => ({}),
);
const document = {
  ...previous,
  ...results.records,
  _meta: { startedAt, node: process.version, cpus: (await import('node:os')).cpus().length },
};
await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
process.stderr.write(`wrote ${file}\n`);
