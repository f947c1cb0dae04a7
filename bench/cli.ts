/**
 * cli.startup.*: how long the built CLI (dist/runbook.js, rebuilt first) takes from `node` to
 * exit, beside `node -e 0` measured in the same rounds, so the ratio holds on a slow or busy
 * machine. Each round runs the three commands one after another; the figures are medians over
 * 20 rounds, after one warm-up round.
 *
 * - cli.startup.help: `runbook --help` (aim ≤ 2.5× the baseline)
 * - cli.startup.validate: `runbook validate` of the three example runbooks (aim ≤ 4×)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchResults } from './results.ts';

const ROOT = path.join(import.meta.dirname, '..');
const ROUNDS = 20;
const EXAMPLES = [
  'runbooks/nightly-maintenance.yaml',
  'runbooks/incident-api-5xx.yaml',
  'runbooks/flush-cache.yaml',
];

const COMMANDS = {
  baseline: ['-e', '0'],
  help: ['dist/runbook.js', '--help'],
  validate: ['dist/runbook.js', 'validate', ...EXAMPLES],
} as const;

const AIMS = { help: 2.5, validate: 4 } as const;

/** Wall milliseconds of one `node …` run; throws when it does not exit 0. */
function timeOnce(args: readonly string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (run.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${String(run.status)}: ${run.stderr}`);
  }
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function benchCli(results: BenchResults): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build.mjs failed: ${build.stderr}`);

  const samples: Record<keyof typeof COMMANDS, number[]> = { baseline: [], help: [], validate: [] };
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, args] of Object.entries(COMMANDS) as [keyof typeof COMMANDS, readonly string[]][]) {
      const ms = timeOnce(args);
      if (round >= 0) samples[name].push(ms);
    }
  }
  const baselineMs = median(samples.baseline);
  results.record('cli.startup.baseline', baselineMs, 'ms', {
    what: `node -e 0, median of ${ROUNDS}, in the same rounds as cli.startup.*`,
  });
  for (const name of ['help', 'validate'] as const) {
    const ms = median(samples[name]);
    const ratio = ms / baselineMs;
    results.record(`cli.startup.${name}`, ms, 'ms', {
      what: `node ${COMMANDS[name].join(' ')}, median of ${ROUNDS}`,
      baselineMs: Number(baselineMs.toFixed(3)),
      ratio: Number(ratio.toFixed(2)),
      aim: `≤ ${AIMS[name]}× baseline`,
      met: ratio <= AIMS[name],
    });
  }
}
