/** Step 1, claim: only deliveries still QUEUED/RETRYING move to SENDING, one attempt more. */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Db, inJson } from '../../db/client.ts';
import { deliveries } from '../../db/schema.ts';
import type { DeliveryRow } from '../deliveries.ts';
import type { Claimed, QueuedMessage, Verdicts } from './types.ts';

export interface Claim {
  /** The claimed deliveries, one per id (a duplicate message of the batch is acked). */
  claimed: Claimed[];
  /** The rows as they were before the claim, so a deferred one returns to exactly that. */
  before: Map<string, DeliveryRow>;
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
  const [rows, claimedIds] = await db.batch([
    db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.tenantId, tenantId), inJson(deliveries.id, ids))),
    db
      .update(deliveries)
      .set({
        status: 'SENDING',
        attempts: sql`${deliveries.attempts} + 1`,
        updatedAt: at,
        dueAt: at,
      })
      .where(
        and(
          eq(deliveries.tenantId, tenantId),
          inJson(deliveries.id, ids),
          inArray(deliveries.status, ['QUEUED', 'RETRYING']),
        ),
      )
      .returning({ id: deliveries.id }),
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
  return { claimed: [...claimed.values()], before };
}
