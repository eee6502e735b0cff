// Integration: the RateGate Durable Object over its real binding: evenly spaced slots, bursts,
// holds, and the sustained-load slowdown LINE WORKS asks for (half the limit after 30 busy
// minutes, here scaled down to one busy second).

import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { PaceLimit, PaceStep } from '../src/domain/limits.ts';
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

  it('keeps reserved times across an eviction: far ones per key, near ones as one mark', async () => {
    const g = gate();
    const limit: PaceLimit = { ratePerSecond: 1, burst: 1, scope: 'target' };
    // A busy call stores no entry per key: one mark, the latest near time of all keys.
    const slots = await g.reserve(
      Array.from({ length: 50 }, (_, i) => `m${i}`),
      limit,
    );
    const stored = await runInDurableObject(g, (_instance, state) => [
      ...state.storage.kv.list<number>(),
    ]);
    expect(stored.map(([name]) => name)).toEqual(['tat-near']);
    expect(stored[0]?.[1]).toBeGreaterThanOrEqual(Math.max(...slots) + 999);
    // What an earlier instance left before it was evicted: a near mark and one far key.
    const h = gate();
    const mark = Date.now() + 3000;
    const far = Date.now() + 60_000;
    await runInDurableObject(h, (_instance, state) => {
      state.storage.kv.put('tat-near', mark);
      state.storage.kv.put('tat:far', far);
    });
    const [any, farSlot] = await h.reserve(['new', 'far'], limit);
    expect(any).toBeGreaterThanOrEqual(mark);
    expect(farSlot).toBeGreaterThanOrEqual(far);
  });

  it('keeps holds across an eviction (read back from storage) and forgets expired ones', async () => {
    const g = gate();
    const until = Date.now() + 5000;
    // What an earlier instance of the object left in its storage before it was evicted.
    await runInDurableObject(g, (_instance, state) => {
      state.storage.kv.put('hold:T1:chat.postMessage', until);
      state.storage.kv.put('hold:T1:conversations.open', Date.now() - 1000);
    });
    expect(await g.heldUntil('T1:chat.postMessage')).toBe(until);
    expect(await g.heldUntil('T1:conversations.open')).toBe(0);
    const left = await runInDurableObject(g, (_instance, state) => [
      ...state.storage.kv.list({ prefix: 'hold:' }),
    ]);
    expect(left.map(([name]) => name)).toEqual(['hold:T1:chat.postMessage']);
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
  describe('reserveSteps (Slack: conversations.open, then chat.postMessage)', () => {
    const workspace: PaceLimit = { ratePerSecond: 10, burst: 1, scope: 'tenant' };
    const channel: PaceLimit = { ratePerSecond: 1, burst: 1, scope: 'target', guardMs: 50 };
    const open = (): PaceStep => ({ label: 'open', key: 'T1:open', limit: workspace });
    const post = (member: string, gapMs?: number): PaceStep => ({
      label: 'post',
      key: 'T1:post',
      limit: workspace,
      target: { key: member, limit: channel },
      ...(gapMs !== undefined ? { gapMs } : {}),
    });

    it('spaces each workspace key, and the post follows its open by the gap', async () => {
      const g = gate();
      const plans = ['U1', 'U2', 'U3', 'U4'].map((m) => [open(), post(m, 500)]);
      const times = await g.reserveSteps(plans);
      const opens = times.map((t) => t[0] as number);
      const posts = times.map((t) => t[1] as number);
      for (const gap of gaps(opens)) expect(gap).toBeGreaterThanOrEqual(99);
      for (const gap of gaps(posts)) expect(gap).toBeGreaterThanOrEqual(99);
      times.forEach(([o, p]) => {
        expect((p as number) - (o as number)).toBeGreaterThanOrEqual(500);
      });
    });

    it('a send waiting for its channel does not hold up the workspace for the others', async () => {
      const g = gate();
      // Three messages to U1 (its channel: 1/s) and then one to U2: U2 need not wait for U1's.
      const times = await g.reserveSteps([[post('U1')], [post('U1')], [post('U1')], [post('U2')]]);
      const [a, b, c, d] = times.map((t) => t[0] as number) as [number, number, number, number];
      expect(b - a).toBeGreaterThanOrEqual(1050);
      expect(c - b).toBeGreaterThanOrEqual(1050);
      expect(d - a).toBeLessThan(500);
      expect(Math.abs(d - a)).toBeGreaterThanOrEqual(99);
    });

    it('keeps a time reserved earlier unless a hold covers it', async () => {
      const g = gate();
      const first = (await g.reserveSteps([[open()]]))[0]?.[0] as number;
      const kept = await g.reserveSteps([[{ ...open(), at: first + 3000 }]]);
      expect(kept[0]?.[0]).toBe(first + 3000);
      const until = Date.now() + 5000;
      await g.hold('T1:open', until);
      expect(await g.heldUntil('T1:open')).toBe(until);
      const moved = await g.reserveSteps([[{ ...open(), at: first + 3000 }], [post('U9')]]);
      expect(moved[0]?.[0]).toBeGreaterThanOrEqual(until);
      // Another method is not held.
      expect(moved[1]?.[0]).toBeLessThan(until - 4000);
    });
  });
});
