/** Worker entry: HTTP (hono), queue consumers, cron sweeper and the Durable Object classes. */
import { openDb } from '../db/client.ts';
import { type DeliveryMessage, sweep } from '../domain/deliveries.ts';
import { dispatchBatch, markGaveUp } from '../domain/dispatch.ts';
import { createLogger } from '../domain/log.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { app } from './app.ts';
import { createGate, publishUpdates } from './outbox.ts';

export { DeliveryHub } from './delivery-hub.ts';
export { RateGate } from './rate-gate.ts';

const DEAD_LETTER_QUEUE = 'renkei-deliveries-dlq';

/** Delivery consumer and dead-letter consumer (see wrangler.toml). */
async function queue(batch: MessageBatch<DeliveryMessage>, env: Env) {
  const db = openDb(env.DB);
  const publish = (tenantId: string, updates: Parameters<typeof publishUpdates>[2]) =>
    publishUpdates(env, tenantId, updates);
  const messages = batch.messages.map((m) => ({ id: m.id, body: m.body }));
  if (batch.queue === DEAD_LETTER_QUEUE || batch.queue.endsWith('-dlq')) {
    await markGaveUp({ db, publish }, messages);
    batch.ackAll();
    return;
  }
  const verdicts = await dispatchBatch(
    { db, env, gate: createGate(env), publish, timeoutMs: PROVIDER_TIMEOUT_MS },
    messages,
  );
  const deferred: MessageSendRequest<DeliveryMessage>[] = [];
  for (const m of batch.messages) {
    const v = verdicts.get(m.id) ?? { action: 'retry' as const, delaySeconds: 5 };
    if (v.action === 'ack') m.ack();
    else if (v.action === 'retry') m.retry({ delaySeconds: v.delaySeconds });
    else deferred.push({ body: { ...m.body, slotAt: v.slotAt }, delaySeconds: v.delaySeconds });
  }
  // Pacing waits are re-sent rather than retried, so they do not use up the retry budget.
  if (deferred.length > 0) {
    await env.DELIVERY_QUEUE.sendBatch(deferred);
    for (const m of batch.messages) if (verdicts.get(m.id)?.action === 'defer') m.ack();
  }
}

/** Cron: re-enqueue stuck deliveries, prune old ones. */
async function scheduled(_controller: ScheduledController, env: Env) {
  const result = await sweep(openDb(env.DB), env.DELIVERY_QUEUE as Queue<DeliveryMessage>, {
    stuckSeconds: Number(env.STUCK_AFTER_SECONDS) || 300,
    retentionDays: Number(env.RETENTION_DAYS) || 90,
  });
  createLogger({ job: 'sweep' }).info('sweep done', result);
}

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env, DeliveryMessage>;
