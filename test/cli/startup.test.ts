/**
 * What a start of the built CLI loads: scripts/build.mjs splits the bundle, and each chunk's
 * static imports (what Node loads before the first line runs) must leave out what the command
 * does not use. Dynamic imports are followed only where a command takes them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface Metafile {
  readonly outputs: Record<
    string,
    {
      readonly entryPoint?: string;
      readonly inputs: Record<string, unknown>;
      readonly imports: readonly {
        readonly path: string;
        readonly kind: string;
        readonly external?: boolean;
      }[];
    }
  >;
}

/** What Node loads for an output before it runs: our source files and the packages. */
interface StaticClosure {
  readonly sources: string[];
  readonly packages: string[];
}

let outdir: string;
let meta: Metafile;

beforeAll(async () => {
  // Inside node_modules, so the chunks resolve the external packages as dist/ does.
  outdir = await mkdtemp(path.join(ROOT, 'node_modules', '.cli-startup-test-'));
  const metafile = path.join(outdir, 'meta.json');
  await run(
    process.execPath,
    ['scripts/build.mjs', '--outdir', path.join(outdir, 'dist'), '--metafile', metafile],
    {
      cwd: ROOT,
    },
  );
  meta = JSON.parse(await readFile(metafile, 'utf8')) as Metafile;
}, 60_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

function outputOf(entryPoint: string): string {
  const found = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === entryPoint);
  if (!found) throw new Error(`no output has the entry point ${entryPoint}`);
  return found[0];
}

function staticClosure(entryPoint: string): StaticClosure {
  const sources = new Set<string>();
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (output: string): void => {
    if (seen.has(output)) return;
    seen.add(output);
    const o = meta.outputs[output];
    if (!o) throw new Error(`the metafile has no output ${output}`);
    for (const input of Object.keys(o.inputs)) sources.add(input);
    for (const i of o.imports) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) packages.add(i.path);
      else visit(i.path);
    }
  };
  visit(outputOf(entryPoint));
  return {
    sources: [...sources].sort(),
    packages: [...packages].filter((p) => !p.startsWith('node:')).sort(),
  };
}

const HEAVY_PACKAGES = [
  '@aws-sdk/client-ecs',
  '@aws-sdk/client-kms',
  'aws-local-stepfunctions',
  'ws',
  'node-pty',
];

describe('the built CLI', () => {
  it('loads no package and no subcommand when it starts (--help, --version)', () => {
    const { sources, packages } = staticClosure('bin/runbook.ts');
    expect(packages).toEqual([]);
    expect(sources.filter((s) => !s.startsWith('lib/cli/') && s !== 'bin/runbook.ts')).toEqual([]);
    expect(sources).not.toContain('lib/cli/validate.ts');
  });

  it('loads only yaml and the runbook language for validate, nothing from lib/runner', () => {
    const { sources, packages } = staticClosure('lib/cli/validate.ts');
    expect(packages).toEqual(['yaml']);
    expect(sources.filter((s) => !/^lib\/(cli|runbook|shared)\//.test(s))).toEqual([]);
  });

  it.each([
    'lib/cli/compile.ts',
    'lib/cli/graph.ts',
    'lib/cli/exec.ts',
    'lib/cli/run.ts',
    'lib/cli/local.ts',
  ])('loads no SDK client, engine, WebSocket or PTY package before %s has parsed its arguments', (entry) => {
    const { sources, packages } = staticClosure(entry);
    expect(packages.filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
    expect(sources.filter((s) => /^lib\/(local|runner|session)\//.test(s))).toEqual([]);
  });

  it('loads the emulator only from the module that starts it (--local, local up)', () => {
    expect(staticClosure('lib/cli/local-cluster.ts').packages).toEqual(
      expect.arrayContaining(['node-pty', 'ws', '@aws-sdk/client-ecs']),
    );
    expect(staticClosure('lib/runner/run-local.ts').packages).not.toContain('node-pty');
    expect(staticClosure('lib/exec/run-exec.ts').packages).not.toContain('node-pty');
  });

  it('runs from its chunks: --help exits 0 and validate checks the examples', async () => {
    const bin = path.join(outdir, 'dist', 'runbook.js');
    const help = await run(process.execPath, [bin, '--help'], { cwd: ROOT });
    expect(help.stdout).toContain('Usage: runbook <command>');
    const files = [
      'runbooks/flush-cache.yaml',
      'runbooks/incident-api-5xx.yaml',
      'runbooks/nightly-maintenance.yaml',
    ];
    const validate = await run(process.execPath, [bin, 'validate', ...files], { cwd: ROOT });
    expect(validate.stderr.split('\n').filter(Boolean)).toEqual(files.map((f) => `${f}: ok`));
  });
});
