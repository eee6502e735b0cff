/** Quiet hours: a daily window (it may cross midnight) on chosen weekdays, in the member's zone. */
import { addDays, instantOf, localTime, type Weekday, weekdayOf } from './zoned-time.ts';

export interface QuietHours {
  /** HH:mm. */
  start: string;
  /** HH:mm; at or before `start` means the next day. */
  end: string;
  /** The days a window STARTS on (22:00–07:00 on FRI covers Friday night to Saturday 07:00). */
  days: Weekday[];
  timeZone: string;
}

/**
 * When the quiet hours around `now` end (ms since epoch), or null when `now` is outside them.
 * The window that started yesterday is looked at too: it is the one still running after
 * midnight.
 */
export function quietUntil(q: QuietHours, now: number): number | null {
  const today = localTime(now, q.timeZone);
  const crosses = q.end <= q.start;
  for (const back of [0, 1]) {
    const startDay = addDays(today, -back);
    if (!q.days.includes(weekdayOf(startDay))) continue;
    const from = instantOf(startDay, q.start, q.timeZone);
    const until = instantOf(crosses ? addDays(startDay, 1) : startDay, q.end, q.timeZone);
    if (now >= from && now < until) return until;
  }
  return null;
}
