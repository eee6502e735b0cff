/**
 * Sending to the delivery queue: every producer goes through here, so the message type is
 * checked at this boundary (the generated `Env` types the binding as `Queue<unknown>`).
 */
import type { DeliveryMessage, QueueMessage } from './queue-messages.ts';

/** Messages per sendBatch: the Queues limit. */
export const QUEUE_BATCH = 100;

/** Sends messages to the queue in batches of at most QUEUE_BATCH, all at once. */
export async function sendMessages(queue: Queue, messages: MessageSendRequest<QueueMessage>[]) {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    sends.push(queue.sendBatch(messages.slice(i, i + QUEUE_BATCH)));
  }
  await Promise.all(sends);
}

/** Sends delivery ids to the queue, one message each. */
export async function enqueue(queue: Queue, tenantId: string, ids: string[]) {
  await sendMessages(
    queue,
    ids.map((deliveryId): { body: DeliveryMessage } => ({ body: { tenantId, deliveryId } })),
  );
}
