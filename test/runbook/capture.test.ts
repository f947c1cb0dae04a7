import { describe, expect, it } from 'vitest';
import { type Capture, extractCapture } from '../../lib/runbook/index.ts';

const range = { start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };

function regex(
  pattern: string,
  type: Capture['type'],
  group: number | string = 1,
  extra: Partial<Capture> = {},
): Capture {
  return { name: 'c', type, extract: { kind: 'regex', pattern, group }, range, nameRange: range, ...extra };
}

function json(segments: (string | number)[], type: Capture['type'], extra: Partial<Capture> = {}): Capture {
  return {
    name: 'c',
    type,
    extract: { kind: 'json', path: '.x', segments },
    range,
    nameRange: range,
    ...extra,
  };
}

describe('extractCapture', () => {
  it('matches a regex against any line when the output has several', () => {
    expect(extractCapture('banner\nused=42\nbye\n', regex('^used=(\\d+)$', 'integer'))).toEqual({
      ok: true,
      value: 42,
    });
  });

  it('reads a named group', () => {
    expect(extractCapture('kib=7', regex('kib=(?<kib>\\d+)', 'integer', 'kib'))).toEqual({
      ok: true,
      value: 7,
    });
  });

  it.each<[string, Capture['type'], string | number | boolean]>([
    ['3.5', 'number', 3.5],
    ['-12', 'integer', -12],
    ['TRUE', 'boolean', true],
    ['false', 'boolean', false],
    [' spaced ', 'string', ' spaced '],
  ])('converts %j to %s', (text, type, value) => {
    expect(extractCapture(`v=${text}`, regex('^v=(.*)$', type))).toEqual({ ok: true, value });
  });

  it.each<[string, Capture['type']]>([
    ['1.5', 'integer'],
    ['abc', 'number'],
    ['yes', 'boolean'],
    ['99999999999999999999', 'integer'],
  ])('reports %j as not %s', (text, type) => {
    expect(extractCapture(`v=${text}`, regex('^v=(.*)$', type))).toMatchObject({ ok: false });
  });

  it('reports no match, and takes the default when there is one', () => {
    expect(extractCapture('nothing', regex('^n=(\\d+)$', 'integer'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no line'),
    });
    expect(extractCapture('nothing', regex('^n=(\\d+)$', 'integer', 1, { default: 0 }))).toEqual({
      ok: true,
      value: 0,
    });
  });

  it('walks a JSON path through objects and arrays', () => {
    const output = '{"disk": {"mounts": [{"free": 12}, {"free": 30}]}}\n';

    expect(extractCapture(output, json(['disk', 'mounts', 1, 'free'], 'integer'))).toEqual({
      ok: true,
      value: 30,
    });
  });

  it('reads JSON from the last line when the whole output is not JSON', () => {
    expect(extractCapture('starting\n{"ok": true}\n', json(['ok'], 'boolean'))).toEqual({
      ok: true,
      value: true,
    });
  });

  it('converts JSON strings and stringifies JSON numbers for a string capture', () => {
    expect(extractCapture('{"n": "5"}', json(['n'], 'integer'))).toEqual({ ok: true, value: 5 });
    expect(extractCapture('{"n": 5}', json(['n'], 'string'))).toEqual({ ok: true, value: '5' });
  });

  it.each([
    ['not JSON at all', 'plain text', ['x']],
    ['a missing key', '{"a": 1}', ['b']],
    ['a path through a number', '{"a": 1}', ['a', 'b']],
    ['an object where an integer is wanted', '{"a": {"b": 1}}', ['a']],
  ])('reports %s', (_title, output, segments) => {
    expect(extractCapture(output, json(segments as (string | number)[], 'integer'))).toMatchObject({
      ok: false,
    });
  });
});
