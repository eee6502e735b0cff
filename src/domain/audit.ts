/** The audit log: who changed which setting, rule or binding. Never holds a secret. */
import { and, count, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import { newId } from './ids.ts';
import { pageOf } from './pagination.ts';

export interface AuditInput {
  tenantId: string;
  actor: string;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | string | null;
}

export type AuditRow = typeof auditLog.$inferSelect;

function auditRow(entry: AuditInput, at: string): AuditRow {
  return {
    id: newId(),
    tenantId: entry.tenantId,
    at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    detail:
      entry.detail == null
        ? null
        : typeof entry.detail === 'string'
          ? entry.detail
          : JSON.stringify(entry.detail),
  };
}

/** The insert statement for one audit entry, to put in the same `db.batch` as the change. */
export function auditStatement(db: Db, entry: AuditInput, at = new Date().toISOString()) {
  return db.insert(auditLog).values(auditRow(entry, at));
}

/** A table whose rows belong to a tenant and record when they were last written. */
type WrittenTable = SQLiteTable & {
  id: SQLiteColumn;
  tenantId: SQLiteColumn;
  updatedAt: SQLiteColumn;
};

/**
 * The same entry, written only if `table`'s row `rowId` was written at `at` when the batch
 * reaches it: after a conditional update earlier in the batch (which sets `updatedAt: at`), the
 * entry records only a change that really happened.
 */
export function auditStatementIfWritten(
  db: Db,
  entry: AuditInput,
  at: string,
  table: WrittenTable,
  rowId: string,
) {
  const r = auditRow(entry, at);
  // Values in the table's column order (id, tenant_id, at, actor, action, target, detail).
  return db.insert(auditLog).select(
    sql`select ${r.id}, ${r.tenantId}, ${r.at}, ${r.actor}, ${r.action}, ${r.target}, ${r.detail}
      where exists (select 1 from ${table} where ${table.tenantId} = ${entry.tenantId}
        and ${table.id} = ${rowId} and ${table.updatedAt} = ${at})`,
  );
}

/** Newest first; the cursor is the (at, id) of the last entry seen. */
export async function listAudit(
  db: Db,
  tenantId: string,
  first: number,
  after: { at: string; id: string } | null,
) {
  const where = after
    ? and(
        eq(auditLog.tenantId, tenantId),
        or(lt(auditLog.at, after.at), and(eq(auditLog.at, after.at), lt(auditLog.id, after.id))),
      )
    : eq(auditLog.tenantId, tenantId);
  const [rows, total] = await db.batch([
    db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(first + 1),
    db.select({ n: count() }).from(auditLog).where(eq(auditLog.tenantId, tenantId)),
  ]);
  return pageOf(rows, first, total);
}

export async function getAuditEntry(db: Db, tenantId: string, id: string) {
  return db.query.auditLog.findFirst({
    where: and(eq(auditLog.tenantId, tenantId), eq(auditLog.id, id)),
  });
}
