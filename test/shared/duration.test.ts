import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../lib/shared/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1h', 3_600_000],
    ['2m30s', 150_000],
    ['1s500ms', 1_500],
    ['45', 45_000],
    [' 10s ', 10_000],
    [0, 0],
    [12, 12_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'ms', '5x', '-1', '1.5s', 's30', '5m5h', 'soon', -3, 1.5])(
    'reports %j as not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [120, '120ms'],
    [2_500, '2.5s'],
    [2_000, '2s'],
    [1_234, '1.23s'],
    [12_340, '12.3s'],
    [5_400_000, '1h30m'],
    [61_000, '1m1s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
