/**
 * Cron: decisions nobody is forwarding any more (the Worker died between claim and record, or a
 * queue send was lost) go back on the queue. A PENDING row is stuck when its next attempt is
 * `stuckSeconds` past and no live claim holds it.
 */
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { type Db, inJson } from '../../db/client.ts';
import { decisions } from '../../db/schema.ts';
import { sendMessages } from '../enqueue.ts';
import { sweepInChunks } from '../sweep-chunks.ts';

/** Re-enqueues stuck PENDING decisions; returns how many. */
export async function sweepDecisions(
  db: Db,
  queue: Queue,
  options: { stuckSeconds: number; now?: number; chunk?: number },
) {
  const now = options.now ?? Date.now();
  const overdue = new Date(now - options.stuckSeconds * 1000).toISOString();
  const at = new Date(now).toISOString();
  const stuckWhere = () =>
    and(
      eq(decisions.status, 'PENDING'),
      lt(decisions.nextAttemptAt, overdue),
      or(isNull(decisions.leaseUntil), lt(decisions.leaseUntil, at)),
    );
  const decisionsRequeued = await sweepInChunks(
    (limit) =>
      db
        .select({ id: decisions.id, tenantId: decisions.tenantId })
        .from(decisions)
        .where(stuckWhere())
        .limit(limit),
    async (tenantId, ids) => {
      // Moving the next attempt to now keeps the next run from finding them again at once.
      const stuck = await db
        .update(decisions)
        .set({ nextAttemptAt: at })
        .where(and(eq(decisions.tenantId, tenantId), inJson(decisions.id, ids), stuckWhere()))
        .returning({ id: decisions.id });
      await sendMessages(
        queue,
        stuck.map((r) => ({ body: { kind: 'decision' as const, tenantId, decisionId: r.id } })),
      );
      return stuck.length;
    },
    options.chunk,
  );
  return { decisionsRequeued };
}
