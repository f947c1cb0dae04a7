/**
 * EventBridge cron expressions: six fields, minutes hours day-of-month month day-of-week year.
 *
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'year', min: 1970, max: 2199 },
];

/**
 * Checks a six-field EventBridge cron expression (without `cron( )`).
 *
 * @returns undefined when valid, else what is wrong
 */
export function validateCron(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    return `it has ${fields.length} field(s); EventBridge cron has six: minutes hours day-of-month month day-of-week year, such as "0 3 * * ? *"`;
  }
  for (let i = 0; i < 6; i++) {
    const problem = validateField(fields[i] as string, FIELDS[i] as Field, i);
    if (problem) return problem;
  }
  const dom = fields[2] as string;
  const dow = fields[4] as string;
  if ((dom === '?') === (dow === '?')) {
    return 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?", such as "0 3 * * ? *" or "0 3 ? * MON *"';
  }
  return undefined;
}

function value(text: string, field: Field): number | undefined {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

function validateField(text: string, field: Field, index: number): string | undefined {
  const accepted = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;
  const bad = (why: string): string =>
    `the ${field.name} field "${text}" ${why}; accepted values ${accepted}`;
  if (text === '?')
    return index === 2 || index === 4
      ? undefined
      : bad('cannot be "?" (only day-of-month and day-of-week can)');
  for (const item of text.split(',')) {
    if (item === '') return bad('has an empty list item');
    if (index === 2 && (item === 'L' || item === 'LW' || /^\d+W$/.test(item))) {
      if (item.endsWith('W') && item !== 'LW' && value(item.slice(0, -1), field) === undefined)
        return bad('has a W day out of range');
      continue;
    }
    if (index === 4 && (item === 'L' || /^[^#]+L$/.test(item))) {
      if (item !== 'L' && value(item.slice(0, -1), field) === undefined)
        return bad('has an L day out of range');
      continue;
    }
    if (index === 4 && item.includes('#')) {
      const [day = '', nth = ''] = item.split('#');
      if (value(day, field) === undefined || !/^[1-5]$/.test(nth))
        return bad('has an invalid "#" (write day#n with n from 1 to 5)');
      continue;
    }
    const [range = '', step, extra] = item.split('/');
    if (extra !== undefined) return bad('has two "/"');
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0))
      return bad('has a step that is not a positive integer');
    if (range === '*') continue;
    const [from = '', to, more] = range.split('-');
    if (more !== undefined) return bad('has a range with two "-"');
    const a = value(from, field);
    if (a === undefined) return bad(`has "${from}" out of range or not a value`);
    if (to !== undefined) {
      const b = value(to, field);
      if (b === undefined) return bad(`has "${to}" out of range or not a value`);
    }
  }
  return undefined;
}
