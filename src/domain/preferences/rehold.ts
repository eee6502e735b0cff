/**
 * A member who changes their preferences changes what their HELD deliveries wait for: cleared
 * quiet hours or a type taken out of the digest go out now, a new window moves `heldUntil`, a
 * cell switched off is SKIPPED. Each changed row gets a fresh wake-up message.
 */

import { and, eq } from 'drizzle-orm';
import type { Channel, NotificationType } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { deliveries, notificationRules, workflowEvents } from '../../db/schema.ts';
import type { QueueMessage } from '../queue-messages.ts';
import { eventOfDelivery } from './held-rows.ts';
import { decideHold } from './hold.ts';
import { enqueueHeld } from './release.ts';
import type { Preferences } from './store.ts';

type DeliveryRow = typeof deliveries.$inferSelect;

/** Re-decides the member's HELD rows under `prefs` at `now`; returns the rows that changed. */
export async function reholdMember(
  deps: {
    db: Db;
    queue: Queue<QueueMessage>;
    publish(tenantId: string, updates: (DeliveryRow & { userId: string })[]): Promise<void>;
  },
  tenantId: string,
  member: { id: string; userId: string },
  prefs: Preferences,
  now: number,
): Promise<number> {
  const { db } = deps;
  const [held, rules] = await db.batch([
    db
      .select({ row: deliveries, type: workflowEvents.type })
      .from(deliveries)
      .innerJoin(workflowEvents, eventOfDelivery(tenantId))
      .where(
        and(
          eq(deliveries.tenantId, tenantId),
          eq(deliveries.userRowId, member.id),
          eq(deliveries.status, 'HELD'),
        ),
      ),
    db.select().from(notificationRules).where(eq(notificationRules.tenantId, tenantId)),
  ]);
  if (held.length === 0) return 0;
  const flags = new Map(rules.map((r) => [`${r.type}/${r.channel}`, r]));
  const at = new Date().toISOString();
  const changed: DeliveryRow[] = [];
  for (const { row, type } of held) {
    const rule = flags.get(`${type}/${row.channel}`);
    const d = decideHold(
      prefs,
      type as NotificationType,
      row.channel as Channel,
      { required: rule?.required ?? false, urgent: rule?.urgent ?? false },
      now,
    );
    let set: Partial<DeliveryRow>;
    if (d.status === 'SKIPPED') set = { status: 'SKIPPED', reason: d.reason };
    else if (d.status === 'QUEUED') {
      // Due now: the wake-up releases it as a lone delivery.
      const due = new Date(now).toISOString();
      set = { hold: 'QUIET', heldUntil: due, dueAt: due };
    } else {
      const until = new Date(d.heldUntil).toISOString();
      if (until === row.heldUntil && d.hold === row.hold) continue;
      set = { hold: d.hold, heldUntil: until, dueAt: until, reason: d.reason };
    }
    changed.push({ ...row, ...set, updatedAt: at });
  }
  if (changed.length === 0) return 0;
  await db.batch(
    changed.map((r) =>
      db
        .update(deliveries)
        .set({
          status: r.status,
          reason: r.reason,
          hold: r.hold,
          heldUntil: r.heldUntil,
          dueAt: r.dueAt,
          updatedAt: at,
        })
        .where(
          and(
            eq(deliveries.tenantId, tenantId),
            eq(deliveries.id, r.id),
            eq(deliveries.status, 'HELD'),
          ),
        ),
    ) as [never, ...never[]],
  );
  await enqueueHeld(
    deps.queue,
    tenantId,
    changed.filter((r) => r.status === 'HELD').map((r) => ({ id: r.id, heldUntil: r.dueAt })),
    now,
  );
  await deps.publish(
    tenantId,
    changed.map((r) => ({ ...r, userId: member.userId })),
  );
  return changed.length;
}
