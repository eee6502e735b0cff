/** Puts chat feedback jobs (`kind: 'chat'`, see queue-messages.ts) on the delivery queue. */
import { sendMessages } from '../enqueue.ts';
import type { ChatJob } from '../queue-messages.ts';

/** Sent through sendMessages (enqueue.ts), which types the messages and batches them. */
export async function enqueueChat(queue: Queue, tenantId: string, jobs: readonly ChatJob[]) {
  if (jobs.length === 0) return;
  await sendMessages(
    queue,
    jobs.map((job) => ({ body: { kind: 'chat' as const, tenantId, job } })),
  );
}
