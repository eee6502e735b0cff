/**
 * What releasing and digest folding share: the dependencies, HELD → QUEUED for rows still
 * held, and publishing changed rows to the live status.
 */
import { and, eq } from 'drizzle-orm';
import { type Db, inJson, sameTenant } from '../../db/client.ts';
import { deliveries, users, workflowEvents } from '../../db/schema.ts';
import type { QueueMessage } from '../queue-messages.ts';

export type DeliveryRow = typeof deliveries.$inferSelect;
type DeliveryUpdate = DeliveryRow & { userId: string };

export interface ReleaseDeps {
  db: Db;
  queue: Queue<QueueMessage>;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
  /** The page listing a digest's items (digest-link.ts). */
  listUrl(tenantId: string, digestId: string): Promise<string>;
}

/** The join of a delivery to its workflow event, within the tenant. */
export const eventOfDelivery = (tenantId: string) =>
  and(eq(workflowEvents.tenantId, tenantId), eq(workflowEvents.id, deliveries.eventId));

export const iso = (ms: number) => new Date(ms).toISOString();

async function userIdsOf(db: Db, tenantId: string, rowIds: readonly string[]) {
  const unique = [...new Set(rowIds)];
  const rows = unique.length
    ? await db
        .select({ id: users.id, userId: users.userId })
        .from(users)
        .where(and(sameTenant(users.tenantId, tenantId), inJson(users.id, unique)))
    : [];
  return new Map(rows.map((r) => [r.id, r.userId]));
}

export async function publishRows(
  deps: Pick<ReleaseDeps, 'db' | 'publish'>,
  tenantId: string,
  rows: readonly DeliveryRow[],
) {
  if (rows.length === 0) return;
  const userIds = await userIdsOf(
    deps.db,
    tenantId,
    rows.map((r) => r.userRowId),
  );
  await deps.publish(
    tenantId,
    rows.map((r) => ({ ...r, userId: userIds.get(r.userRowId) ?? '' })),
  );
}

const byArrival = (a: DeliveryRow, b: DeliveryRow) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

/** HELD (quiet hours, or a lone digest item) → QUEUED, only rows still HELD; returns them. */
export async function toQueued(db: Db, tenantId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const at = iso(Date.now());
  const rows = await db
    .update(deliveries)
    .set({ status: 'QUEUED', reason: null, updatedAt: at, dueAt: at })
    .where(
      and(
        sameTenant(deliveries.tenantId, tenantId),
        inJson(deliveries.id, [...ids]),
        eq(deliveries.status, 'HELD'),
      ),
    )
    .returning();
  return rows.sort(byArrival);
}
