// Builds the CLI to JavaScript (dist/runbook.js) so that `npx runbook` works right after `npm ci`.
// Dependencies stay external: node-pty is native and the AWS SDK is resolved from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: { runbook: 'bin/runbook.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
