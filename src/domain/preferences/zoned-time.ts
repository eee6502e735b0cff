/**
 * Wall-clock time in an IANA time zone, with Intl only (Workers have the full ICU data): the
 * local date, time and weekday of an instant, and the instant of a local date and time.
 */

export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';
export const WEEKDAYS: readonly Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/** `HH:mm`, 00:00–23:59. */
export const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface LocalTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows `timeZone` as an IANA zone (e.g. Asia/Tokyo, UTC). */
export function isTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date, time and weekday of `at` (ms since epoch) in `timeZone`. */
export function localTime(at: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: (parts.weekday ?? 'Mon').slice(0, 3).toUpperCase() as Weekday,
  };
}

/** Offset of `timeZone` from UTC at `at`, in ms (Asia/Tokyo: +9 h). */
function offsetAt(at: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The instant at which `timeZone`'s clock reads `hhmm` on the given local date (`day` may run
 * past the month's end: Date.UTC carries it over). A time skipped by a DST change resolves to
 * the instant the clock jumps past it.
 */
export function instantOf(
  date: { year: number; month: number; day: number },
  hhmm: string,
  timeZone: string,
): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const wall = Date.UTC(date.year, date.month - 1, date.day, h, m);
  const first = wall - offsetAt(wall, timeZone);
  // Once more with the offset at the guess: right unless a DST change lies in between.
  const at = wall - offsetAt(first, timeZone);
  if (offsetAt(at, timeZone) === wall - at) return at;
  // The clock never reads `hhmm` that day (it jumps past it): the jump lies between the two
  // guesses, found to the minute.
  let lo = Math.min(first, at);
  let hi = Math.max(first, at);
  const after = offsetAt(hi, timeZone);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The local date `days` after `date` (calendar arithmetic, no zone involved). */
export function addDays(date: { year: number; month: number; day: number }, days: number) {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The weekday of a local calendar date. */
export function weekdayOf(date: { year: number; month: number; day: number }): Weekday {
  const sundayFirst = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return WEEKDAYS[(sundayFirst + 6) % 7] as Weekday;
}
