/**
 * Step 1, claim: only deliveries still QUEUED/RETRYING move to SENDING, one attempt more. The
 * same round trip reads what the plan needs: the deliveries' members, events and integrations.
 */
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { type Db, inJson, sameTenant } from '../../db/client.ts';
import { deliveries, integrations, users, workflowEvents } from '../../db/schema.ts';
import type { DeliveryRow, EventRow } from '../deliveries.ts';
import type { IntegrationRow } from '../integrations.ts';
import type { UserRow } from '../users.ts';
import type { Claimed, QueuedMessage, Verdicts } from './types.ts';

export interface Claim {
  /** The claimed deliveries, one per id (a duplicate message of the batch is acked). */
  claimed: Claimed[];
  /** The rows as they were before the claim, so a deferred one returns to exactly that. */
  before: Map<string, DeliveryRow>;
  /** The members, events and integration rows of the batch's deliveries (claimed or not). */
  loaded: Loaded;
}

export interface Loaded {
  users: UserRow[];
  events: EventRow[];
  integrations: IntegrationRow[];
}

/**
 * Loads and claims in one round trip: a duplicate message never sends twice. Messages whose
 * delivery is already sent, failed, skipped or being sent are acked here.
 */
export async function claim(
  db: Db,
  tenantId: string,
  msgs: readonly QueuedMessage[],
  verdicts: Verdicts,
): Promise<Claim> {
  const ids = [...new Set(msgs.map((m) => m.body.deliveryId))];
  const at = new Date().toISOString();
  const batch = and(sameTenant(deliveries.tenantId, tenantId), inJson(deliveries.id, ids)) as SQL;
  /** One column of the batch's deliveries, as a subquery. */
  const ofBatch = (column: SQLiteColumn) =>
    db.select({ value: column }).from(deliveries).where(batch);
  const [rows, claimedIds, userRows, eventRows, integrationRows] = await db.batch([
    db.select().from(deliveries).where(batch),
    db
      .update(deliveries)
      .set({
        status: 'SENDING',
        attempts: sql`${deliveries.attempts} + 1`,
        updatedAt: at,
        dueAt: at,
      })
      .where(and(batch, inArray(deliveries.status, ['QUEUED', 'RETRYING'])))
      .returning({ id: deliveries.id }),
    db
      .select()
      .from(users)
      .where(
        and(sameTenant(users.tenantId, tenantId), inArray(users.id, ofBatch(deliveries.userRowId))),
      ),
    db
      .select()
      .from(workflowEvents)
      .where(
        and(
          sameTenant(workflowEvents.tenantId, tenantId),
          inArray(workflowEvents.id, ofBatch(deliveries.eventId)),
        ),
      ),
    db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.tenantId, tenantId),
          inArray(integrations.kind, ofBatch(deliveries.channel)),
        ),
      ),
  ]);
  const claimedSet = new Set(claimedIds.map((r) => r.id));
  const before = new Map(rows.map((r) => [r.id, r]));
  const claimed = new Map<string, Claimed>();
  for (const msg of msgs) {
    const id = msg.body.deliveryId;
    const was = before.get(id);
    if (!was || !claimedSet.has(id) || claimed.has(id)) {
      verdicts.set(msg.id, { action: 'ack' });
      continue;
    }
    claimed.set(id, {
      msg,
      row: { ...was, status: 'SENDING', attempts: was.attempts + 1, updatedAt: at, dueAt: at },
    });
  }
  return {
    claimed: [...claimed.values()],
    before,
    loaded: { users: userRows, events: eventRows, integrations: integrationRows },
  };
}
