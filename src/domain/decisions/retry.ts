/** An admin sends a decision WORKPLACE refused, or Renkei gave up on, once more. */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { decisions } from '../../db/schema.ts';
import { auditStatement } from '../audit.ts';
import type { Principal } from '../auth.ts';
import { InputError } from '../errors.ts';
import { type DecisionRow, enqueueDecision, getDecision } from './store.ts';

/**
 * FAILED or REFUSED → PENDING with a fresh retry budget, queued at once (the same
 * `webhook-id`: WORKPLACE still dedupes it). Any other status is a UserError.
 */
export async function retryDecision(
  db: Db,
  queue: Queue,
  actor: Principal,
  id: string,
): Promise<DecisionRow> {
  const row = await getDecision(db, actor.tenantId, id);
  if (!row) {
    throw new InputError([{ code: 'NOT_FOUND', message: 'No such decision', field: ['id'] }]);
  }
  const now = new Date().toISOString();
  const [updated] = await db.batch([
    db
      .update(decisions)
      .set({
        status: 'PENDING',
        reason: null,
        nextAttemptAt: now,
        claimId: null,
        leaseUntil: null,
        attemptsAtRetry: row.attempts,
        updatedAt: now,
      })
      .where(
        and(
          eq(decisions.tenantId, actor.tenantId),
          eq(decisions.id, id),
          // Re-checked in the write: two admins retrying at once queue it once.
          inArray(decisions.status, ['FAILED', 'REFUSED']),
        ),
      )
      .returning(),
    auditStatement(
      db,
      {
        tenantId: actor.tenantId,
        actor: actor.subject,
        action: 'decision.retry',
        target: id,
        detail: { status: row.status },
      },
      now,
    ),
  ]);
  const fresh = updated[0];
  if (!fresh) {
    const current = (await getDecision(db, actor.tenantId, id)) ?? row;
    throw new InputError([
      {
        code: 'INVALID',
        message: `Only FAILED or REFUSED decisions can be retried (this one is ${current.status})`,
        field: ['id'],
      },
    ]);
  }
  await enqueueDecision(queue, actor.tenantId, fresh.id);
  return fresh;
}
