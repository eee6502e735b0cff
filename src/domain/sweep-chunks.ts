/** How the cron walks overdue rows without one statement running long (D1: 30 s each). */

/** Rows the sweeper reads per statement, and statements per cron run. */
export const SWEEP_CHUNK = 500;
export const SWEEP_MAX_CHUNKS = 20;

/** An overdue row as the sweeper finds it: which tenant, which row. */
export interface OverdueRow {
  id: string;
  tenantId: string;
}

/**
 * Reads overdue rows `chunk` at a time (at most SWEEP_MAX_CHUNKS reads) and hands each tenant's
 * ids to `requeue`, which re-checks them in an UPDATE naming that tenant and answers how many it
 * re-enqueued; returns the total.
 */
export async function sweepInChunks(
  findOverdue: (limit: number) => Promise<OverdueRow[]>,
  requeue: (tenantId: string, ids: string[]) => Promise<number>,
  chunk: number = SWEEP_CHUNK,
): Promise<number> {
  let requeued = 0;
  for (let round = 0; round < SWEEP_MAX_CHUNKS; round++) {
    const found = await findOverdue(chunk);
    const byTenant = new Map<string, string[]>();
    for (const f of found) byTenant.set(f.tenantId, [...(byTenant.get(f.tenantId) ?? []), f.id]);
    for (const [tenantId, ids] of byTenant) requeued += await requeue(tenantId, ids);
    if (found.length < chunk) break;
  }
  return requeued;
}
