// Unit: LINE WORKS pacing (the real RateGate's reserve, called on an instance through
// runInDurableObject, with the limit lineWorksPace gives) and addressing helpers.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { lineWorksUserIdOf } from '../src/domain/channels/line-works.ts';
import {
  LINE_WORKS_DEFAULT_PER_MINUTE,
  lineWorksPace,
  lineWorksPerMinute,
  PACE_LIMITS,
} from '../src/domain/limits.ts';
import type { RateGate } from '../src/workers/rate-gate.ts';

/** Slots the real RateGate hands out for `n` bot messages of one tenant asked for at once. */
async function slots(n: number, perMinute: number): Promise<number[]> {
  const stub = (env.RATE_GATE as unknown as DurableObjectNamespace<RateGate>).getByName(
    `pacing-${crypto.randomUUID()}`,
  );
  return runInDurableObject(stub, (gate: RateGate) =>
    gate.reserve(
      Array.from({ length: n }, () => 'bot-message'),
      lineWorksPace(perMinute),
    ),
  );
}

describe('lineWorksPace', () => {
  it('never puts more than the limit in any minute, even with sends up to 1.9 s late', async () => {
    for (const perMinute of [60, 240, 400, 600]) {
      const at = await slots(perMinute * 2, perMinute);
      expect(at).toHaveLength(perMinute * 2);
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
