/** Paced messages back on the delivery queue, each due shortly before its reserved slot. */
import { sendMessages } from '../../domain/enqueue.ts';
import { deferSeconds, type Requeue } from '../../domain/retry-policy.ts';

/** Pacing waits are re-sent rather than retried, so they do not use up the retry budget. */
export function createRequeue(env: Env): Requeue {
  return (items) =>
    sendMessages(
      env.DELIVERY_QUEUE,
      items.map(({ body, slotAt }) => ({
        body: { ...body, slotAt },
        delaySeconds: deferSeconds(slotAt - Date.now()),
      })),
    );
}
