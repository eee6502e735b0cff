/** Worker entry: HTTP (hono), the queue consumers, the cron, and the Durable Object classes. */
import type { QueueMessage } from '../domain/queue-messages.ts';
import { app } from './app.ts';
import { queue } from './queue-consumer.ts';
import { scheduled } from './scheduled.ts';

export { DeliveryHub } from './delivery-hub.ts';
export { LineAuth } from './line-auth.ts';
export { RateGate } from './rate-gate.ts';
export { TokenVault } from './token-vault.ts';

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env, QueueMessage>;
