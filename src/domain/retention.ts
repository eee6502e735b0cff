/**
 * Retention (RETENTION_DAYS): the cron deletes workflow events, their deliveries, decisions and
 * audit entries older than the retention period. Each DELETE removes at most PRUNE_CHUNK rows of one
 * tenant, found by a bounded read first, so no statement comes near D1's 30-second limit;
 * a run stops after PRUNE_MAX_CHUNKS reads per table and the next run carries on.
 */
import { and, lt } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { type Db, inJson, sameTenant } from '../db/client.ts';
import { auditLog, decisions, deliveries, workflowEvents } from '../db/schema.ts';

export const PRUNE_CHUNK = 500;
export const PRUNE_MAX_CHUNKS = 20;

interface Prunable {
  table: SQLiteTable;
  id: SQLiteColumn;
  tenantId: SQLiteColumn;
  at: SQLiteColumn;
}

const TABLES: Record<'decisions' | 'deliveries' | 'events' | 'auditEntries', Prunable> = {
  decisions: {
    table: decisions,
    id: decisions.id,
    tenantId: decisions.tenantId,
    at: decisions.decidedAt,
  },
  deliveries: {
    table: deliveries,
    id: deliveries.id,
    tenantId: deliveries.tenantId,
    at: deliveries.createdAt,
  },
  events: {
    table: workflowEvents,
    id: workflowEvents.id,
    tenantId: workflowEvents.tenantId,
    at: workflowEvents.createdAt,
  },
  auditEntries: { table: auditLog, id: auditLog.id, tenantId: auditLog.tenantId, at: auditLog.at },
};

/** Deletes what is older than `retentionDays`; returns how many rows of each kind went. */
export async function pruneExpired(
  db: Db,
  options: { retentionDays: number; now?: number; chunk?: number },
) {
  const now = options.now ?? Date.now();
  const cutoff = new Date(now - options.retentionDays * 86_400_000).toISOString();
  const chunk = options.chunk ?? PRUNE_CHUNK;
  const pruned = { decisions: 0, deliveries: 0, events: 0, auditEntries: 0 };
  // Decisions and deliveries go before the events they belong to.
  for (const kind of ['decisions', 'deliveries', 'events', 'auditEntries'] as const) {
    const t = TABLES[kind];
    for (let round = 0; round < PRUNE_MAX_CHUNKS; round++) {
      const found = (await db
        .select({ id: t.id, tenantId: t.tenantId })
        .from(t.table)
        .where(lt(t.at, cutoff))
        .limit(chunk)) as { id: string; tenantId: string }[];
      const byTenant = new Map<string, string[]>();
      for (const f of found) {
        byTenant.set(f.tenantId, [...(byTenant.get(f.tenantId) ?? []), f.id]);
      }
      for (const [tenantId, ids] of byTenant) {
        const r = await db
          .delete(t.table)
          .where(and(sameTenant(t.tenantId, tenantId), inJson(t.id, ids), lt(t.at, cutoff)));
        pruned[kind] += r.meta.changes;
      }
      if (found.length < chunk) break;
    }
  }
  return pruned;
}
