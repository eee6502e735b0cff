// Unit: where new tenants are placed (src/db/shards.ts).
import { describe, expect, it } from 'vitest';
import { placementOf } from '../src/db/shards.ts';

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
