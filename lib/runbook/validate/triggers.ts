/**
 * The runbook's `triggers`: schedule (cron, time zone), alarm and api, with their arguments.
 */
import { validateCron } from '../cron.ts';
import {
  ALARM_STATES,
  type AlarmState,
  type AlarmTrigger,
  type ScheduleTrigger,
  type SourceRange,
  type TriggerArgument,
  type Triggers,
} from '../model.ts';
import type { YamlNode } from '../parse.ts';
import { describeNode, list, suggestion } from './describe.ts';
import { parameterValue } from './parameters.ts';
import type { Validation } from './shapes.ts';

/** What a `runbook` step needs to know about the runbook it calls. */

export function readTriggers(ctx: Validation, node: YamlNode | undefined): Triggers {
  if (!node) return {};
  const map = ctx.expectMap(node, 'triggers', ' with schedule, alarm or api');
  if (!map) return {};
  ctx.checkKeys(map, 'triggers', 'triggers');
  for (const entry of map.entries) ctx.triggerKinds.add(entry.key);
  const out: { schedule?: ScheduleTrigger; alarm?: AlarmTrigger; api?: { range: SourceRange } } = {};
  const scheduleNode = ctx.entry(map, 'schedule');
  if (scheduleNode) {
    const schedule = readSchedule(ctx, scheduleNode, ctx.keyRange(map, 'schedule'));
    if (schedule) out.schedule = schedule;
  }
  const alarmNode = ctx.entry(map, 'alarm');
  if (alarmNode) {
    const alarm = readAlarm(ctx, alarmNode, ctx.keyRange(map, 'alarm'));
    if (alarm) out.alarm = alarm;
  }
  const apiNode = ctx.entry(map, 'api');
  if (apiNode) {
    const isNull = apiNode.kind === 'scalar' && apiNode.value === null;
    if (apiNode.kind === 'map') ctx.checkKeys(apiNode, 'api', 'triggers.api');
    else if (!isNull) {
      ctx.report(
        'WRONG_TYPE',
        apiNode.range,
        `triggers.api must be {} (or empty); received ${describeNode(apiNode)}`,
      );
    }
    out.api = { range: apiNode.kind === 'map' ? apiNode.range : ctx.keyRange(map, 'api') };
  }
  return out;
}

