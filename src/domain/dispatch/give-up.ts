/**
 * The dead-letter consumer: a delivery out of retries (the queue's `max_retries`) ends FAILED
 * with its last reason, and subscribers hear of it.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { inJson } from '../../db/client.ts';
import { deliveries, users } from '../../db/schema.ts';
import type { DispatchDeps, QueuedMessage } from './types.ts';

export async function markGaveUp(
  deps: Pick<DispatchDeps, 'db' | 'publish'>,
  messages: readonly QueuedMessage[],
) {
  const { db } = deps;
  const at = new Date().toISOString();
  const byTenant = new Map<string, string[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m.body.deliveryId]);
  }
  for (const [tenantId, ids] of byTenant) {
    const failed = await db
      .update(deliveries)
      .set({
        status: 'FAILED',
        reason: sql`'gave up after ' || ${deliveries.attempts} || ' attempts: ' || coalesce(${deliveries.reason}, 'no reason recorded')`,
        updatedAt: at,
      })
      .where(
        and(
          eq(deliveries.tenantId, tenantId),
          inJson(deliveries.id, ids),
          inArray(deliveries.status, ['QUEUED', 'RETRYING', 'SENDING']),
        ),
      )
      .returning();
    if (failed.length === 0) continue;
    const members = await db
      .select({ id: users.id, userId: users.userId })
      .from(users)
      .where(
        and(
          eq(users.tenantId, tenantId),
          inJson(users.id, [...new Set(failed.map((f) => f.userRowId))]),
        ),
      );
    const userIdOf = new Map(members.map((m) => [m.id, m.userId]));
    await deps.publish(
      tenantId,
      failed.map((f) => ({ ...f, userId: userIdOf.get(f.userRowId) ?? '' })),
    );
  }
}
