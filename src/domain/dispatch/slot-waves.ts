/**
 * Waiting for reserved slots without a timer per send. A send whose slot is at most
 * SLOT_EARLY_MS away goes now; one further off waits on a timer shared by every send of the
 * part whose slot lies in the same SLOT_EARLY_MS window, and goes in [slot − SLOT_EARLY_MS, slot).
 * Every pace leaves more room than that: the 62-s minute of the per-workspace and per-domain
 * limits (2 s in every 62), the 50 ms guard of the 1/s-per-channel limits, and LINE's burst.
 *
 * Why: at a limit of many calls a minute a part's slots lie fractions of a millisecond apart,
 * and a timer per send woke the isolate once per fetch, between the answers coming in, each
 * timer firing 1–10 ms late: a part's 100 warm posts started over 40–90 ms instead of at once
 * (BENCHMARKS.md, "Fan-out").
 *
 * A waiter belongs to one consumer part: its timers live in that invocation, never across
 * requests.
 */
export const SLOT_EARLY_MS = 10;

/**
 * Resolves when a send reserved for `at` (ms since epoch) may go (at once for undefined), with
 * whether it had to wait for a timer.
 */
export type SlotWaiter = (at: number | undefined) => Promise<boolean>;

export function slotWaiter(clock: () => number = Date.now): SlotWaiter {
  const waves = new Map<number, Promise<boolean>>();
  return (at) => {
    const now = clock();
    if (at === undefined || at - now <= SLOT_EARLY_MS) return Promise.resolve(false);
    // The start of the SLOT_EARLY_MS window that ends after `at - SLOT_EARLY_MS`: in the future,
    // at most SLOT_EARLY_MS before `at`, and the same for every slot of the window.
    const wake = Math.ceil((at - SLOT_EARLY_MS) / SLOT_EARLY_MS) * SLOT_EARLY_MS;
    // Once a wave has gone, no slot maps to it again (the clock is past `wake`, so every slot of
    // its window is within SLOT_EARLY_MS and goes at once): the part's map only grows.
    let wave = waves.get(wake);
    if (!wave) {
      wave = new Promise<boolean>((resolve) => setTimeout(() => resolve(true), wake - now));
      waves.set(wake, wave);
    }
    return wave;
  };
}
