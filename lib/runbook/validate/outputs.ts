/**
 * The runbook's `outputs`: names to values or references, typed against the whole run.
 */
import type { RunbookOutput } from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { readArgument } from './references.ts';
import type { Scope } from './scope.ts';
import type { Validation } from './shapes.ts';

export function readOutputs(ctx: Validation, node: YamlNode | undefined, scope: Scope): RunbookOutput[] {
  if (!node) return [];
  const map = ctx.expectMap(node, 'outputs', ' of output names to values');
  if (!map) return [];
  const out: RunbookOutput[] = [];
  for (const entry of map.entries) {
    const name = ctx.identifierText(entry.key, `the output name "${entry.key}"`, entry.keyRange);
    const value = readArgument(ctx, entry.value, `outputs.${entry.key}`, scope);
    if (name !== undefined && value) out.push({ name, value, range: entry.value.range });
  }
  return out;
}

// -------------------------------------------------------------------------------------------
// Expressions
// -------------------------------------------------------------------------------------------
