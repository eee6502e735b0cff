export { preferenceNow } from './clock.ts';
export { buildDigest, CLOSING_TYPES, digestContents, pruneDigestItems } from './digest-fold.ts';
export { digestListUrl, verifyDigestLink } from './digest-link.ts';
export { type DigestSettings, nextDigestAt } from './digest-schedule.ts';
export { decideHold, type Hold, type HoldDecision, TURNED_OFF } from './hold.ts';
export { type QuietHours, quietUntil } from './quiet-hours.ts';
export { reholdMember } from './rehold.ts';
export {
  enqueueHeld,
  MAX_QUEUE_DELAY_S,
  type ReleaseDeps,
  sweepHeld,
  takeHeld,
  wakeHeld,
} from './release.ts';
export {
  type ChannelChoice,
  LOCALE_TIME_ZONES,
  NO_PREFERENCES,
  type Preferences,
  type PreferencesInput,
  preferencesByUserIds,
  preferencesOf,
  updatePreferences,
} from './store.ts';
export { HH_MM, isTimeZone, WEEKDAYS, type Weekday } from './zoned-time.ts';
