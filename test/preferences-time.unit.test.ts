// Unit: quiet hours, digest times and the member's say over one delivery, as pure functions.
import { describe, expect, it } from 'vitest';
import {
  decideHold,
  NO_PREFERENCES,
  nextDigestAt,
  type Preferences,
  quietUntil,
} from '../src/domain/preferences/index.ts';
import { instantOf } from '../src/domain/preferences/zoned-time.ts';

const at = (iso: string) => Date.parse(iso);
const TOKYO_NIGHT = {
  start: '22:00',
  end: '07:00',
  days: ['FRI' as const],
  timeZone: 'Asia/Tokyo',
};

describe('quietUntil', () => {
  it('crosses midnight in Asia/Tokyo, counting the window by the day it starts on', () => {
    // Fri 2026-12-04 23:30 JST = 14:30Z: inside Friday's window, which ends Sat 07:00 JST.
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-04T14:30:00Z'))).toBe(at('2026-12-04T22:00:00Z'));
    // Sat 02:00 JST: still Friday's window.
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-04T17:00:00Z'))).toBe(at('2026-12-04T22:00:00Z'));
    // Sat 07:00 JST sharp: over. Sat 23:00 JST: Saturday is not a start day.
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-04T22:00:00Z'))).toBeNull();
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-05T14:00:00Z'))).toBeNull();
    // Thu 23:30 JST: Thursday is not a start day either; Fri 21:59 JST not yet.
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-03T14:30:00Z'))).toBeNull();
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-04T12:59:00Z'))).toBeNull();
    expect(quietUntil(TOKYO_NIGHT, at('2026-12-04T13:00:00Z'))).toBe(at('2026-12-04T22:00:00Z'));
  });

  it('handles a same-day window and another zone', () => {
    const lunch = { start: '12:00', end: '13:00', days: ['MON' as const], timeZone: 'UTC' };
    expect(quietUntil(lunch, at('2026-11-30T12:30:00Z'))).toBe(at('2026-11-30T13:00:00Z'));
    expect(quietUntil(lunch, at('2026-11-30T13:00:00Z'))).toBeNull();
    // New York in summer is UTC-4: 22:00–07:00 there on a Saturday.
    const ny = {
      start: '22:00',
      end: '07:00',
      days: ['SAT' as const],
      timeZone: 'America/New_York',
    };
    expect(quietUntil(ny, at('2026-07-05T03:00:00Z'))).toBe(at('2026-07-05T11:00:00Z'));
  });
});

describe('nextDigestAt', () => {
  const digest = { types: ['COMMENTED' as const], at: ['09:00', '18:00'], timeZone: 'Asia/Tokyo' };
  it('is the next time in `at`, today or tomorrow, in the zone', () => {
    // 10:00 JST → 18:00 JST the same day; 18:00 sharp → 09:00 the next day.
    expect(nextDigestAt(digest, at('2026-12-01T01:00:00Z'))).toBe(at('2026-12-01T09:00:00Z'));
    expect(nextDigestAt(digest, at('2026-12-01T09:00:00Z'))).toBe(at('2026-12-02T00:00:00Z'));
    expect(nextDigestAt(digest, at('2026-12-01T15:00:00Z'))).toBe(at('2026-12-02T00:00:00Z'));
  });
});

