/**
 * `runbook graph FILE`: a runbook's steps as a Mermaid flowchart.
 */
import { runbookToMermaid } from '../compiler/graph.ts';
import type { Subcommand } from './command.ts';
import { type CliIo, UsageError, write } from './io.ts';
import { positionalsOf, printDiagnostics, readRunbookFile } from './validate.ts';

const USAGE = `Usage: runbook graph FILE

Prints the runbook's steps as a Mermaid flowchart on stdout (paste it into a Markdown
\`\`\`mermaid block). Diagnostics go to stderr.

Exit codes: 0 printed (warnings allowed), 1 the runbook has errors, 2 usage error.
`;

async function runGraph(args: readonly string[], io: CliIo): Promise<number> {
  const files = positionalsOf(args, USAGE);
  if (files.length !== 1) {
    throw new UsageError(
      `give exactly one runbook file; received ${files.length === 0 ? 'none' : files.join(' ')}`,
      USAGE,
    );
  }
  const loaded = await readRunbookFile(io, 'graph', files[0] as string);
  if (!loaded) return 1;
  const hasErrors = await printDiagnostics(io, loaded);
  if (hasErrors || !loaded.runbook) return 1;
  await write(io.stdout, runbookToMermaid(loaded.runbook));
  return 0;
}

/** `runbook graph`. */
export const graphCommand: Subcommand = {
  name: 'graph',
  usage: USAGE,
  run: runGraph,
};
