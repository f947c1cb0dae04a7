/**
 * `runbook compile FILE`: the Amazon States Language definition a runbook deploys as.
 */
import { compileRunbook } from '../compiler/compile.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';
import { positionalsOf, printDiagnostics, readRunbookFile } from './validate.ts';

const USAGE = `Usage: runbook compile FILE

Prints the runbook's AWS Step Functions definition (JSONPath ASL) on stdout. Deploy-time
resources are \${Placeholder} tokens (\${ExecFnArn}, \${OutputBucket}, …) that the deployment
substitutes. Diagnostics go to stderr.

Exit codes: 0 compiled (warnings allowed), 1 the runbook has errors, 2 usage error.
`;

async function runCompile(args: readonly string[], io: CliIo): Promise<number> {
  const files = positionalsOf(args, USAGE);
  if (files.length !== 1) {
    throw new UsageError(
      `give exactly one runbook file; received ${files.length === 0 ? 'none' : files.join(' ')}`,
      USAGE,
    );
  }
  const loaded = await readRunbookFile(io, 'compile', files[0] as string);
  if (!loaded) return 1;
  const hasErrors = await printDiagnostics(io, loaded);
  if (hasErrors || !loaded.runbook) return 1;
  await write(io.stdout, compileRunbook(loaded.runbook).json);
  return 0;
}

/** `runbook compile`. */
export const compileCommand: Subcommand = {
  name: 'compile',
  usage: USAGE,
  run: runCompile,
};
