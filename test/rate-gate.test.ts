// Integration: the RateGate Durable Object over its real binding: evenly spaced slots, bursts,
// holds, and the sustained-load slowdown LINE WORKS asks for (half the limit after 30 busy
// minutes, here scaled down to one busy second).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { PaceLimit } from '../src/domain/limits.ts';
import type { RateGate } from '../src/workers/rate-gate.ts';

const gate = () =>
  (env.RATE_GATE as unknown as DurableObjectNamespace<RateGate>).getByName(
    `gate-${crypto.randomUUID()}`,
  );

const gaps = (slots: number[]) => slots.slice(1).map((s, i) => s - (slots[i] as number));

describe('RateGate', () => {
  it('spaces slots on one key by the interval and keeps keys apart', async () => {
    const g = gate();
    const limit: PaceLimit = { ratePerSecond: 10, burst: 1, scope: 'target' };
    const a = await g.reserve(['a', 'a', 'a', 'a'], limit);
    for (const gap of gaps(a)) expect(gap).toBeGreaterThanOrEqual(99);
    for (const gap of gaps(a)) expect(gap).toBeLessThanOrEqual(101);
    const [b] = await g.reserve(['b'], limit);
    expect(b).toBeLessThanOrEqual(Date.now() + 1);
    // A later call continues where the key's reservations ended.
    const [next] = await g.reserve(['a'], limit);
    expect((next as number) - (a.at(-1) as number)).toBeGreaterThanOrEqual(99);
  });

  it('lets a burst go at once, then spaces', async () => {
    const g = gate();
    const slots = await g.reserve(['k', 'k', 'k', 'k', 'k'], {
      ratePerSecond: 10,
      burst: 3,
      scope: 'tenant',
    });
    const first = slots[0] as number;
    expect(slots.slice(0, 3).every((s) => s - first <= 1)).toBe(true);
    expect((slots[3] as number) - first).toBeGreaterThanOrEqual(99);
    expect((slots[4] as number) - (slots[3] as number)).toBeGreaterThanOrEqual(99);
  });

  it('gives no slot before a hold ends', async () => {
    const g = gate();
    const until = Date.now() + 5000;
    await g.hold('k', until);
    const [slot] = await g.reserve(['k'], { ratePerSecond: 100, burst: 1, scope: 'target' });
    expect(slot).toBeGreaterThanOrEqual(until);
  });

  it('slows to the sustained factor once a key has been busy for afterMs, not before', async () => {
    const g = gate();
    const limit: PaceLimit = {
      ratePerSecond: 20,
      burst: 1,
      scope: 'target',
      sustained: { afterMs: 1000, factor: 0.5 },
    };
    const slots = await g.reserve(Array(40).fill('api'), limit);
    const first = slots[0] as number;
    for (const [i, gap] of gaps(slots).entries()) {
      const at = (slots[i] as number) - first;
      if (at < 1000) expect(gap).toBeLessThanOrEqual(51);
      else expect(gap).toBeGreaterThanOrEqual(99);
    }
    // Another key of the same gate is not slowed by the first one's load.
    const other = await g.reserve(['other', 'other'], limit);
    expect(gaps(other)[0]).toBeLessThanOrEqual(51);
  });

  it('counts a key as fresh again after it went idle', async () => {
    const g = gate();
    const limit: PaceLimit = {
      ratePerSecond: 20,
      burst: 1,
      scope: 'target',
      sustained: { afterMs: 300, factor: 0.25 },
    };
    const busy = await g.reserve(Array(12).fill('api'), limit);
    expect(gaps(busy).at(-1)).toBeGreaterThanOrEqual(199);
    // Wait until the reservations are all in the past and the bucket has been empty a while.
    await new Promise((r) =>
      setTimeout(r, Math.max(0, (busy.at(-1) as number) - Date.now()) + 500),
    );
    const fresh = await g.reserve(['api', 'api', 'api'], limit);
    for (const gap of gaps(fresh)) expect(gap).toBeLessThanOrEqual(51);
  });
});
