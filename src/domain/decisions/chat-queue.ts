/** Puts chat feedback jobs (`kind: 'chat'`, see queue-messages.ts) on the delivery queue. */
import type { ChatJob, QueueMessage } from '../queue-messages.ts';

/** At most 100 jobs per call (the Queues batch limit). */
export async function enqueueChat(
  queue: Queue<QueueMessage>,
  tenantId: string,
  jobs: readonly ChatJob[],
) {
  if (jobs.length === 0) return;
  await queue.sendBatch(jobs.map((job) => ({ body: { kind: 'chat', tenantId, job } })));
}
