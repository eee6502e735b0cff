/**
 * The delivery queue's consumer and its dead-letter consumer (wrangler.toml). Every message names
 * its tenant, so a batch is split by shard and each part runs on its own; within a part, each
 * kind of message (kindOf) goes to its handler in HANDLERS, the one place that knows them all.
 */
import { countingD1, type D1Usage, openDb } from '../db/client.ts';
import { groupByShard, shardBindings } from '../db/shards.ts';
import { runDiscoverySteps } from '../domain/binding-discovery/index.ts';
import { markDiscoveriesGaveUp } from '../domain/binding-discovery/sweep.ts';
import { markAbsencesGaveUp, syncAbsences } from '../domain/calendar-sync.ts';
import { createChatFeedback, runChatJobs } from '../domain/decisions/chat-feedback.ts';
import { type ForwardDeps, forwardDecisions } from '../domain/decisions/forward.ts';
import type { DeliveryUpdate } from '../domain/deliveries.ts';
import type { DispatchDeps } from '../domain/dispatch/index.ts';
import { dispatchBatch, markGaveUp } from '../domain/dispatch/index.ts';
import { createLogger } from '../domain/log.ts';
import { preferenceNow, type ReleaseDeps, wakeHeld } from '../domain/preferences/index.ts';
import { kindOf, type QueueMessage, type QueueMessageKind } from '../domain/queue-messages.ts';
import type { Verdict } from '../domain/retry-policy.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { publishUpdates } from './clients/delivery-updates.ts';
import { createGate } from './clients/gate.ts';
import { releaseDeps } from './clients/release-deps.ts';
import { createRequeue } from './clients/requeue.ts';
import { createTokens } from './clients/tokens.ts';
import { forwardDeps } from './decision-forwarding.ts';

const DEAD_LETTER_QUEUE = 'renkei-deliveries-dlq';

/** What every handler may use on one shard: its database and the binding clients. */
type ShardDeps = DispatchDeps & {
  /** Releasing HELD deliveries (wake-up messages), on the preferences clock. */
  release: ReleaseDeps;
  preferenceNow: () => number;
  queue: Queue<QueueMessage>;
  /** Decisions go to WORKPLACE; each outcome is told in the chat where the member clicked. */
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
    async consume(deps, jobs) {
      // Wake-ups of HELD deliveries: the due ones join this batch's sends, in arrival order.
      const woken = await wakeHeld(deps.release, jobs, deps.preferenceNow());
      const verdicts =
        woken.dispatch.length > 0
          ? await dispatchBatch(deps, woken.dispatch)
          : new Map<string, Verdict>();
      for (const id of woken.done) verdicts.set(id, { action: 'ack' });
      return verdicts;
    },
    giveUp: (deps, jobs) => markGaveUp(deps, jobs),
  },
  absence: {
    consume: (deps, jobs) => syncAbsences(deps, jobs),
    giveUp: (deps, jobs) => markAbsencesGaveUp(deps.db, jobs),
  },
  discovery: {
    consume: (deps, jobs) => runDiscoverySteps(deps, jobs),
    giveUp: (deps, jobs) =>
      markDiscoveriesGaveUp(
        deps.db,
        jobs.map((j) => j.body),
      ),
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
    groups.map(({ shard, items }) => consumeOnShard(shard, env, batch.queue, items)),
  );
  // Parts that finished keep their acks; a failed part's messages are retried.
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** What one shard's part of a batch cost: D1 work and queue operations (see BENCHMARKS.md). */
interface PartUsage extends D1Usage {
  messages: number;
  acked: number;
  retried: number;
  requeued: number;
  /** Calls into Durable Objects (RateGate, TokenVault, DeliveryHub), each one DO request. */
  objectCalls: number;
}

/** `client` with every method call counted as one Durable Object request. */
function countingCalls<T extends object>(client: T, usage: PartUsage): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        usage.objectCalls += 1;
        return value.apply(target, args);
      };
    },
  });
}

/**
 * One shard's part of a batch: each kind to its handler, then ack or retry each message. Ends
 * with one `queue part` log line of what it cost (D1 statements and rows, queue operations, time).
 */
async function consumeOnShard(
  shard: number,
  env: Env,
  queueName: string,
  messages: readonly Message<QueueMessage>[],
) {
  const started = Date.now();
  const usage: PartUsage = {
    statements: 0,
    roundTrips: 0,
    messages: messages.length,
    acked: 0,
    retried: 0,
    requeued: 0,
    objectCalls: 0,
  };
  const binding = shardBindings(env)[shard] as D1Database;
  const requeue = createRequeue(env);
  const db = openDb(countingD1(binding, usage, env.D1_METER === 'rows'));
  const shared = {
    db,
    env,
    gate: countingCalls(createGate(env), usage),
    tokens: countingCalls(createTokens(env), usage),
    publish: (tenantId: string, updates: DeliveryUpdate[]) => {
      if (updates.length > 0) usage.objectCalls += 1;
      return publishUpdates(env, tenantId, updates);
    },
    requeue: (items: Parameters<DispatchDeps['requeue']>[0]) => {
      usage.requeued += items.length;
      return requeue(items);
    },
    timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
    release: releaseDeps(env, db),
    preferenceNow: () => preferenceNow(env),
    queue: env.DELIVERY_QUEUE,
  };
  const feedback = createChatFeedback({ ...shared, log: createLogger({ job: 'chat' }) });
  const deps: ShardDeps = { ...shared, forward: forwardDeps(env, db, feedback) };
  try {
    await runPart(deps, queueName, messages, usage);
  } finally {
    createLogger({ job: 'queue' }).info('queue part', {
      queue: queueName,
      shard,
      ...usage,
      ms: Date.now() - started,
    });
  }
}

async function runPart(
  deps: ShardDeps,
  queueName: string,
  messages: readonly Message<QueueMessage>[],
  usage: PartUsage,
) {
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
    usage.acked += messages.length;
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
    if (v.action === 'ack') {
      m.ack();
      usage.acked += 1;
    } else {
      m.retry({ delaySeconds: v.delaySeconds });
      usage.retried += 1;
    }
  }
}
