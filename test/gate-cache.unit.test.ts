// Unit: the consumer part's heldUntil cache (workers/clients/gate.ts). The sends of one part that
// waited for their slots share one RateGate answer per key for a moment; a hold the part sets
// clears it, and a failed read is not kept.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGate } from '../src/workers/clients/gate.ts';

/** An Env whose RateGate stubs count heldUntil and hold calls, answering `answer()`. */
function countingEnv(answer: () => Promise<number>) {
  const calls = { heldUntil: [] as string[], hold: 0 };
  const env = {
    RATE_GATE: {
      getByName: (name: string) => ({
        heldUntil: (key: string) => {
          calls.heldUntil.push(`${name}|${key}`);
          return answer();
        },
        hold: async () => {
          calls.hold += 1;
        },
      }),
    },
  } as unknown as Env;
  return { env, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createGate().heldUntil', () => {
  it('asks RateGate once per key within 250 ms, and again after', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { env, calls } = countingEnv(async () => 0);
    const gate = createGate(env);
    await Promise.all(
      Array.from({ length: 5 }, () => gate.heldUntil?.('SLACK', 't1', 'T1:conversations.open')),
    );
    expect(calls.heldUntil).toEqual(['t1:SLACK|T1:conversations.open']);
    // Another key, another tenant: asked on their own.
    await gate.heldUntil?.('SLACK', 't1', 'T1:chat.postMessage');
    await gate.heldUntil?.('SLACK', 't2', 'T1:conversations.open');
    expect(calls.heldUntil).toHaveLength(3);
    vi.setSystemTime(1_000_249);
    await gate.heldUntil?.('SLACK', 't1', 'T1:conversations.open');
    expect(calls.heldUntil).toHaveLength(3);
    vi.setSystemTime(1_000_250);
    await gate.heldUntil?.('SLACK', 't1', 'T1:conversations.open');
    expect(calls.heldUntil).toHaveLength(4);
  });

  it('a hold set by the part clears what it knew', async () => {
    vi.useFakeTimers({ now: 2_000_000 });
    let until = 0;
    const { env, calls } = countingEnv(async () => until);
    const gate = createGate(env);
    expect(await gate.heldUntil?.('SLACK', 't1', 'k')).toBe(0);
    until = 2_030_000;
    await gate.hold?.('SLACK', 't1', 'k', until);
    expect(calls.hold).toBe(1);
    expect(await gate.heldUntil?.('SLACK', 't1', 'k')).toBe(2_030_000);
    expect(calls.heldUntil).toHaveLength(2);
  });

  it('does not keep a failed read: the next send asks again', async () => {
    vi.useFakeTimers({ now: 3_000_000 });
    let fail = true;
    const { env, calls } = countingEnv(async () => {
      if (fail) throw new Error('RateGate unreachable');
      return 0;
    });
    const gate = createGate(env);
    await expect(gate.heldUntil?.('SLACK', 't1', 'k')).rejects.toThrow('unreachable');
    fail = false;
    expect(await gate.heldUntil?.('SLACK', 't1', 'k')).toBe(0);
    expect(calls.heldUntil).toHaveLength(2);
  });
});
