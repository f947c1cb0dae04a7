/**
 * Durations as users write them, in runbooks and on the command line: `500ms`, `30s`, `5m`,
 * `1h30m`, `2h`; a bare non-negative integer means seconds.
 */
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
const DURATION_RE = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Accepted forms, for error messages. */
export const DURATION_FORMS = '500ms, 30s, 5m, 1h30m, or a bare integer of seconds';

/** Milliseconds of `text`, or `undefined` when it is not a duration. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text * 1_000 : undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const match = DURATION_RE.exec(trimmed);
  if (!match || trimmed === '') return undefined;
  const [, h, m, s, ms] = match;
  const total =
    Number(h ?? 0) * UNIT_MS.h +
    Number(m ?? 0) * UNIT_MS.m +
    Number(s ?? 0) * UNIT_MS.s +
    Number(ms ?? 0) * UNIT_MS.ms;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds compactly (`1h30m`, `2.5s`, `120ms`) for progress output. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  // Two decimals below 10 s, one below a minute, without trailing zeros: 2s, 2.5s, 1.25s, 12.3s.
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  const h = Math.floor(ms / UNIT_MS.h);
  const m = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  const s = Math.round((ms % UNIT_MS.m) / 1_000);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}
