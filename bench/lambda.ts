/**
 * lambda.exec.*: the exec function's bundle exactly as CDK writes it (a synth into a temporary
 * cdk.out), and how long a fresh Node.js process takes to import it.
 *
 * - lambda.exec.bundleKB: size of the asset's index.mjs (aim ≤ 400 KB), with the largest
 *   inputs by bundled bytes (esbuild's metafile of the same build options) as `dominant`.
 * - lambda.exec.initMs: median over 10 fresh `node` processes of the `import()` of that file,
 *   timed inside the process (aim ≤ 150 ms); `processMs` is the whole process beside
 *   `node -e 0` in the same rounds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { BenchResults } from './results.ts';

const ROOT = path.join(import.meta.dirname, '..');
const ROUNDS = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** cdk.json's context, as the CLI would pass it. */
function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** The asset directory CDK wrote for the function whose logical id starts with `prefix`. */
function assetOf(outdir: string, stackName: string, prefix: string): string {
  const template = JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const entry = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
  );
  const assetPath = entry?.[1].Metadata?.['aws:asset:path'];
  if (!assetPath) throw new Error(`no asset for ${prefix} in ${outdir}`);
  return path.join(outdir, assetPath);
}

/** The bundle's largest inputs (package or file), in KB, from esbuild's metafile. */
async function dominantInputs(entry: string): Promise<Record<string, number>> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*', 'bufferutil', 'utf-8-validate'],
    logLevel: 'silent',
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match ? (match[1] as string) : input.split('/').slice(0, 2).join('/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return Object.fromEntries(
    [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([key, bytes]) => [key, Number((bytes / 1024).toFixed(1))]),
  );
}

export async function benchLambda(results: BenchResults): Promise<void> {
  const entry = path.join(ROOT, 'lambdas', 'exec.ts');
  // The stack synthesizes only once every lambdas/<name>.ts exists.
  const names = ['exec', 'targets', 'fan-out-summary', 'check-input', 'approval-request', 'api'];
  const missing = names.filter((name) => !existsSync(path.join(ROOT, 'lambdas', `${name}.ts`)));
  if (missing.length > 0) {
    process.stderr.write(
      `lambda.exec: skipped, the stack cannot synth without lambdas/{${missing.join(',')}}.ts\n`,
    );
    return;
  }
  const outdir = mkdtempSync(path.join(tmpdir(), 'bench-lambda-'));
  try {
    // The CDK app as `cdk synth` runs it (bin/app.ts), into a temporary cdk.out: CDK_OUTDIR
    // and CDK_CONTEXT_JSON are how the CLI hands an app its output directory and context.
    const synth = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // The CLI also turns on asset metadata (aws:asset:path), which assetOf reads.
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext(), 'aws:cdk:enable-asset-metadata': true }),
      },
    });
    if (synth.status !== 0) throw new Error(`bin/app.ts failed: ${synth.stderr}`);
    const file = path.join(assetOf(outdir, 'EcsRunbooks', 'EngineExecFn'), 'index.mjs');
    const bundleKB = statSync(file).size / 1024;
    results.record('lambda.exec.bundleKB', bundleKB, 'KB', {
      aim: 400,
      dominant: await dominantInputs(entry),
    });

    // The bundle leaves @aws-sdk/* to the Lambda runtime; here the project's own copy stands in.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(outdir, 'node_modules'));
    const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
    const env = {
      ...process.env,
      AWS_REGION: 'eu-west-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const imports: number[] = [];
    const processes: number[] = [];
    const baselines: number[] = [];
    for (let round = -1; round < ROUNDS; round++) {
      const start = performance.now();
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      const wall = performance.now() - start;
      if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
      const baseStart = performance.now();
      spawnSync(process.execPath, ['-e', '0'], { cwd: ROOT, env });
      const base = performance.now() - baseStart;
      if (round < 0) continue;
      imports.push(Number(run.stdout));
      processes.push(wall);
      baselines.push(base);
    }
    results.record('lambda.exec.initMs', median(imports), 'ms', {
      aim: 150,
      processMs: Number(median(processes).toFixed(1)),
      baselineProcessMs: Number(median(baselines).toFixed(1)),
      rounds: ROUNDS,
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
