/**
 * A later event for the same document closes the earlier one's actions (DECISIONS.md, "Open or
 * closed"): its Slack messages are edited so their buttons go (queued `slack-refresh` jobs,
 * paced at chat.update's tier). LINE and LINE WORKS messages cannot be edited; a click there is
 * answered "already closed".
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { deliveries, type workflowEvents } from '../../db/schema.ts';
import { enqueueChat } from './chat-queue.ts';
import { eventClosedBy } from './event-actions.ts';

const BATCH = 100;

/** Queues the removal of the buttons of the event `event` closes, if any; returns how many. */
export async function closeEarlierEvent(
  db: Db,
  queue: Queue,
  event: typeof workflowEvents.$inferSelect,
): Promise<number> {
  if (event.isTest) return 0;
  const closed = await eventClosedBy(db, event);
  if (!closed) return 0;
  const sent = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.tenantId, event.tenantId),
        eq(deliveries.eventId, closed.id),
        eq(deliveries.channel, 'SLACK'),
        isNotNull(deliveries.messageTs),
      ),
    );
  for (let i = 0; i < sent.length; i += BATCH) {
    await enqueueChat(
      queue,
      event.tenantId,
      sent.slice(i, i + BATCH).map((d) => ({ type: 'slack-refresh' as const, deliveryId: d.id })),
    );
  }
  return sent.length;
}
