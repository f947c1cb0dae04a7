/**
 * Applying a single-target step's captures to its output.
 *
 * Captures read the command's output as the result record keeps it (CRLF→LF, terminal escapes
 * removed), up to its last {@link CAPTURE_WINDOW_BYTES}: the whole output of any command that
 * prints less, and a bounded amount of memory in a Lambda whatever the command prints. A command
 * that prints more than that should print what it captures at the end.
 */
import { type Capture, extractCapture } from '../runbook/index.ts';
import type { CaptureSpec, JsonScalar } from './events.ts';

/** How much of the end of the output captures read: 1 MiB. */
export const CAPTURE_WINDOW_BYTES = 1_048_576;

/** What the captures of a step found. */
export interface AppliedCaptures {
  /** Every capture's value: the one found, else its `default`, else `null`. */
  readonly values: Record<string, JsonScalar>;
  /** Captures that found nothing and have no `default`: the step fails (docs/runbooks.md#capture). */
  readonly missing: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Applies captures to a successful step's `output`. With no output (the step failed), every
 * capture takes its default, else `null`, and nothing counts as missing.
 */
export function applyCaptures(captures: readonly CaptureSpec[], output: string | undefined): AppliedCaptures {
  const values: Record<string, JsonScalar> = {};
  const missing: { name: string; reason: string }[] = [];
  for (const capture of captures) {
    if (output === undefined) {
      values[capture.name] = capture.default ?? null;
      continue;
    }
    // lib/runbook reads only `extract`, `type` and `default`; a spec has no source ranges.
    const found = extractCapture(output, capture as Pick<Capture, 'extract' | 'type' | 'default'> as Capture);
    if (found.ok) values[capture.name] = found.value;
    else {
      values[capture.name] = null;
      missing.push({ name: capture.name, reason: found.reason });
    }
  }
  return { values, missing };
}
