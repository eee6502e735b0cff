// Unit: where new tenants are placed (src/db/shards.ts).
import { describe, expect, it, vi } from 'vitest';
import { placementOf, usablePlacement } from '../src/db/shards.ts';

describe('placementOf', () => {
  it('spreads tenant ids evenly over the shards, the same id always on the same shard', () => {
    for (const shards of [2, 3, 5]) {
      const counts = new Array<number>(shards).fill(0);
      const n = 3000;
      for (let i = 0; i < n; i++) {
        const id = `tenant-${crypto.randomUUID()}`;
        const shard = placementOf(id, shards);
        expect(placementOf(id, shards)).toBe(shard);
        counts[shard] = (counts[shard] ?? 0) + 1;
      }
      for (const c of counts) expect(Math.abs(c - n / shards)).toBeLessThan((n / shards) * 0.15);
    }
  });

  it('places similar ids apart', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `acme-${i}`);
    const onFirst = ids.filter((id) => placementOf(id, 2) === 0).length;
    expect(onFirst).toBeGreaterThan(70);
    expect(onFirst).toBeLessThan(130);
  });
});

describe('usablePlacement', () => {
  it('keeps the hashed shard when it has tables, and falls back to shard 0 when it has none', async () => {
    const onOne = Array.from({ length: 50 }, (_, i) => `tenant-${i}`).find(
      (id) => placementOf(id, 2) === 1,
    ) as string;
    const onZero = Array.from({ length: 50 }, (_, i) => `tenant-${i}`).find(
      (id) => placementOf(id, 2) === 0,
    ) as string;
    expect(await usablePlacement(onOne, async () => true, 2)).toBe(1);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await usablePlacement(onOne, async () => false, 2)).toBe(0);
    expect(error).toHaveBeenCalledTimes(1);
    error.mockRestore();
    const asked: number[] = [];
    const record = async (shard: number) => {
      asked.push(shard);
      return false;
    };
    expect(await usablePlacement(onZero, record, 2)).toBe(0);
    expect(asked).toEqual([]);
  });
});
