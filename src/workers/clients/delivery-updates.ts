/** Status changes to the tenant's DeliveryHub (the `deliveryUpdated` subscription). */
import type { DeliveryUpdate } from '../../domain/deliveries.ts';
import { createLogger } from '../../domain/log.ts';

const PUBLISH_CHUNK = 1000;
const log = createLogger({ component: 'delivery-updates' });

/**
 * Publishes status changes to the tenant's DeliveryHub, in chunks, when someone subscribes (the
 * hub is asked first: a question without arguments costs far less than the updates' RPC
 * serialization). A subscriber arriving between the question and the publish misses only
 * changes D1 held before it was there. Live updates are a view of what D1 already holds: if the
 * hub cannot be reached the change is logged, never failed.
 */
export async function publishUpdates(env: Env, tenantId: string, updates: DeliveryUpdate[]) {
  if (updates.length === 0) return;
  const hub = env.DELIVERY_HUB.getByName(tenantId);
  try {
    if (!(await hub.listened())) return;
    for (let i = 0; i < updates.length; i += PUBLISH_CHUNK) {
      await hub.publish(updates.slice(i, i + PUBLISH_CHUNK));
    }
  } catch (err) {
    log.warn('delivery updates not published', {
      tenantId,
      updates: updates.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
