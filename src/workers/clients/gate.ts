/** The Gate over RateGate objects, keyed by tenant and provider; the key inside says which bucket. */
import type { Channel } from '../../adapters/types.ts';
import { type Gate, PACE_LIMITS } from '../../domain/limits.ts';

export function createGate(env: Env): Gate {
  return {
    async reserve(channel: Channel, tenantId: string, requests, own) {
      const limit = own ?? PACE_LIMITS[channel];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      const keys = requests.map((r) => (limit.scope === 'tenant' ? '*' : r.key));
      return gate.reserve(keys, limit);
    },
    async hold(channel, tenantId, key, untilMs) {
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      await gate.hold(PACE_LIMITS[channel].scope === 'tenant' ? '*' : key, untilMs);
    },
    async reserveSteps(channel, tenantId, plans) {
      if (plans.length === 0) return [];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      return gate.reserveSteps(plans);
    },
    async heldUntil(channel, tenantId, key) {
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      return gate.heldUntil(key);
    },
  };
}
