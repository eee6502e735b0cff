/**
 * Maintenance of the delivery ledger, run by the cron: re-enqueueing deliveries whose next step
 * is overdue (the worker died between the D1 commit and the queue send, or mid-send).
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Db, inJson } from '../db/client.ts';
import { deliveries } from '../db/schema.ts';
import { enqueue } from './enqueue.ts';
import { sweepInChunks } from './sweep-chunks.ts';

/**
 * Cron: re-enqueues deliveries whose next step is overdue by `stuckSeconds` (the worker died
 * between the D1 commit and the queue send, or mid-send). Bounded: it reads at most
 * SWEEP_CHUNK overdue rows per statement, and each UPDATE names one tenant and its row ids.
 */
export async function sweep(
  db: Db,
  queue: Queue,
  options: { stuckSeconds: number; now?: number; chunk?: number },
) {
  const now = options.now ?? Date.now();
  const overdue = new Date(now - options.stuckSeconds * 1000).toISOString();
  const stuckWhere = () =>
    and(
      inArray(deliveries.status, ['QUEUED', 'RETRYING', 'SENDING']),
      lt(deliveries.dueAt, overdue),
    );
  const requeued = await sweepInChunks(
    (limit) =>
      db
        .select({ id: deliveries.id, tenantId: deliveries.tenantId })
        .from(deliveries)
        .where(stuckWhere())
        .limit(limit),
    async (tenantId, ids) => {
      const stuck = await db
        .update(deliveries)
        .set({
          status: sql`case when ${deliveries.status} = 'SENDING' then 'RETRYING' else ${deliveries.status} end`,
          dueAt: new Date(now).toISOString(),
        })
        .where(and(eq(deliveries.tenantId, tenantId), inJson(deliveries.id, ids), stuckWhere()))
        .returning({ id: deliveries.id });
      await enqueue(
        queue,
        tenantId,
        stuck.map((r) => r.id),
      );
      return stuck.length;
    },
    options.chunk,
  );
  return { requeued };
}
