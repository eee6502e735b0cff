/**
 * Reads of many rows in one D1 statement, for the GraphQL dataloaders: nested fields of a page
 * of deliveries (their events, members, each event's summary and deliveries) cost one statement
 * per field, not one per row.
 */
import { and, asc, count, eq, getTableColumns, gt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { inJson, sameTenant } from '../db/client.ts';
import { type decisions, deliveries, users, workflowEvents } from '../db/schema.ts';
import type { DeliveryRow, EventRow } from './deliveries.ts';
import type { UserRow } from './users.ts';

export type Summary = {
  queued: number;
  sending: number;
  retrying: number;
  sent: number;
  failed: number;
  skipped: number;
  held: number;
  digested: number;
};

const emptySummary = (): Summary => ({
  queued: 0,
  sending: 0,
  retrying: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  held: 0,
  digested: 0,
});

/** Events of the tenant by id. */
export async function eventsByIds(db: Db, tenantId: string, ids: readonly string[]) {
  const rows = await db
    .select()
    .from(workflowEvents)
    .where(and(sameTenant(workflowEvents.tenantId, tenantId), inJson(workflowEvents.id, [...ids])));
  return new Map<string, EventRow>(rows.map((r) => [r.id, r]));
}

/** Members of the tenant by row id. */
export async function usersByRowIds(db: Db, tenantId: string, ids: readonly string[]) {
  const rows = await db
    .select()
    .from(users)
    .where(and(sameTenant(users.tenantId, tenantId), inJson(users.id, [...ids])));
  return new Map<string, UserRow>(rows.map((r) => [r.id, r]));
}

/**
 * Counts by status of each event's deliveries; with `userRowId`, of that member's deliveries
 * only (what a `user` may see).
 */
export async function summariesByEvent(
  db: Db,
  tenantId: string,
  eventIds: readonly string[],
  userRowId: string | null,
) {
  const conds: SQL[] = [
    eq(deliveries.tenantId, tenantId),
    inJson(deliveries.eventId, [...eventIds]),
  ];
  if (userRowId != null) conds.push(eq(deliveries.userRowId, userRowId));
  const rows = await db
    .select({ eventId: deliveries.eventId, status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(...conds))
    .groupBy(deliveries.eventId, deliveries.status);
  const out = new Map<string, Summary>(eventIds.map((id) => [id, emptySummary()]));
  for (const r of rows) {
    const summary = out.get(r.eventId);
    const key = r.status.toLowerCase() as keyof Summary;
    if (summary && key in summary) summary[key] = r.n;
  }
  return out;
}

export type EventDeliveriesPage = EventPage<DeliveryRow>;

/** One page of rows per event, with the event's total. */
export interface EventPage<Row> {
  rows: Row[];
  hasNextPage: boolean;
  totalCount: number;
}

/** A table with rows per event and member: deliveries, decisions. */
type PerEventTable = typeof deliveries | typeof decisions;

/**
 * The first `first` rows of `table` (by id, after `afterId`) of each event, with each event's
 * total, in one statement (a window per event); with `userRowId`, that member's rows only (what
 * a `user` may see).
 */
export async function pagesByEvent<T extends PerEventTable>(
  db: Db,
  table: T,
  tenantId: string,
  eventIds: readonly string[],
  opts: { first: number; afterId: string | null; userRowId: string | null },
): Promise<Map<string, EventPage<T['$inferSelect']>>> {
  // Both tables have the columns read here; drizzle's builder wants one concrete table type.
  const t = table as typeof deliveries;
  const conds: SQL[] = [eq(t.tenantId, tenantId), inJson(t.eventId, [...eventIds])];
  if (opts.userRowId != null) conds.push(eq(t.userRowId, opts.userRowId));
  const base = and(...conds);
  const numbered = db
    .select({
      ...getTableColumns(t),
      rn: sql<number>`row_number() over (partition by ${t.eventId} order by ${t.id})`.as('rn'),
    })
    .from(t)
    .where(opts.afterId ? and(base, gt(t.id, opts.afterId)) : base)
    .as('numbered');
  const [rows, totals] = await db.batch([
    db
      .select()
      .from(numbered)
      .where(sql`${numbered.rn} <= ${opts.first + 1}`)
      .orderBy(asc(numbered.eventId), asc(numbered.id)),
    db.select({ eventId: t.eventId, n: count() }).from(t).where(base).groupBy(t.eventId),
  ]);
  const out = new Map<string, EventPage<T['$inferSelect']>>(
    eventIds.map((id) => [id, { rows: [], hasNextPage: false, totalCount: 0 }]),
  );
  for (const total of totals) {
    const page = out.get(total.eventId);
    if (page) page.totalCount = total.n;
  }
  for (const { rn: _rn, ...row } of rows) {
    const page = out.get(row.eventId);
    if (!page) continue;
    if (page.rows.length < opts.first) page.rows.push(row as T['$inferSelect']);
    else page.hasNextPage = true;
  }
  return out;
}

/** WorkflowEvent.deliveries: a page of each event's deliveries. */
export function deliveriesByEvent(
  db: Db,
  tenantId: string,
  eventIds: readonly string[],
  opts: { first: number; afterId: string | null; userRowId: string | null },
) {
  return pagesByEvent(db, deliveries, tenantId, eventIds, opts);
}
