/** Worker entry: HTTP (hono), queue consumers, cron sweeper and the Durable Object classes. */
import type { Db } from '../db/client.ts';
import { allShards, groupByShard } from '../db/shards.ts';
import {
  markAbsencesGaveUp,
  type QueuedAbsence,
  sweepAbsences,
  syncAbsences,
} from '../domain/calendar-sync.ts';
import {
  createChatFeedback,
  type QueuedChat,
  runChatJobs,
} from '../domain/decisions/chat-feedback.ts';
import { forwardDecision } from '../domain/decisions/forward.ts';
import { sweepDecisions } from '../domain/decisions/sweep.ts';
import { sweep } from '../domain/deliveries.ts';
import {
  deferSeconds,
  dispatchBatch,
  markGaveUp,
  type QueuedMessage,
  type Requeue,
  type Verdict,
} from '../domain/dispatch.ts';
import { refreshDueLineQuotas } from '../domain/line-quota-sync.ts';
import { createLogger } from '../domain/log.ts';
import type {
  AbsenceMessage,
  ChatMessage,
  DecisionMessage,
  DeliveryMessage,
  QueueMessage,
} from '../domain/queue-messages.ts';
import { pruneExpired } from '../domain/retention.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { app } from './app.ts';
import { forwardDeps } from './decision-forwarding.ts';
import { createGate, createTokens, publishUpdates } from './outbox.ts';

export { DeliveryHub } from './delivery-hub.ts';
export { LineAuth } from './line-auth.ts';
export { RateGate } from './rate-gate.ts';
export { TokenVault } from './token-vault.ts';

const DEAD_LETTER_QUEUE = 'renkei-deliveries-dlq';

const isAbsence = (body: QueueMessage): body is AbsenceMessage =>
  (body as AbsenceMessage).kind === 'absence';
const isChat = (body: QueueMessage): body is ChatMessage => (body as ChatMessage).kind === 'chat';
const isDecision = (body: QueueMessage): body is DecisionMessage =>
  (body as DecisionMessage).kind === 'decision';

/**
 * Delivery consumer and dead-letter consumer (see wrangler.toml); calendar jobs ride along.
 * Every message names its tenant, so a batch is split by shard and each part runs on its own.
 */
