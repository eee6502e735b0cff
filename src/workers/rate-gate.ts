/**
 * RateGate Durable Object, one per (tenant, provider): paces sends with a GCRA token bucket
 * per key (target or tenant) and hands out reserved slot times, so a caller that must wait
 * is told how long instead of sleeping through the consumer's time.
 */
import { DurableObject } from 'cloudflare:workers';
import type { PaceLimit, PaceStep } from '../domain/limits.ts';

/** How late a reserved step may still be used (see reserveSteps). */
export const LATE_OK_MS = 500;
/** A reserved time at most this far ahead is kept only in the near mark (see `tat`). */
const NEAR_MS = 5000;
/** Storage key of the latest near reserved time over all keys. */
const NEAR_MARK = 'tat-near';

export class RateGate extends DurableObject<Env> {
  /**
   * Theoretical arrival time per key (GCRA), in memory, and in storage so that slots handed out
   * before an eviction stay reserved after it. A time more than NEAR_MS ahead is stored for its
   * key; the near ones, which a busy fan-out makes for every member it sends to, are stored as
   * one number for them all (NEAR_MARK, the latest of them), once per call instead of once per
   * key. After an eviction a key keeps its own stored time, and every key counts as reserved
   * until the previous instance's near mark: at most NEAR_MS of waiting, once.
   */
  private readonly tat = new Map<string, number>();
  private near = 0;
  private nearStored = 0;
  /** The near mark the previous instance left (null until read). */
  private inherited: number | null = null;

  private load(key: string): number | undefined {
    const t = this.tat.get(key);
    if (t !== undefined) return t;
    const own = this.ctx.storage.kv.get<number>(`tat:${key}`);
    const before = Math.max(own ?? 0, this.inheritedMark());
    if (before <= Date.now()) return own;
    this.tat.set(key, before);
    return before;
  }

  private store(key: string, t: number) {
    this.tat.set(key, t);
    if (t > Date.now() + NEAR_MS) this.ctx.storage.kv.put(`tat:${key}`, t);
    else if (t > this.near) this.near = t;
  }

  private inheritedMark(): number {
    if (this.inherited === null) {
      this.inherited = this.ctx.storage.kv.get<number>(NEAR_MARK) ?? 0;
      this.nearStored = Math.max(this.nearStored, this.inherited);
    }
    return this.inherited;
  }

  /**
   * The end of every call: the near mark stored when the call raised it (one storage write per
   * call at most), and idle keys forgotten once there are many.
   */
  private settle(now: number) {
    this.inheritedMark();
    if (this.near > this.nearStored) {
      this.nearStored = this.near;
      this.ctx.storage.kv.put(NEAR_MARK, this.near);
    }
    if (this.tat.size > 10_000) this.forgetIdle(now);
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
    this.settle(now);
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
    this.settle(Date.now());
    const until = Math.max(this.heldUntilNow(key), untilMs);
    this.loadedHolds().set(key, until);
    this.ctx.storage.kv.put(`hold:${key}`, until);
  }

  /** Until when `key` is held (ms since epoch), or 0 when it is not. */
  async heldUntil(key: string): Promise<number> {
    return this.heldUntilNow(key);
  }

  private heldUntilNow(key: string): number {
    const until = this.loadedHolds().get(key) ?? 0;
    return until > Date.now() ? until : 0;
  }

  /**
   * Every hold of the object, read from storage once (holds are rare: only after a provider's
   * 429), so a step on a key seen for the first time costs no storage read. Expired holds are
   * deleted on that read.
   */
  private holds: Map<string, number> | null = null;

  private loadedHolds(): Map<string, number> {
    if (this.holds) return this.holds;
    const holds = new Map<string, number>();
    const now = Date.now();
    const expired: string[] = [];
    for (const [name, until] of [...this.ctx.storage.kv.list<number>({ prefix: 'hold:' })]) {
      if (until > now) holds.set(name.slice('hold:'.length), until);
      else expired.push(name);
    }
    for (const name of expired) this.ctx.storage.kv.delete(name);
    this.holds = holds;
    return holds;
  }

  /**
   * Taken calendar slots per workspace-wide key: slot n starts at n × interval. A key spent by
   * sends that also wait for their own channel keeps a calendar rather than one next-free time,
   * so a send that must wait for its channel takes a later slot without holding up the sends
   * behind it that could go now. Two sends on one key are never closer than its interval.
   */
  private readonly calendars = new Map<string, Set<number>>();

  private calendar(key: string): Set<number> {
    let cal = this.calendars.get(key);
    if (!cal) {
      cal = new Set(this.ctx.storage.kv.get<number[]>(`cal:${key}`) ?? []);
      this.calendars.set(key, cal);
    }
    return cal;
  }