describe('daylight saving', () => {
  // America/New_York, 2025-03-09: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 never happens.
  // 2025-11-02: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:30 happens twice.
  const ny = 'America/New_York';
  it('puts a skipped local time at the jump, not an hour before it', () => {
    expect(instantOf({ year: 2025, month: 3, day: 9 }, '02:30', ny)).toBe(
      at('2025-03-09T07:00:00Z'),
    );
    const digest = { types: ['COMMENTED' as const], at: ['02:30'], timeZone: ny };
    expect(nextDigestAt(digest, at('2025-03-09T05:00:00Z'))).toBe(at('2025-03-09T07:00:00Z'));
    // Quiet from 02:30: 01:45 EST is before it; 03:15 EDT is inside.
    const quiet = { start: '02:30', end: '06:00', days: ['SUN' as const], timeZone: ny };
    expect(quietUntil(quiet, at('2025-03-09T06:45:00Z'))).toBeNull();
    expect(quietUntil(quiet, at('2025-03-09T07:15:00Z'))).toBe(at('2025-03-09T10:00:00Z'));
  });

  it('keeps ordinary and repeated local times where they were', () => {
    expect(instantOf({ year: 2025, month: 3, day: 9 }, '01:30', ny)).toBe(
      at('2025-03-09T06:30:00Z'),
    );
    expect(instantOf({ year: 2025, month: 3, day: 9 }, '03:30', ny)).toBe(
      at('2025-03-09T07:30:00Z'),
    );
    const twice = instantOf({ year: 2025, month: 11, day: 2 }, '01:30', ny);
    expect([at('2025-11-02T05:30:00Z'), at('2025-11-02T06:30:00Z')]).toContain(twice);
    expect(instantOf({ year: 2026, month: 12, day: 4 }, '22:00', 'Asia/Tokyo')).toBe(
      at('2026-12-04T13:00:00Z'),
    );
  });
});

describe('decideHold', () => {
  const prefs: Preferences = {
    channelsOff: [{ type: 'COMMENTED', channel: 'SLACK' }],
    quietHours: TOKYO_NIGHT,
    digest: { types: ['CIRCULATED'], at: ['18:00'], timeZone: 'Asia/Tokyo' },
  };
  const plain = { required: false, urgent: false };
  const night = at('2026-12-04T14:30:00Z');
  const noon = at('2026-12-04T03:00:00Z');

  it('skips what the member turned off, unless the rule is required', () => {
    expect(decideHold(prefs, 'COMMENTED', 'SLACK', plain, noon)).toEqual({
      status: 'SKIPPED',
      reason: 'turned off by the member',
    });
    expect(decideHold(prefs, 'COMMENTED', 'SLACK', { ...plain, required: true }, noon)).toEqual({
      status: 'QUEUED',
    });
    expect(decideHold(prefs, 'COMMENTED', 'LINE', plain, noon)).toEqual({ status: 'QUEUED' });
  });

  it('holds for quiet hours and digests; urgent ignores both', () => {
    expect(decideHold(prefs, 'APPROVAL_REQUESTED', 'SLACK', plain, night)).toEqual({
      status: 'HELD',
      hold: 'QUIET',
      heldUntil: at('2026-12-04T22:00:00Z'),
      reason: "held for the member's quiet hours until 07:00 Asia/Tokyo",
    });
    expect(
      decideHold(prefs, 'APPROVAL_REQUESTED', 'SLACK', { ...plain, urgent: true }, night),
    ).toEqual({ status: 'QUEUED' });
    expect(decideHold(prefs, 'CIRCULATED', 'SLACK', plain, noon)).toEqual({
      status: 'HELD',
      hold: 'DIGEST',
      heldUntil: at('2026-12-04T09:00:00Z'),
      reason: "held for the member's digest at 18:00 Asia/Tokyo",
    });
    expect(decideHold(prefs, 'CIRCULATED', 'SLACK', { ...plain, urgent: true }, noon)).toEqual({
      status: 'QUEUED',
    });
    expect(decideHold(NO_PREFERENCES, 'CIRCULATED', 'SLACK', plain, night)).toEqual({
      status: 'QUEUED',
    });
  });

  it('moves a digest time that falls in quiet hours to their end', () => {
    const late = {
      ...prefs,
      digest: { types: ['CIRCULATED' as const], at: ['23:00'], timeZone: 'Asia/Tokyo' },
    };
    // Fri 20:00 JST: the 23:00 digest falls in Friday's quiet hours → Sat 07:00 JST.
    const d = decideHold(late, 'CIRCULATED', 'SLACK', plain, at('2026-12-04T11:00:00Z'));
    expect(d).toMatchObject({
      status: 'HELD',
      hold: 'DIGEST',
      heldUntil: at('2026-12-04T22:00:00Z'),
    });
  });
});
