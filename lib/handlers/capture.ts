/**
 * Applying a single-target step's captures to its output.
 *
 * Captures read the command's output as the result record keeps it (CRLF→LF, terminal escapes
 * removed), up to its last {@link CAPTURE_WINDOW_BYTES}: the whole output of any command that
 * prints less, and a bounded amount of memory in a Lambda whatever the command prints. A command
 * that prints more than that should print what it captures at the end.
 */
import { extractCapture } from '../runbook/capture.ts';
import type { Capture } from '../runbook/model.ts';
import type { CaptureSpec, JsonScalar } from './events.ts';

/** How much of the end of the output captures read: 1 MiB. */
export const CAPTURE_WINDOW_BYTES = 1_048_576;

/**
 * Every capture's value: found in `output`, else its `default`, else `null`. With no output (the
 * step failed), every capture takes its default, else `null`.
 */
export function applyCaptures(
  captures: readonly CaptureSpec[],
  output: string | undefined,
): Record<string, JsonScalar> {
  const values: Record<string, JsonScalar> = {};
  for (const capture of captures) {
    if (output === undefined) {
      values[capture.name] = capture.default ?? null;
      continue;
    }
    // lib/runbook reads only `extract`, `type` and `default`; a spec has no source ranges.
    const found = extractCapture(output, capture as Pick<Capture, 'extract' | 'type' | 'default'> as Capture);
    values[capture.name] = found.ok ? found.value : null;
  }
  return values;
}
