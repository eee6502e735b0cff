/**
 * The delivery queue's consumer and its dead-letter consumer (wrangler.toml). Every message names
 * its tenant, so a batch is split by shard and each part runs on its own; within a part, each
 * kind of message (kindOf) goes to its handler in HANDLERS, the one place that knows them all.
 */
import type { Db } from '../db/client.ts';
import { groupByShard } from '../db/shards.ts';
import { markAbsencesGaveUp, syncAbsences } from '../domain/calendar-sync.ts';
import { createChatFeedback, runChatJobs } from '../domain/decisions/chat-feedback.ts';
import { type ForwardDeps, forwardDecisions } from '../domain/decisions/forward.ts';
import type { DeliveryUpdate } from '../domain/deliveries.ts';
import type { DispatchDeps } from '../domain/dispatch/index.ts';
import { dispatchBatch, markGaveUp } from '../domain/dispatch/index.ts';
import { createLogger } from '../domain/log.ts';
import { kindOf, type QueueMessage, type QueueMessageKind } from '../domain/queue-messages.ts';
import type { Verdict } from '../domain/retry-policy.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { publishUpdates } from './clients/delivery-updates.ts';
import { createGate } from './clients/gate.ts';
import { createRequeue } from './clients/requeue.ts';
import { createTokens } from './clients/tokens.ts';
import { forwardDeps } from './decision-forwarding.ts';

const DEAD_LETTER_QUEUE = 'renkei-deliveries-dlq';

/** What every handler may use on one shard: its database and the binding clients. */
type ShardDeps = DispatchDeps & {
  workerEnv: Env;
  queue: Queue<QueueMessage>;
  forward: ForwardDeps;
};

type MessageOf<K extends QueueMessageKind> = Extract<QueueMessage, { kind?: K }>;
type Job<M extends QueueMessage> = { id: string; body: M; attempts: number };

/** One kind of queue message: a live batch of it, and how its dead letters end. */
interface KindHandler<M extends QueueMessage> {
  consume(deps: ShardDeps, jobs: Job<M>[]): Promise<Map<string, Verdict>>;
  giveUp(deps: ShardDeps, jobs: Job<M>[]): Promise<void>;
}

const HANDLERS: { [K in QueueMessageKind]: KindHandler<MessageOf<K>> } = {
  delivery: {
    consume: (deps, jobs) => dispatchBatch(deps, jobs),
    giveUp: (deps, jobs) => markGaveUp(deps, jobs),
  },
  absence: {
    consume: (deps, jobs) => syncAbsences(deps, jobs),
    giveUp: (deps, jobs) => markAbsencesGaveUp(deps.db, jobs),
  },
  decision: {
    consume: (deps, jobs) => forwardDecisions(deps.forward, jobs),
    // A decision never gives up here: its row stays PENDING and the cron sweeper re-sends it.
    giveUp: async () => {},
  },
  chat: {
    consume: (deps, jobs) => runChatJobs(chatDeps(deps), jobs),
    // Chat feedback past its retries is dropped (runChatJobs logs it before it gets here).
    giveUp: async () => {},
  },
};

function chatDeps(deps: Omit<ShardDeps, 'forward'>) {
  return { ...deps, log: createLogger({ job: 'chat' }) };
}

export async function queue(batch: MessageBatch<QueueMessage>, env: Env) {
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

/** One shard's part of a batch: each kind to its handler, then ack or retry each message. */
async function consumeOnShard(
  db: Db,
  env: Env,
  queueName: string,
  messages: readonly Message<QueueMessage>[],
) {
  const shared = {
    db,
    env,
    gate: createGate(env),
    tokens: createTokens(env),
    publish: (tenantId: string, updates: DeliveryUpdate[]) =>
      publishUpdates(env, tenantId, updates),
    requeue: createRequeue(env),
    timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
    workerEnv: env,
    queue: env.DELIVERY_QUEUE,
  };
  // Decisions go to WORKPLACE; each outcome is told in the chat where the member clicked.
  const feedback = createChatFeedback({ ...shared, log: createLogger({ job: 'chat' }) });
  const deps: ShardDeps = { ...shared, forward: forwardDeps(env, db, feedback) };
  const byKind = new Map<QueueMessageKind, Job<QueueMessage>[]>();
  for (const m of messages) {
    const kind = kindOf(m.body);
    byKind.set(kind, [
      ...(byKind.get(kind) ?? []),
      { id: m.id, body: m.body, attempts: m.attempts },
    ]);
  }
  // The handler of each kind takes exactly that kind's messages (MessageOf).
  const handlerOf = (kind: QueueMessageKind) =>
    HANDLERS[kind] as unknown as KindHandler<QueueMessage>;
  if (queueName === DEAD_LETTER_QUEUE || queueName.endsWith('-dlq')) {
    for (const [kind, jobs] of byKind) await handlerOf(kind).giveUp(deps, jobs);
    for (const m of messages) m.ack();
    return;
  }
  const verdicts = await Promise.all(
    [...byKind].map(([kind, jobs]) => handlerOf(kind).consume(deps, jobs)),
  );
  for (const m of messages) {
    const v = verdicts.find((byId) => byId.has(m.id))?.get(m.id) ?? {
      action: 'retry' as const,
      delaySeconds: 5,
    };
    if (v.action === 'ack') m.ack();
    else m.retry({ delaySeconds: v.delaySeconds });
  }
}
