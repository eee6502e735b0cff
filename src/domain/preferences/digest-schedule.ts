/** Digest times: the next time in `at` (HH:mm in the member's zone) after an instant. */
import type { NotificationType } from '../../adapters/types.ts';
import { addDays, instantOf, localTime } from './zoned-time.ts';

export interface DigestSettings {
  /** The types collected into the digest (urgent ones never are). */
  types: NotificationType[];
  /** HH:mm, each day. */
  at: string[];
  timeZone: string;
}

/** The first digest time strictly after `now` (ms since epoch). */
export function nextDigestAt(d: DigestSettings, now: number): number {
  const today = localTime(now, d.timeZone);
  let next = Number.POSITIVE_INFINITY;
  // Tomorrow always has every time; the day after covers a time a DST change skipped.
  for (const ahead of [0, 1, 2]) {
    const day = addDays(today, ahead);
    for (const hhmm of d.at) {
      const at = instantOf(day, hhmm, d.timeZone);
      if (at > now && at < next) next = at;
    }
    if (Number.isFinite(next)) return next;
  }
  return next;
}
