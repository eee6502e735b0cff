/**
 * RateGate Durable Object, one per (tenant, provider): paces sends with a GCRA token bucket
 * per key (target or tenant) and hands out reserved slot times, so a caller that must wait
 * is told how long instead of sleeping through the consumer's time.
 */
import { DurableObject } from 'cloudflare:workers';
import type { PaceLimit } from '../domain/limits.ts';

export class RateGate extends DurableObject<Env> {
  /**
   * Theoretical arrival time per key (GCRA), cached in memory and written through to the
   * object's storage: slots handed out before an eviction stay reserved after it.
   */
  private readonly tat = new Map<string, number>();

  private load(key: string): number | undefined {
    let t = this.tat.get(key);
    if (t === undefined) {
      t = this.ctx.storage.kv.get<number>(`tat:${key}`);
      if (t !== undefined) this.tat.set(key, t);
    }
    return t;
  }

  private store(key: string, t: number) {
    this.tat.set(key, t);
    this.ctx.storage.kv.put(`tat:${key}`, t);
  }

  /** One reserved send time (ms since epoch) per key in `keys`, in order. */
  async reserve(keys: string[], limit: PaceLimit): Promise<number[]> {
    const interval = 1000 / limit.ratePerSecond + (limit.guardMs ?? 0);
    const tolerance = interval * Math.max(0, limit.burst - 1);
    const now = Date.now();
    const slots = keys.map((key) => {
      const last = this.load(key);
      const tat = Math.max(last ?? now, now);
      const slot = Math.max(now, tat - tolerance);
      this.store(key, tat + this.spacing(key, limit, interval, slot, last));
      return Math.ceil(slot);
    });
    if (this.tat.size > 10_000) this.forgetIdle(now);
    return slots;
  }

  /**
   * The gap after `slot`: the limit's interval, stretched by `sustained.factor` once the key
   * has been busy without a break (its bucket never ran dry) for `sustained.afterMs`.
   */
  private spacing(
    key: string,
    limit: PaceLimit,
    interval: number,
    slot: number,
    last: number | undefined,
  ): number {
    if (!limit.sustained) return interval;
    const busy = last !== undefined && last >= slot - interval;
    let since = busy ? this.ctx.storage.kv.get<number>(`busy:${key}`) : undefined;
    if (since === undefined) {
      since = slot;
      this.ctx.storage.kv.put(`busy:${key}`, since);
    }
    return slot - since >= limit.sustained.afterMs ? interval / limit.sustained.factor : interval;
  }

  /** No slot on `key` before `untilMs` (the provider reported its window used up). */
  async hold(key: string, untilMs: number): Promise<void> {
    this.store(key, Math.max(this.load(key) ?? 0, untilMs));
  }

  private forgetIdle(now: number) {
    for (const [key, tat] of this.tat) {
      if (tat >= now) continue;
      this.tat.delete(key);
      this.ctx.storage.kv.delete(`tat:${key}`);
      this.ctx.storage.kv.delete(`busy:${key}`);
    }
  }
}