async function queue(batch: MessageBatch<QueueMessage>, env: Env) {
  const { groups, unknown } = await groupByShard(env, batch.messages, (m) => m.body.tenantId);
  if (unknown.length > 0) {
    // A tenant the directory never placed has no rows on any shard: nothing to deliver.
    createLogger({ job: 'queue' }).warn('messages for tenants not in the directory', {
      queue: batch.queue,
      messages: unknown.length,
      tenants: [...new Set(unknown.map((m) => m.body.tenantId))].slice(0, 10),
    });
    for (const m of unknown) m.ack();
  }
  const results = await Promise.allSettled(
    groups.map(({ db, items }) => consumeOnShard(db, env, batch.queue, items)),
  );
  // Parts that finished keep their acks; a failed part's messages are retried.
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** One shard's part of a batch: send (or give up on dead letters), then ack or retry each. */
async function consumeOnShard(
  db: Db,
  env: Env,
  queueName: string,
  messages: readonly Message<QueueMessage>[],
) {
  const publish = (tenantId: string, updates: Parameters<typeof publishUpdates>[2]) =>
    publishUpdates(env, tenantId, updates);
  const deliveryJobs: QueuedMessage[] = [];
  const absenceJobs: QueuedAbsence[] = [];
  const chatJobs: QueuedChat[] = [];
  const decisionJobs: Message<QueueMessage>[] = [];
  for (const m of messages) {
    if (isDecision(m.body)) decisionJobs.push(m);
    else if (isAbsence(m.body)) absenceJobs.push({ id: m.id, body: m.body });
    else if (isChat(m.body)) chatJobs.push({ id: m.id, attempts: m.attempts, body: m.body });
    else deliveryJobs.push({ id: m.id, body: m.body as DeliveryMessage });
  }
  if (queueName === DEAD_LETTER_QUEUE || queueName.endsWith('-dlq')) {
    if (deliveryJobs.length > 0) await markGaveUp({ db, publish }, deliveryJobs);
    if (absenceJobs.length > 0) await markAbsencesGaveUp(db, absenceJobs);
    // A decision never gives up here: its row stays PENDING and the sweeper re-sends it.
    // Chat feedback past its retries is dropped (runChatJobs logs it before it gets here).
    for (const m of messages) m.ack();
    return;
  }
  const decisionVerdicts = new Map<string, Verdict>();
  const gate = createGate(env);
  const tokens = createTokens(env);
  const timeoutMs = Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS;
  const queue = env.DELIVERY_QUEUE as Queue<QueueMessage>;
  // Each outcome is told to the member in the chat where they clicked.
  const feedback = createChatFeedback({
    db,
    env,
    gate,
    tokens,
    queue,
    timeoutMs,
    log: createLogger({ job: 'chat' }),
  });
  const deps = forwardDeps(env, db, feedback);
  const forwarded = Promise.all(
    decisionJobs.map(async (m) => {
      // A D1 hiccup on one decision retries that message alone, not the deliveries beside it.
      const verdict = await forwardDecision(deps, m.body as DecisionMessage).catch((err) => {
        deps.log.error('decision forwarding failed', { error: (err as Error)?.message });
        return { action: 'retry' as const, delaySeconds: 5 };
      });
      decisionVerdicts.set(m.id, verdict);
    }),
  );
  // Pacing waits are re-sent rather than retried, so they do not use up the retry budget.
  const requeue: Requeue = async (items) => {
    await (env.DELIVERY_QUEUE as Queue<QueueMessage>).sendBatch(
      items.map(({ body, slotAt }) => ({
        body: { ...body, slotAt },
        delaySeconds: deferSeconds(slotAt - Date.now()),
      })),
    );
  };
  const [deliveryVerdicts, absenceVerdicts, chatVerdicts] = await Promise.all([
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
    chatJobs.length > 0
      ? runChatJobs(
          { db, env, gate, tokens, queue, timeoutMs, log: createLogger({ job: 'chat' }) },
          chatJobs,
        )
      : new Map<string, Verdict>(),
    forwarded,
  ]);
  const verdictOf = (id: string) =>
    deliveryVerdicts.get(id) ??
    absenceVerdicts.get(id) ??
    chatVerdicts.get(id) ??
    decisionVerdicts.get(id);
  for (const m of messages) {
    const v = verdictOf(m.id) ?? { action: 'retry' as const, delaySeconds: 5 };
    if (v.action === 'ack') m.ack();
    else m.retry({ delaySeconds: v.delaySeconds });
  }
}

/**
 * Cron (every 5 minutes), on every shard in turn: re-enqueue stuck deliveries and calendar jobs,
 * prune what is past the retention, and read the LINE monthly quota of the tenants that are due
 * (daily each, a bounded chunk per run).
 */
async function scheduled(_controller: ScheduledController, env: Env) {
  const queue = env.DELIVERY_QUEUE as Queue<QueueMessage>;
  const stuckSeconds = Number(env.STUCK_AFTER_SECONDS) || 300;
  const log = createLogger({ job: 'sweep' });
  let firstFailure: unknown = null;
  for (const [shard, db] of allShards(env).entries()) {
    // One shard failing must not leave the others unswept.
    try {
      const result = await sweep(db, queue, { stuckSeconds });
      const calendar = await sweepAbsences(db, queue, { stuckSeconds });
      const decided = await sweepDecisions(db, queue, { stuckSeconds });
      const pruned = await pruneExpired(db, { retentionDays: Number(env.RETENTION_DAYS) || 90 });
      const lineQuota = await refreshDueLineQuotas({
        db,
        env,
        tokens: createTokens(env),
        timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
      });
      log.info('sweep done', { shard, ...result, ...calendar, ...decided, pruned, lineQuota });
    } catch (err) {
      log.error('sweep failed', { shard, error: err instanceof Error ? err.message : String(err) });
      firstFailure ??= err;
    }
  }
  if (firstFailure) throw firstFailure;
}

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env, QueueMessage>;
