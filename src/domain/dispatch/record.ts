/**
 * Step 5, record: a batch's outcomes in one D1 round trip of set-based statements (one UPDATE
 * for every delivery of the batch, one for the members whose binding a result changed), then
 * integration health and the live updates.
 */
import type { Channel, SendResult } from '../../adapters/types.ts';
import { type RowChange, updateEach } from '../../db/bulk-update.ts';
import { deliveries, users } from '../../db/schema.ts';
import type { DeliveryRow, DeliveryUpdate } from '../deliveries.ts';
import { recordIntegrationHealth } from '../integrations.ts';
import { backoffSeconds, type Verdict } from '../retry-policy.ts';
import type { DispatchDeps, Final, Job, Outcome, Verdicts } from './types.ts';

/** What one result writes to its delivery, and what the queue does with its message. */
function outcomeOf(
  job: Job,
  result: SendResult,
  now: Date,
): { set: Partial<DeliveryRow>; verdict: Verdict } {
  if (result.kind === 'sent') {
    return {
      set: {
        status: 'SENT',
        providerMessageId: result.providerMessageId ?? null,
        sentAt: now.toISOString(),
        reason: null,
        // Where the message lives (Slack channel + ts), to edit it when a decision comes back.
        ...(result.learned?.messageTs
          ? {
              messageChannel: result.learned.messageChannel ?? null,
              messageTs: result.learned.messageTs,
            }
          : {}),
      },
      verdict: { action: 'ack' },
    };
  }
  if (result.kind === 'retry') {
    const delaySeconds = result.afterSeconds ?? backoffSeconds(job.row.attempts);
    return {
      set: {
        status: 'RETRYING',
        reason: result.reason,
        dueAt: new Date(now.getTime() + delaySeconds * 1000).toISOString(),
      },
      verdict: { action: 'retry', delaySeconds },
    };
  }
  return { set: { status: 'FAILED', reason: result.reason }, verdict: { action: 'ack' } };
}

export async function record(
  deps: DispatchDeps,
  tenantId: string,
  outcomes: readonly Outcome[],
  finals: readonly Final[],
  verdicts: Verdicts,
) {
  const { db } = deps;
  const now = new Date();
  const at = now.toISOString();
  const changes: RowChange<typeof deliveries>[] = [];
  const bindings = new Map<string, RowChange<typeof users>>();
  const updates: DeliveryUpdate[] = [];
  const integrationFailures = new Map<Channel, string>();
  for (const { job, result } of outcomes) {
    const { set, verdict } = outcomeOf(job, result, now);
    verdicts.set(job.msg.id, verdict);
    if (result.kind === 'failed' && result.scope === 'integration') {
      integrationFailures.set(job.channel, result.reason);
    }
    changes.push({ id: job.row.id, ...set });
    updates.push({ ...job.row, ...set, updatedAt: at, userId: job.user.userId });
    const userSet = job.driver.bindingChanges(job.user, result);
    if (userSet) {
      // Two results for one member apply in order, as two UPDATEs would.
      const id = job.user.id;
      bindings.set(id, { ...bindings.get(id), ...userSet, id });
    }
  }
  for (const f of finals) {
    const set = { status: 'SKIPPED', reason: f.reason };
    changes.push({ id: f.row.id, ...set });
    updates.push({ ...f.row, ...set, updatedAt: at, userId: f.user?.userId ?? '' });
    verdicts.set(f.msg.id, { action: 'ack' });
  }
  const writes = [
    ...updateEach(db, deliveries, tenantId, changes, { updatedAt: at }),
    ...updateEach(db, users, tenantId, [...bindings.values()]),
  ];
  if (writes.length > 0) await db.batch(writes as [never, ...never[]]);
  for (const [channel, reason] of integrationFailures) {
    await recordIntegrationHealth(db, tenantId, channel, { ok: false, error: reason });
  }
  await deps.publish(tenantId, updates);
}
