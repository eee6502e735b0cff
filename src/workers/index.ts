/** Worker entry: HTTP (hono), queue consumers, cron sweeper and the Durable Object classes. */
import { openDb } from '../db/client.ts';
import {
  type AbsenceMessage,
  markAbsencesGaveUp,
  type QueuedAbsence,
  sweepAbsences,
  syncAbsences,
} from '../domain/calendar-sync.ts';
import { type DeliveryMessage, type QueueMessage, sweep } from '../domain/deliveries.ts';
import {
  deferSeconds,
  dispatchBatch,
  markGaveUp,
  type QueuedMessage,
  type Requeue,
  type Verdict,
} from '../domain/dispatch.ts';
import { createLogger } from '../domain/log.ts';
import { pruneExpired } from '../domain/retention.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { app } from './app.ts';
import { createGate, createTokens, publishUpdates } from './outbox.ts';

export { DeliveryHub } from './delivery-hub.ts';
export { LineAuth } from './line-auth.ts';
export { RateGate } from './rate-gate.ts';
export { TokenVault } from './token-vault.ts';

const DEAD_LETTER_QUEUE = 'renkei-deliveries-dlq';

const isAbsence = (body: QueueMessage): body is AbsenceMessage =>
  (body as AbsenceMessage).kind === 'absence';

/** Delivery consumer and dead-letter consumer (see wrangler.toml); calendar jobs ride along. */
async function queue(batch: MessageBatch<QueueMessage>, env: Env) {
  const db = openDb(env.DB);
  const publish = (tenantId: string, updates: Parameters<typeof publishUpdates>[2]) =>
    publishUpdates(env, tenantId, updates);
  const deliveryJobs: QueuedMessage[] = [];
  const absenceJobs: QueuedAbsence[] = [];
  for (const m of batch.messages) {
    if (isAbsence(m.body)) absenceJobs.push({ id: m.id, body: m.body });
    else deliveryJobs.push({ id: m.id, body: m.body as DeliveryMessage });
  }
  if (batch.queue === DEAD_LETTER_QUEUE || batch.queue.endsWith('-dlq')) {
    if (deliveryJobs.length > 0) await markGaveUp({ db, publish }, deliveryJobs);
    if (absenceJobs.length > 0) await markAbsencesGaveUp(db, absenceJobs);
    batch.ackAll();
    return;
  }
  const gate = createGate(env);
  // Pacing waits are re-sent rather than retried, so they do not use up the retry budget.
  const requeue: Requeue = async (items) => {
    await (env.DELIVERY_QUEUE as Queue<QueueMessage>).sendBatch(
      items.map(({ body, slotAt }) => ({
        body: { ...body, slotAt },
        delaySeconds: deferSeconds(slotAt - Date.now()),
      })),
    );
  };
  const tokens = createTokens(env);
  const [deliveryVerdicts, absenceVerdicts] = await Promise.all([
    deliveryJobs.length > 0
      ? dispatchBatch(
          {
            db,
            env,
            gate,
            tokens,
            publish,
            requeue,
            timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
          },
          deliveryJobs,
        )
      : new Map<string, Verdict>(),
    absenceJobs.length > 0
      ? syncAbsences(
          {
            db,
            env,
            gate,
            tokens,
            requeue,
            timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
          },
          absenceJobs,
        )
      : new Map<string, Verdict>(),
  ]);
  const verdictOf = (id: string) => deliveryVerdicts.get(id) ?? absenceVerdicts.get(id);
  for (const m of batch.messages) {
    const v = verdictOf(m.id) ?? { action: 'retry' as const, delaySeconds: 5 };
    if (v.action === 'ack') m.ack();
    else m.retry({ delaySeconds: v.delaySeconds });
  }
}

/** Cron: re-enqueue stuck deliveries and calendar jobs, prune what is past the retention. */
async function scheduled(_controller: ScheduledController, env: Env) {
  const db = openDb(env.DB);
  const queue = env.DELIVERY_QUEUE as Queue<QueueMessage>;
  const stuckSeconds = Number(env.STUCK_AFTER_SECONDS) || 300;
  const result = await sweep(db, queue, { stuckSeconds });
  const calendar = await sweepAbsences(db, queue, { stuckSeconds });
  const pruned = await pruneExpired(db, { retentionDays: Number(env.RETENTION_DAYS) || 90 });
  createLogger({ job: 'sweep' }).info('sweep done', { ...result, ...calendar, pruned });
}

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env, QueueMessage>;
