// Unit: waiting for reserved slots (domain/dispatch/slot-waves.ts). A slot at most SLOT_EARLY_MS
// away goes at once; later ones share one timer per SLOT_EARLY_MS window and never go more than
// SLOT_EARLY_MS before their slot.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SLOT_EARLY_MS, slotWaiter } from '../src/domain/dispatch/slot-waves.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** Whether `p` has settled by the end of the current macrotask queue turn. */
async function settled(p: Promise<unknown>) {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('slotWaiter', () => {
  it('lets a send with no slot, a past slot or one within SLOT_EARLY_MS go at once', async () => {
    const now = 1_000_000;
    const wait = slotWaiter(() => now);
    expect(await settled(wait(undefined))).toBe(true);
    expect(await wait(now + SLOT_EARLY_MS)).toBe(false);
    expect(await settled(wait(now - 500))).toBe(true);
    expect(await settled(wait(now + SLOT_EARLY_MS))).toBe(true);
    expect(await settled(wait(now + SLOT_EARLY_MS + 1))).toBe(false);
  });

  it('shares one timer among the slots of a window and wakes no earlier than SLOT_EARLY_MS before each', async () => {
    vi.useFakeTimers();
    const base = Math.ceil(Date.now() / SLOT_EARLY_MS) * SLOT_EARLY_MS + 10 * SLOT_EARLY_MS;
    vi.setSystemTime(base);
    const wait = slotWaiter();
    const slots = [base + 31, base + 33, base + 38, base + 40, base + 41];
    const woke: number[] = [];
    const waited: boolean[] = [];
    const timersBefore = vi.getTimerCount();
    const waves = slots.map((at) =>
      wait(at).then((w) => {
        woke.push(Date.now() - at);
        waited.push(w);
      }),
    );
    // Slots 31–40 wake at base+30, slot 41 at base+40: two timers for five sends.
    expect(wait(base + 31)).toBe(wait(base + 40));
    expect(vi.getTimerCount() - timersBefore).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(waves);
    expect(woke).toHaveLength(slots.length);
    expect(waited).toEqual(slots.map(() => true));
    for (const early of woke) {
      expect(early).toBeLessThan(0);
      expect(early).toBeGreaterThanOrEqual(-SLOT_EARLY_MS);
    }
  });

  it('lets a slot of a window whose wave has gone go at once', async () => {
    vi.useFakeTimers();
    const base = Math.ceil(Date.now() / SLOT_EARLY_MS) * SLOT_EARLY_MS + 10 * SLOT_EARLY_MS;
    vi.setSystemTime(base);
    const wait = slotWaiter();
    const first = wait(base + 35);
    await vi.advanceTimersByTimeAsync(30);
    await first;
    // The clock is now at the wave's time: the same slot is within SLOT_EARLY_MS and goes at once.
    expect(await settled(wait(base + 35))).toBe(true);
  });
});
