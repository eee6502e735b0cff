/**
 * The delivery ledger read back: one delivery, a tenant's deliveries filtered and paged, and an
 * admin's retry of a FAILED one (ARCHITECTURE.md, "The flow of one notification").
 */
import { and, count, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { Channel } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { deliveries, users, type workflowEvents } from '../db/schema.ts';
import { auditStatementIfWritten } from './audit.ts';
import type { Principal } from './auth.ts';
import { enqueue } from './enqueue.ts';
import { InputError } from './errors.ts';
import { pageOf } from './pagination.ts';

export type DeliveryStatus =
  | 'QUEUED'
  | 'SENDING'
  | 'RETRYING'
  | 'SENT'
  | 'FAILED'
  | 'SKIPPED'
  | 'HELD'
  | 'DIGESTED';
export type DeliveryRow = typeof deliveries.$inferSelect;
export type EventRow = typeof workflowEvents.$inferSelect;

/** A delivery as published to subscribers: the row plus the member's WORKPLACE id. */
export type DeliveryUpdate = DeliveryRow & { userId: string };

/** Where new and re-queued deliveries go, and who hears about status changes. */
export interface Outbox {
  /** The delivery queue; messages go through enqueue.ts, which types them. */
  queue: Queue;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
}

export async function getDelivery(db: Db, tenantId: string, id: string) {
  return db.query.deliveries.findFirst({
    where: and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, id)),
  });
}

export interface DeliveryFilter {
  eventId?: string | null;
  userRowId?: string | null;
  channel?: Channel | null;
  status?: DeliveryStatus | null;
}

/** Newest first, by (createdAt, id); filters narrow within the tenant. */
export async function listDeliveries(
  db: Db,
  tenantId: string,
  filter: DeliveryFilter,
  first: number,
  after: { at: string; id: string } | null,
) {
  const conds: SQL[] = [eq(deliveries.tenantId, tenantId)];
  if (filter.eventId) conds.push(eq(deliveries.eventId, filter.eventId));
  if (filter.userRowId) conds.push(eq(deliveries.userRowId, filter.userRowId));
  if (filter.channel) conds.push(eq(deliveries.channel, filter.channel));
  if (filter.status) conds.push(eq(deliveries.status, filter.status));
  const base = and(...conds);
  const cursor = after
    ? or(
        lt(deliveries.createdAt, after.at),
        and(eq(deliveries.createdAt, after.at), lt(deliveries.id, after.id)),
      )
    : undefined;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(deliveries)
      .where(cursor ? and(base, cursor) : base)
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(first + 1),
    db.select({ n: count() }).from(deliveries).where(base),
  ]);
  return pageOf(rows, first, total);
}

/** Puts a FAILED (or stuck RETRYING) delivery back on the queue. */
export async function retryDelivery(db: Db, outbox: Outbox, actor: Principal, id: string) {
  const row = await getDelivery(db, actor.tenantId, id);
  if (!row)
    throw new InputError([{ code: 'NOT_FOUND', message: 'No such delivery', field: ['id'] }]);
  if (row.status !== 'FAILED' && row.status !== 'RETRYING') {
    throw new InputError([
      {
        code: 'INVALID',
        message: `Only FAILED deliveries can be retried (this one is ${row.status})`,
        field: ['id'],
      },
    ]);
  }
  const now = new Date().toISOString();
  // Only from the status just checked: a row the queue claimed meanwhile (SENDING) is not put
  // back, or it would be sent twice; the audit entry is written only where the update was.
  const [updated] = await db.batch([
    db
      .update(deliveries)
      .set({ status: 'QUEUED', reason: null, updatedAt: now, dueAt: now })
      .where(
        and(
          eq(deliveries.tenantId, actor.tenantId),
          eq(deliveries.id, id),
          eq(deliveries.status, row.status),
        ),
      )
      .returning(),
    auditStatementIfWritten(
      db,
      { tenantId: actor.tenantId, actor: actor.subject, action: 'delivery.retry', target: id },
      now,
      deliveries,
      id,
    ),
  ]);
  const fresh = updated[0];
  if (!fresh) {
    throw new InputError([
      {
        code: 'CONFLICT',
        message: `The delivery changed meanwhile (it was ${row.status}); reload and try again`,
        field: ['id'],
      },
    ]);
  }
  await enqueue(outbox.queue, actor.tenantId, [id]);
  const user = await db.query.users.findFirst({
    where: and(eq(users.tenantId, actor.tenantId), eq(users.id, fresh.userRowId)),
  });
  await outbox.publish(actor.tenantId, [{ ...fresh, userId: user?.userId ?? '' }]);
  return fresh;
}
