/**
 * Cron: resumes findBindings runs whose chain of queue messages broke (a message lost, a consumer
 * that died mid-step). A RUNNING run that made no progress for `stuckSeconds` and whose lease has
 * run out gets a message for its current step; it goes on from its stored cursor.
 */
import type { Db } from '../../db/client.ts';
import { sendMessages } from '../enqueue.ts';
import type { DiscoveryMessage, QueueMessage } from '../queue-messages.ts';

/** Runs resumed per cron run and shard, at most. */
const SWEEP_LIMIT = 100;

export async function sweepDiscoveries(
  db: Db,
  queue: Queue<QueueMessage>,
  opts: { stuckSeconds: number },
): Promise<{ discoveriesResumed: number }> {
  const now = new Date();
  const stuckBefore = new Date(now.getTime() - opts.stuckSeconds * 1000).toISOString();
  const nowIso = now.toISOString();
  // Touching updated_at claims the resume: a second sweep meanwhile finds nothing to do.
  const r = await db.$client
    .prepare(
      `update binding_discoveries set updated_at = ?1
       where id in (select id from binding_discoveries
         where status = 'RUNNING' and updated_at < ?2 and (lease_until is null or lease_until < ?1)
         order by updated_at limit ?3)
       returning id, tenant_id, step`,
    )
    .bind(nowIso, stuckBefore, SWEEP_LIMIT)
    .all<{ id: string; tenant_id: string; step: number }>();
  const messages = r.results.map((row) => ({
    body: {
      kind: 'discovery',
      tenantId: row.tenant_id,
      discoveryId: row.id,
      step: row.step,
    } satisfies DiscoveryMessage,
  }));
  await sendMessages(queue, messages);
  return { discoveriesResumed: messages.length };
}

/** Dead letters: a step that kept throwing fails its run instead of being resumed forever. */
export async function markDiscoveriesGaveUp(db: Db, messages: readonly DiscoveryMessage[]) {
  const now = new Date().toISOString();
  for (const m of messages) {
    await db.$client
      .prepare(
        `update binding_discoveries set status = 'FAILED', lease_until = null, updated_at = ?,
          finished_at = ?, error = 'gave up: the step failed repeatedly (see the logs)'
         where tenant_id = ? and id = ? and step = ? and status = 'RUNNING'`,
      )
      .bind(now, now, m.tenantId, m.discoveryId, m.step)
      .run();
  }
}
