/** The Outbox and Gate over real bindings: the delivery queue, DeliveryHub and RateGate. */
import type { Channel } from '../adapters/types.ts';
import type { DeliveryMessage, DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import { type Gate, PACE_LIMITS } from '../domain/limits.ts';
import type { DeliveryHub } from './delivery-hub.ts';
import type { RateGate } from './rate-gate.ts';

const PUBLISH_CHUNK = 1000;

/** Publishes status changes to the tenant's DeliveryHub, in chunks. */
export async function publishUpdates(env: Env, tenantId: string, updates: DeliveryUpdate[]) {
  if (updates.length === 0) return;
  const hub = (env.DELIVERY_HUB as DurableObjectNamespace<DeliveryHub>).getByName(tenantId);
  for (let i = 0; i < updates.length; i += PUBLISH_CHUNK) {
    await hub.publish(updates.slice(i, i + PUBLISH_CHUNK));
  }
}

export function createOutbox(env: Env): Outbox {
  return {
    queue: env.DELIVERY_QUEUE as Queue<DeliveryMessage>,
    publish: (tenantId, updates) => publishUpdates(env, tenantId, updates),
  };
}

/** RateGate objects keyed by tenant and provider; the key inside says which bucket. */
export function createGate(env: Env): Gate {
  return {
    async reserve(channel: Channel, tenantId: string, requests) {
      const limit = PACE_LIMITS[channel];
      const gate = (env.RATE_GATE as DurableObjectNamespace<RateGate>).getByName(
        `${tenantId}:${channel}`,
      );
      const keys = requests.map((r) => (limit.scope === 'tenant' ? '*' : r.key));
      return gate.reserve(keys, limit);
    },
  };
}
