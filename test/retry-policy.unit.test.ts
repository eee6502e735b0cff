/** retry-policy: backoff after a failed attempt and the queue delay of a pacing wait. */
import { describe, expect, it } from 'vitest';
import { backoffSeconds, deferSeconds, MAX_INLINE_WAIT_MS } from '../src/domain/retry-policy.ts';

describe('backoffSeconds', () => {
  it('doubles per attempt between half and all of 2^(n-1) × 2 s, capped at 300 s', () => {
    expect(backoffSeconds(1, () => 0)).toBe(1);
    expect(backoffSeconds(1, () => 0.999)).toBe(2);
    expect(backoffSeconds(4, () => 0)).toBe(8);
    expect(backoffSeconds(4, () => 0.999)).toBe(16);
    expect(backoffSeconds(20, () => 0.999)).toBe(300);
    expect(backoffSeconds(20, () => 0)).toBe(150);
    expect(backoffSeconds(0, () => 0)).toBe(1);
  });
});

describe('deferSeconds', () => {
  it('brings a waiting message back 0.5–2.5 s before its slot, never sooner than 1 s', () => {
    for (const waitMs of [MAX_INLINE_WAIT_MS + 1, 4000, 10_000, 61_234]) {
      const early = waitMs - deferSeconds(waitMs) * 1000;
      expect(early).toBeGreaterThanOrEqual(500);
      expect(early).toBeLessThanOrEqual(2500);
    }
    expect(deferSeconds(0)).toBe(1);
  });
});
