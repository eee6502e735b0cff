/** The Gate over RateGate objects, keyed by tenant and provider; the key inside says which bucket. */
import type { Channel } from '../../adapters/types.ts';
import { type Gate, PACE_LIMITS } from '../../domain/limits.ts';

/**
 * How long one answer of heldUntil serves the same key: the sends of a batch that waited for
 * their slots ask together, and a hold set in this window is met by the provider's own 429.
 */
const HELD_FRESH_MS = 250;

export function createGate(env: Env): Gate {
  const held = new Map<string, { at: number; until: Promise<number> }>();
  return {
    async reserve(channel: Channel, tenantId: string, requests, own) {
      const limit = own ?? PACE_LIMITS[channel];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      const keys = requests.map((r) => (limit.scope === 'tenant' ? '*' : r.key));
      return gate.reserve(keys, limit);
    },
    async hold(channel, tenantId, key, untilMs) {
      held.clear();
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      await gate.hold(PACE_LIMITS[channel].scope === 'tenant' ? '*' : key, untilMs);
    },
    async reserveSteps(channel, tenantId, plans) {
      if (plans.length === 0) return [];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      return gate.reserveSteps(plans);
    },
    heldUntil(channel, tenantId, key) {
      const name = `${tenantId}:${channel}`;
      const cacheKey = `${name}|${key}`;
      const known = held.get(cacheKey);
      if (known && Date.now() - known.at < HELD_FRESH_MS) return known.until;
      const until = env.RATE_GATE.getByName(name).heldUntil(key);
      held.set(cacheKey, { at: Date.now(), until });
      // A failed read is not kept: the next send asks again.
      until.catch(() => held.delete(cacheKey));
      return until;
    },
  };
}
