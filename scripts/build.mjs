// Builds the CLI to JavaScript (dist/runbook.js) so that `npx runbook` works right after `npm ci`.
// Dependencies stay external: node-pty is native and the AWS SDK is resolved from node_modules.
//
// The bundle is split (ESM code splitting): each subcommand's dynamic import becomes its own
// chunk beside runbook.js, so a start parses only the code of the command it runs (`--help`
// reads a few KB instead of the whole CLI). `--metafile FILE` writes esbuild's metafile (the
// import graph of every chunk) and `--outdir DIR` builds elsewhere, for the tests.
import { rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist' }, metafile: { type: 'string' } },
});

// Chunk names carry a content hash: clear the old ones so dist/ holds one build.
await rm(values.outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { runbook: 'bin/runbook.ts' },
  outdir: values.outdir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  metafile: values.metafile !== undefined,
  logLevel: 'warning',
});
if (values.metafile !== undefined) await writeFile(values.metafile, JSON.stringify(result.metafile));
