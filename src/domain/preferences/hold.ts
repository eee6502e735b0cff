/**
 * What a member's preferences do to one delivery the rules and routing let through: off on
 * that channel (SKIPPED), held for their quiet hours or their digest (HELD), or out now.
 */
import type { Channel, NotificationType } from '../../adapters/types.ts';
import type { RuleFlags } from '../rules.ts';
import { nextDigestAt } from './digest-schedule.ts';
import { quietUntil } from './quiet-hours.ts';
import type { Preferences } from './store.ts';
import { localTime } from './zoned-time.ts';

export type Hold = 'QUIET' | 'DIGEST';

export type HoldDecision =
  | { status: 'QUEUED' }
  | { status: 'SKIPPED'; reason: string }
  | { status: 'HELD'; hold: Hold; heldUntil: number; reason: string };

export const TURNED_OFF = 'turned off by the member';

/** `07:00 Asia/Tokyo`: the local time a hold ends, for its reason. */
function localLabel(at: number, timeZone: string): string {
  const t = localTime(at, timeZone);
  const hh = String(t.hour).padStart(2, '0');
  const mm = String(t.minute).padStart(2, '0');
  return `${hh}:${mm} ${timeZone}`;
}

/**
 * The member's say over one delivery at `now`. A required cell cannot be switched off and an
 * urgent one ignores quiet hours and digests; a digest time that falls in quiet hours waits
 * for their end.
 */
export function decideHold(
  prefs: Preferences,
  type: NotificationType,
  channel: Channel,
  rule: RuleFlags,
  now: number,
): HoldDecision {
  const off = prefs.channelsOff.some((c) => c.type === type && c.channel === channel);
  if (off && !rule.required) return { status: 'SKIPPED', reason: TURNED_OFF };
  if (rule.urgent) return { status: 'QUEUED' };
  const digest = prefs.digest;
  if (digest?.types.includes(type) && digest.at.length > 0) {
    const at = nextDigestAt(digest, now);
    const quiet = prefs.quietHours ? quietUntil(prefs.quietHours, at) : null;
    const heldUntil = quiet ?? at;
    return {
      status: 'HELD',
      hold: 'DIGEST',
      heldUntil,
      reason: `held for the member's digest at ${localLabel(heldUntil, quiet && prefs.quietHours ? prefs.quietHours.timeZone : digest.timeZone)}`,
    };
  }
  const q = prefs.quietHours;
  const until = q ? quietUntil(q, now) : null;
  if (q && until !== null) {
    return {
      status: 'HELD',
      hold: 'QUIET',
      heldUntil: until,
      reason: `held for the member's quiet hours until ${localLabel(until, q.timeZone)}`,
    };
  }
  return { status: 'QUEUED' };
}