export function readSchedule(
  ctx: Validation,
  node: YamlNode,
  keyRange: SourceRange,
): ScheduleTrigger | undefined {
  const map = ctx.expectMap(node, 'triggers.schedule', ' such as { cron: "0 3 * * ? *" }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'schedule', 'triggers.schedule');
  const cronNode = ctx.entry(map, 'cron');
  let cron: string | undefined;
  if (cronNode) {
    const text = ctx.string(cronNode, 'triggers.schedule.cron');
    if (text !== undefined) {
      const unwrapped = /^\s*cron\((.*)\)\s*$/s.exec(text)?.[1] ?? text;
      const problem = validateCron(unwrapped);
      if (problem)
        ctx.report(
          'INVALID_CRON',
          cronNode.range,
          `triggers.schedule.cron is ${JSON.stringify(text)}: ${problem}`,
        );
      else cron = unwrapped.trim().split(/\s+/).join(' ');
    }
  }
  let timezone = 'UTC';
  const tzNode = ctx.entry(map, 'timezone');
  if (tzNode) {
    const tz = ctx.string(tzNode, 'triggers.schedule.timezone');
    if (tz !== undefined) {
      if (isTimeZone(tz)) timezone = tz;
      else {
        ctx.report(
          'INVALID_TIMEZONE',
          tzNode.range,
          `triggers.schedule.timezone is ${JSON.stringify(tz)}; accepted: an IANA time zone name such as UTC, Europe/Berlin or America/New_York`,
        );
      }
    }
  }
  const parameters = triggerArguments(ctx, ctx.entry(map, 'parameters'), 'triggers.schedule', keyRange);
  if (cron === undefined || !parameters) return undefined;
  return { cron, expression: `cron(${cron})`, timezone, parameters, range: map.range };
}

export function readAlarm(ctx: Validation, node: YamlNode, keyRange: SourceRange): AlarmTrigger | undefined {
  const map = ctx.expectMap(node, 'triggers.alarm', ' such as { alarms: [api-5xx-high] }');
  if (!map) return undefined;
  ctx.checkKeys(map, 'alarm', 'triggers.alarm');
  let alarms: string[] | undefined;
  const alarmsNode = ctx.entry(map, 'alarms');
  if (alarmsNode) {
    if (alarmsNode.kind !== 'seq' || alarmsNode.items.length === 0) {
      ctx.report(
        'WRONG_TYPE',
        alarmsNode.range,
        `triggers.alarm.alarms must be a non-empty list of alarm names; received ${describeNode(alarmsNode)}`,
      );
    } else {
      const names = alarmsNode.items.map((item) => ctx.string(item, 'an alarm name', { nonEmpty: true }));
      if (names.every((n) => n !== undefined)) alarms = names as string[];
    }
  }
  let states: AlarmState[] | undefined = ['ALARM'];
  const statesNode = ctx.entry(map, 'states');
  if (statesNode) {
    if (statesNode.kind !== 'seq' || statesNode.items.length === 0) {
      ctx.report(
        'WRONG_TYPE',
        statesNode.range,
        `triggers.alarm.states must be a non-empty list; received ${describeNode(statesNode)}`,
      );
      states = undefined;
    } else {
      states = [];
      for (const item of statesNode.items) {
        const state = ctx.string(item, 'an alarm state');
        if (state !== undefined && (ALARM_STATES as readonly string[]).includes(state))
          states?.push(state as AlarmState);
        else {
          if (state !== undefined) {
            ctx.report(
              'INVALID_VALUE',
              item.range,
              `the alarm state ${JSON.stringify(state)} does not exist${suggestion(state, ALARM_STATES)}; accepted: ${list(ALARM_STATES)}`,
            );
          }
          states = undefined;
          break;
        }
      }
    }
  }
  const parameters = triggerArguments(ctx, ctx.entry(map, 'parameters'), 'triggers.alarm', keyRange);
  if (!alarms || !states || !parameters) return undefined;
  return { alarms, states, parameters, range: map.range };
}

export function triggerArguments(
  ctx: Validation,
  node: YamlNode | undefined,
  what: string,
  keyRange: SourceRange,
): TriggerArgument[] | undefined {
  const out: TriggerArgument[] = [];
  let ok = true;
  const map = node ? ctx.expectMap(node, `${what}.parameters`, ' of parameter names to values') : undefined;
  if (node && !map) return undefined;
  for (const entry of map?.entries ?? []) {
    const parameter = ctx.params.get(entry.key);
    if (!parameter) {
      if (!ctx.paramNames.has(entry.key)) {
        ctx.report(
          'UNKNOWN_PARAMETER',
          entry.keyRange,
          `${what} sets "${entry.key}", which is not a declared parameter${suggestion(entry.key, ctx.paramNames)}; declared: ${list([...ctx.paramNames])}`,
        );
      }
      ok = false;
      continue;
    }
    const value = parameterValue(
      ctx,
      parameter,
      entry.value,
      `${what}.parameters.${entry.key}`,
      'VALUE_OUT_OF_RANGE',
    );
    if (value === undefined) ok = false;
    else out.push({ name: entry.key, value, range: entry.value.range });
  }
  for (const parameter of ctx.params.values()) {
    if (
      parameter.required &&
      !out.some((a) => a.name === parameter.name) &&
      !map?.entries.some((e) => e.key === parameter.name)
    ) {
      ctx.report(
        'MISSING_PARAMETER',
        keyRange,
        `${what} does not set the required parameter "${parameter.name}" (it has no default); add it under ${what}.parameters`,
      );
      ok = false;
    }
  }
  return ok ? out : undefined;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.trim() !== '' && !/^[+-]/.test(tz);
  } catch {
    return false;
  }
}
