// Unit: LINE WORKS pacing and addressing helpers.
import { describe, expect, it } from 'vitest';
import { lineWorksPerMinute, lineWorksUserIdOf } from '../src/domain/channels/line-works.ts';
import { LINE_WORKS_DEFAULT_PER_MINUTE, lineWorksPace, PACE_LIMITS } from '../src/domain/limits.ts';

/** Slots a GCRA bucket hands out for `n` requests at once (as RateGate does). */
function slots(n: number, perMinute: number): number[] {
  const limit = lineWorksPace(perMinute);
  const interval = 1000 / limit.ratePerSecond + (limit.guardMs ?? 0);
  return Array.from({ length: n }, (_, i) => i * interval);
}

describe('lineWorksPace', () => {
  it('never puts more than the limit in any minute, even with sends up to 1.9 s late', () => {
    for (const perMinute of [60, 240, 400, 600]) {
      const at = slots(perMinute * 2, perMinute);
      // Worst case: every send in a window leaves late except the first.
      for (let i = 0; i + perMinute < at.length; i++) {
        const first = at[i] as number;
        const afterLimit = at[i + perMinute] as number;
        expect(afterLimit - first).toBeGreaterThan(60_000 + 1900);
      }
    }
  });

  it('uses at least 95 % of the limit, halved after 30 busy minutes', () => {
    const limit = lineWorksPace(240);
    expect(limit.ratePerSecond * 60).toBeGreaterThanOrEqual(0.95 * 240);
    expect(limit.sustained).toEqual({ afterMs: 30 * 60_000, factor: 0.5 });
  });

  it('is per API (one key per bucket), 240/min by default', () => {
    expect(PACE_LIMITS.LINE_WORKS).toEqual(lineWorksPace(LINE_WORKS_DEFAULT_PER_MINUTE));
    expect(PACE_LIMITS.LINE_WORKS.scope).toBe('target');
    expect(LINE_WORKS_DEFAULT_PER_MINUTE).toBe(240);
  });
});

describe('lineWorksPerMinute / lineWorksUserIdOf', () => {
  it('reads the tenant plan, defaulting to 240', () => {
    expect(lineWorksPerMinute({})).toBe(240);
    expect(lineWorksPerMinute({ rateLimitPerMinute: 60 })).toBe(60);
    expect(lineWorksPerMinute({ rateLimitPerMinute: -1 })).toBe(240);
    expect(lineWorksPerMinute({ rateLimitPerMinute: 'lots' })).toBe(240);
  });

  it('addresses the LINE WORKS id where it differs, else the WORKPLACE id', () => {
    expect(lineWorksUserIdOf({ userId: 'taro', lineWorksUserId: null })).toBe('taro');
    expect(lineWorksUserIdOf({ userId: 'taro', lineWorksUserId: 'taro@works.example' })).toBe(
      'taro@works.example',
    );
  });
});
