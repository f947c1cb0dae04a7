/**
 * An exec step's `capture`: output names to a regex or JSON path and a type.
 */
import type { Capture, CaptureExtract, ScalarType, ScalarValue, SourceRange } from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { describeNode, list, suggestion } from './describe.ts';
import { parameterValue } from './parameters.ts';
import type { Validation } from './shapes.ts';

/** What a `runbook` step needs to know about the runbook it calls. */

export function readCaptures(ctx: Validation, node: YamlNode, where: string): Capture[] | undefined {
  const map = ctx.expectMap(node, `${where}: capture`, ' of output names to { regex | json, type }');
  if (!map) return undefined;
  const out: Capture[] = [];
  let ok = true;
  for (const entry of map.entries) {
    const name = ctx.identifierText(entry.key, `the capture name "${entry.key}"`, entry.keyRange);
    const capture =
      name !== undefined ? readCapture(ctx, name, entry.value, entry.keyRange, where) : undefined;
    if (capture) out.push(capture);
    else ok = false;
  }
  return ok ? out : undefined;
}

export function readCapture(
  ctx: Validation,
  name: string,
  node: YamlNode,
  nameRange: SourceRange,
  where: string,
): Capture | undefined {
  const what = `${where}: capture "${name}"`;
  const map = ctx.expectMap(node, what, " such as { regex: '^(\\d+)$', type: integer }");
  if (!map) return undefined;
  ctx.checkKeys(map, 'capture', what);
  const regexNode = ctx.entry(map, 'regex');
  const jsonNode = ctx.entry(map, 'json');
  const groupNode = ctx.entry(map, 'group');
  let extract: CaptureExtract | undefined;
  if (regexNode && jsonNode) {
    ctx.report('INVALID_VALUE', ctx.keyRange(map, 'json'), `${what} has both regex and json; give one`);
  } else if (!regexNode && !jsonNode) {
    ctx.report('MISSING_KEY', ctx.headRange(map), `${what} needs "regex" or "json" to find its value`);
  } else if (regexNode) {
    const pattern = ctx.string(regexNode, `the regex of ${what}`, { nonEmpty: true });
    if (pattern !== undefined) {
      let groups: { count: number; names: string[] } | undefined;
      try {
        new RegExp(pattern, 'm');
        const probe = new RegExp(`(?:${pattern})|`, 'm').exec('');
        groups = { count: (probe?.length ?? 1) - 1, names: Object.keys(probe?.groups ?? {}) };
      } catch (error) {
        ctx.report(
          'INVALID_REGEX',
          regexNode.range,
          `the regex of ${what} is not a valid JavaScript regular expression: ${(error as Error).message}`,
        );
      }
      if (groups) {
        let group: number | string | undefined = groups.count > 0 ? 1 : 0;
        if (groupNode) {
          const g = groupNode.kind === 'scalar' ? groupNode.value : undefined;
          if (typeof g === 'number' && Number.isSafeInteger(g) && g >= 0 && g <= groups.count) group = g;
          else if (typeof g === 'string' && groups.names.includes(g)) group = g;
          else {
            group = undefined;
            ctx.report(
              'INVALID_VALUE',
              groupNode.range,
              `the group of ${what} is ${describeNode(groupNode)}; the regex has ${groups.count} group(s)${groups.names.length ? ` named ${list(groups.names)}` : ''}: accepted 0 to ${groups.count}${groups.names.length ? ' or a name' : ''}`,
            );
          }
        }
        if (group !== undefined) extract = { kind: 'regex', pattern, group };
      }
    }
  } else if (jsonNode) {
    if (groupNode) {
      ctx.report(
        'KEY_NOT_APPLICABLE',
        ctx.keyRange(map, 'group'),
        `"group" applies to regex captures; ${what} uses json`,
      );
    }
    const path = ctx.string(jsonNode, `the json path of ${what}`);
    if (path !== undefined) {
      const segments = parseJsonPath(path);
      if (!segments) {
        ctx.report(
          'INVALID_JSON_PATH',
          jsonNode.range,
          `the json path of ${what} is ${JSON.stringify(path)}; accepted: "." for the whole document, or .name, [index] and ["key"] steps such as .disk.free or .items[0].id`,
        );
      } else if (!groupNode) extract = { kind: 'json', path, segments };
    }
  }
  const typeNode = ctx.entry(map, 'type');
  let type: ScalarType | undefined;
  const scalarTypes: readonly ScalarType[] = ['string', 'integer', 'number', 'boolean'];
  if (typeNode) {
    const t = ctx.string(typeNode, `the type of ${what}`);
    if (t !== undefined && (scalarTypes as readonly string[]).includes(t)) type = t as ScalarType;
    else if (t !== undefined) {
      ctx.report(
        'INVALID_VALUE',
        typeNode.range,
        `the type of ${what} is ${JSON.stringify(t)}${suggestion(t, scalarTypes)}; accepted: ${list(scalarTypes)}`,
      );
    }
  }
  let defaultValue: ScalarValue | undefined;
  const defaultNode = ctx.entry(map, 'default');
  let defaultOk = true;
  if (defaultNode && type) {
    defaultValue = parameterValue(
      ctx,
      { name, type, required: false, range: map.range, nameRange },
      defaultNode,
      `the default of ${what}`,
      'DEFAULT_OUT_OF_RANGE',
    );
    defaultOk = defaultValue !== undefined;
  }
  if (!extract || !type || !defaultOk) return undefined;
  return {
    name,
    type,
    extract,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    range: map.range,
    nameRange,
  };
}

/** Parses `.a.b[0]["x y"]` into segments; `.` alone is the whole document. */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  if (path === '.') return [];
  const segments: (string | number)[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'((?:[^'])*)'\s*\]/y;
  let i = 0;
  if (!path.startsWith('.') && !path.startsWith('[')) return undefined;
  if (path.startsWith('.[')) i = 1;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) {
      try {
        segments.push(JSON.parse(`"${m[3]}"`) as string);
      } catch {
        return undefined;
      }
    } else segments.push(m[4] ?? '');
    i = re.lastIndex;
  }
  return segments.length > 0 ? segments : undefined;
}
