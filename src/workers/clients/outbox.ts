/** The Outbox over real bindings: the delivery queue, and the DeliveryHub for live status. */
import type { Outbox } from '../../domain/deliveries.ts';
import { publishUpdates } from './delivery-updates.ts';

export function createOutbox(env: Env): Outbox {
  return {
    queue: env.DELIVERY_QUEUE,
    publish: (tenantId, updates) => publishUpdates(env, tenantId, updates),
  };
}