  /**
   * One time per step of each plan, in order: step i goes at the earliest moment that is on a
   * free slot of its key's calendar, leaves its target's spacing (GCRA, as reserve()) and lies at
   * least `gapMs` after step i-1. A step that brings a time reserved earlier keeps it while no
   * hold covers it; otherwise the plan is reserved anew from that step on.
   */
  async reserveSteps(plans: PaceStep[][]): Promise<number[][]> {
    const now = Date.now();
    const out = plans.map((steps) => {
      const times: number[] = [];
      let prev = now;
      let keep = true;
      for (const step of steps) {
        const earliest = Math.max(prev + (times.length > 0 ? (step.gapMs ?? 0) : 0), now);
        const held = this.heldUntilNow(step.key);
        // A message back from the queue a moment after its slot (the consumer was busy) still
        // goes on it: LATE_OK_MS is well inside the 2 s of every 62 the pace leaves unused (a
        // workspace's minute holds no extra call for lateness under 2 s).
        const onTime = times.length === 0 ? now - LATE_OK_MS : earliest;
        if (
          keep &&
          step.at !== undefined &&
          step.at >= onTime &&
          step.at >= held &&
          this.targetAllows(step, step.at, now)
        ) {
          // Late: the target's next call keeps its full spacing from now, not from the slot.
          if (step.target && step.at < now) this.usedLate(step.target, now);
          times.push(step.at);
          prev = step.at;
          continue;
        }
        keep = false;
        const t = this.takeSlot(step, Math.max(earliest, held), now);
        times.push(t);
        prev = t;
      }
      return times;
    });
    for (const calKey of this.touched) this.saveCalendar(calKey, now);
    this.touched.clear();
    this.settle(now);
    return out;
  }

  /** When a target last took a slot late (ms since epoch), so its next slot keeps its spacing. */
  private readonly lateUse = new Map<string, number>();

  private targetSpacing(t: NonNullable<PaceStep['target']>): number {
    return 1000 / t.limit.ratePerSecond + (t.limit.guardMs ?? 0);
  }

  /**
   * Whether a kept time still leaves the target its spacing: after a late use of the target,
   * and, when the time itself is late, only if no later slot of the target is reserved yet
   * (going late would crowd it).
   */
  private targetAllows(step: PaceStep, at: number, now: number): boolean {
    if (!step.target) return true;
    const t = step.target;
    const spacing = this.targetSpacing(t);
    const used = this.lateUse.get(t.key);
    if (used !== undefined && at < used + spacing) return false;
    if (at >= now) return true;
    return (this.load(t.key) ?? 0) <= at + spacing + (t.lateMs ?? 0) + 1;
  }

  private usedLate(t: NonNullable<PaceStep['target']>, now: number) {
    this.lateUse.set(t.key, now);
    this.store(t.key, Math.max(this.load(t.key) ?? 0, now + this.targetSpacing(t)));
    if (this.lateUse.size > 10_000) this.lateUse.clear();
  }

  private takeSlot(step: PaceStep, from: number, now: number): number {
    const interval = 1000 / step.limit.ratePerSecond + (step.limit.guardMs ?? 0);
    let start = from;
    if (step.target) {
      const t = step.target;
      const tat = this.load(t.key);
      start = Math.max(start, tat ?? now);
    }
    // A calendar per key and interval: a changed limit (an admin's new messagesPerMinute)
    // starts a calendar of its own.
    const calKey = `${step.key}@${interval}`;
    this.intervals.set(calKey, interval);
    const cal = this.calendar(calKey);
    let n = Math.ceil(start / interval);
    while (cal.has(n)) n++;
    cal.add(n);
    const slot = Math.ceil(n * interval);
    if (step.target) {
      const t = step.target;
      this.store(t.key, slot + this.targetSpacing(t) + (t.lateMs ?? 0));
    }
    this.touched.add(calKey);
    return slot;
  }

  private readonly touched = new Set<string>();

  /** Writes a calendar back without the slots that lie in the past. */
  private saveCalendar(calKey: string, now: number) {
    const interval = this.intervals.get(calKey) ?? 1;
    const left = [...this.calendar(calKey)]
      .filter((n) => n * interval >= now)
      .sort((a, b) => a - b);
    this.calendars.set(calKey, new Set(left));
    if (left.length === 0) this.ctx.storage.kv.delete(`cal:${calKey}`);
    else this.ctx.storage.kv.put(`cal:${calKey}`, left);
  }

  /** Interval (ms) of each calendar, by calendar key. */
  private readonly intervals = new Map<string, number>();

  private forgetIdle(now: number) {
    for (const [key, tat] of this.tat) {
      if (tat >= now) continue;
      this.tat.delete(key);
      this.ctx.storage.kv.delete(`tat:${key}`);
      this.ctx.storage.kv.delete(`busy:${key}`);
    }
  }
}
