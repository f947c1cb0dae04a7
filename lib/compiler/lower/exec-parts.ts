/** Parts of exec steps that single-target and fan-out lowering share. */
import { rewriteCommand } from '../../runbook/commands.ts';
import type { Capture, ExecStep, ExecTarget, Pick } from '../../runbook/model.ts';
import type { Json, JsonObject } from '../asl.ts';
import { referencePath } from '../layout.ts';
import { setField, templateValue } from '../values.ts';

/**
 * Seconds added to a command's own timeout for a Task's `TimeoutSeconds` backstop.
 *
 * The handler spends time before the command's timeout starts and after it ends: up to 60 s
 * polling TargetNotConnectedException, 15 s opening the data channel, bounded Throttling and
 * Server retries (5 × at most 5 s), a Ctrl-C grace and the agent's 2 s drain. The backstop must
 * not fire before the handler reports its own, clearer error (ExecTimeout with the output tail,
 * TargetNotConnected with its causes), so it leaves room for all of them.
 */
export const TIMEOUT_BACKSTOP_MARGIN_SECONDS = 180;

export function pickValue(pick: Pick): Json {
  return pick.kind === 'count' ? pick.count : pick.kind;
}

export function targetSelector(target: ExecTarget, pick: Json): JsonObject {
  const selector: JsonObject = {};
  if (target.cluster) setField(selector, 'cluster', templateValue(target.cluster, { asString: true }));
  setField(selector, target.selector, templateValue(target.value, { asString: true }));
  selector.pick = pick;
  if (target.container) setField(selector, 'container', templateValue(target.container, { asString: true }));
  return selector;
}

/** The rewritten script and the `env` field binding each of its variables to a state path. */
export function scriptAndEnv(step: ExecStep): { script: string; env: JsonObject } {
  const rewritten = rewriteCommand(step.command);
  const env: JsonObject = {};
  for (const variable of rewritten.variables) env[`${variable.name}.$`] = referencePath(variable.reference);
  return { script: rewritten.script, env };
}

export function captureSpec(capture: Capture): JsonObject {
  const extract: JsonObject =
    capture.extract.kind === 'regex'
      ? { kind: 'regex', pattern: capture.extract.pattern, group: capture.extract.group }
      : { kind: 'json', path: capture.extract.path, segments: [...capture.extract.segments] };
  const spec: JsonObject = { name: capture.name, type: capture.type, extract };
  if (capture.default !== undefined) spec.default = capture.default;
  return spec;
}
