/**
 * The consumer side of a delivery: load, pace, claim, send through the channel's adapter,
 * record the outcome (ARCHITECTURE.md, "The flow of one notification"). The queue and the
 * Durable Objects are passed in; the verdict per message tells the worker to ack, retry or
 * defer.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Channel, DecisionButton, Notification, SendResult } from '../adapters/types.ts';
import { type Db, inJson } from '../db/client.ts';
import { deliveries, users, workflowEvents } from '../db/schema.ts';
import {
  type ChannelDriver,
  type ChannelQuota,
  type DispatchEnv,
  DRIVERS,
  type QuotaClaim,
  type QuotaContext,
} from './channels/index.ts';
import { encodeButtonValue } from './decisions/button-value.ts';
import { eventActions } from './decisions/event-actions.ts';
import { type DeliveryRow, type DeliveryUpdate, route } from './deliveries.ts';
import {
  type IntegrationCredentials,
  loadCredentials,
  recordIntegrationHealth,
} from './integrations.ts';
import type { Gate, PaceStep } from './limits.ts';
import { createLogger } from './log.ts';
import type { DeliveryMessage, QueueMessage } from './queue-messages.ts';
import type { TokenSource } from './tokens.ts';
import type { UserRow } from './users.ts';

export interface DispatchDeps {
  db: Db;
  env: DispatchEnv;
  gate: Gate;
  tokens: TokenSource;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
  timeoutMs: number;
  /** Puts paced messages back on the queue now, each to return shortly before its slot. */
  requeue: Requeue;
}

/**
 * Re-sends messages that wait for a pacing slot, at once rather than when the batch ends: a
 * batch may sleep through other slots first, and a delay counted from its end comes back late.
 */
export type Requeue = (items: { body: QueueMessage; slotAt: number }[]) => Promise<void>;

export interface QueuedMessage {
  id: string;
  body: DeliveryMessage;
}

export type Verdict = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

/** Waits up to this are slept through; longer ones go back on the queue until just before. */
export const MAX_INLINE_WAIT_MS = 2500;

/**
 * How long a message waiting `waitMs` for its slot goes back on the queue: queue delays are
 * whole seconds and a busy consumer can take a moment to pick it up, so it comes back
 * 0.5–2.5 s before its slot and sleeps through the rest, keeping the slot exactly.
 */
export function deferSeconds(waitMs: number): number {
  return Math.max(1, Math.floor((waitMs - 1500) / 1000));
}
/**
 * A message back after its reserved slot lost it and reserves anew: sending late would put it
 * closer than the limit to the next slot's holder.
 */
const STALE_SLOT_MS = 0;
const BACKOFF_BASE_S = 2;
const BACKOFF_CAP_S = 300;

/** Resolves at `slotAt` (ms since epoch), at once when it has passed. */
function untilSlot(slotAt: number | undefined): Promise<void> {
  const wait = (slotAt ?? 0) - Date.now();
  return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve();
}

/** Exponential backoff with jitter (50–100 % of 2^n × base), capped. */
export function backoffSeconds(attempt: number, random = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}

interface Job {
  msg: QueuedMessage;
  row: DeliveryRow;
  user: UserRow;
  driver: ChannelDriver;
  channel: Channel;
  paceKey: string;
  /** When the send is the last of `steps` (its time is slotAt). */
  slotAt?: number;
  /** The driver's paced calls (paceSteps) and their reserved times. */
  steps?: PaceStep[];
  slots?: number[];
}

type Outcome = { job: Job; result: SendResult };
/** A delivery that ends without a send (its integration or binding changed meanwhile). */
type Final = { msg: QueuedMessage; row: DeliveryRow; user: UserRow | null; reason: string };

/** Handles one queue batch; returns what to do with each message, by message id. */
export async function dispatchBatch(
  deps: DispatchDeps,
  messages: readonly QueuedMessage[],
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  const byTenant = new Map<string, QueuedMessage[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m]);
  }
  for (const [tenantId, msgs] of byTenant) {
    await dispatchTenant(deps, tenantId, msgs, verdicts);
  }
  return verdicts;
}

async function dispatchTenant(
  deps: DispatchDeps,
  tenantId: string,
  msgs: QueuedMessage[],
  verdicts: Map<string, Verdict>,
) {
  const { db } = deps;
  const ids = [...new Set(msgs.map((m) => m.body.deliveryId))];
  // Load and claim in one round trip: only rows still QUEUED/RETRYING move to SENDING, so a
  // duplicate message never sends twice. The rows as they were are kept, so a delivery that
  // turns out to wait for its pacing slot goes back to exactly that state.
  const at = new Date().toISOString();
  const [before, claimedIds] = await db.batch([
    db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.tenantId, tenantId), inJson(deliveries.id, ids))),
    db
      .update(deliveries)
      .set({
        status: 'SENDING',
        attempts: sql`${deliveries.attempts} + 1`,
        updatedAt: at,
        dueAt: at,
      })
      .where(
        and(
          eq(deliveries.tenantId, tenantId),
          inJson(deliveries.id, ids),
          inArray(deliveries.status, ['QUEUED', 'RETRYING']),
        ),
      )
      .returning({ id: deliveries.id }),
  ]);
  const claimedSet = new Set(claimedIds.map((r) => r.id));
  const beforeById = new Map(before.map((r) => [r.id, r]));
  const live = new Map<string, QueuedMessage>();
  for (const m of msgs) {
    const id = m.body.deliveryId;
    // Already sent, failed, skipped or being sent: a duplicate message changes nothing.
    if (!claimedSet.has(id) || live.has(id)) verdicts.set(m.id, { action: 'ack' });
    else live.set(id, m);
  }
  if (live.size === 0) return;
  const rowById = new Map(
    [...live.keys()].map((id) => {
      const was = beforeById.get(id) as DeliveryRow;
      const claimed: DeliveryRow = {
        ...was,
        status: 'SENDING',
        attempts: was.attempts + 1,
        updatedAt: at,
        dueAt: at,
      };
      return [id, claimed];
    }),
  );

  const liveRows = [...live.keys()].map((id) => rowById.get(id) as DeliveryRow);
  const channelsHere = [...new Set(liveRows.map((r) => r.channel as Channel))];
  // Members, credentials and events depend only on the rows: one round of reads.
  const [userRows, credentialList, events] = await Promise.all([
    db
      .select()
      .from(users)
      .where(
        and(
          eq(users.tenantId, tenantId),
          inJson(users.id, [...new Set(liveRows.map((r) => r.userRowId))]),
        ),
      ),
    Promise.all(
      channelsHere.map((channel) => loadCredentials(db, deps.env.SECRETS_KEY, tenantId, channel)),
    ),
    loadEvents(
      db,
      tenantId,
      liveRows.map((r) => r.eventId),
    ),
  ]);
  const userById = new Map(userRows.map((u) => [u.id, u]));
  const credentials = new Map<Channel, IntegrationCredentials | null>(
    channelsHere.map((channel, i) => [channel, credentialList[i] ?? null]),
  );

  const now = Date.now();
  const finals: Final[] = [];
  const jobs: Job[] = [];
  for (const row of liveRows) {
    const msg = live.get(row.id) as QueuedMessage;
    const user = userById.get(row.userRowId);
    const channel = row.channel as Channel;
    const creds = credentials.get(channel);
    if (!user) {
      finals.push({ msg, row, user: null, reason: 'the member no longer exists' });
      continue;
    }
    // The same routing as at emit time: settings or bindings may have changed since.
    const routed = route(user, channel, {
      enabled: creds?.enabled ?? false,
      status: creds?.status ?? 'DISABLED',
      lastError: creds?.lastError ?? null,
      settings: creds?.settings ?? {},
    });
    if (routed.status === 'SKIPPED') {
      finals.push({ msg, row, user, reason: routed.reason ?? '' });
      continue;
    }
    const driver = DRIVERS[channel] as ChannelDriver;
    const steps = deps.gate.reserveSteps
      ? driver.paceSteps?.(user, creds?.settings ?? {})
      : undefined;
    if (steps) {
      // Times reserved before the message went back on the queue; RateGate keeps those still
      // valid (not past, not under a hold) and reserves the rest anew.
      const held = msg.body.slots;
      if (held && held.length === steps.length) {
        steps.forEach((step, i) => {
          step.at = held[i];
        });
      }
    }
    jobs.push({
      msg,
      row,
      user,
      channel,
      driver,
      paceKey: driver.paceKey(user),
      ...(steps ? { steps } : {}),
      // A slot the queue delivered us too late for is not ours any more.
      slotAt:
        !steps && msg.body.slotAt !== undefined && msg.body.slotAt + STALE_SLOT_MS >= now
          ? msg.body.slotAt
          : undefined,
    });
  }

  // Pacing: reserve a slot for each job that does not already hold one (channels at once).
  await Promise.all(
    [...new Set(jobs.map((j) => j.channel))].map(async (channel) => {
      const stepped = jobs.filter((j) => j.channel === channel && j.steps);
      if (stepped.length > 0 && deps.gate.reserveSteps) {
        const times = await deps.gate.reserveSteps(
          channel,
          tenantId,
          stepped.map((j) => j.steps as PaceStep[]),
        );
        stepped.forEach((j, i) => {
          j.slots = times[i] ?? [];
          j.slotAt = j.slots[j.slots.length - 1] ?? now;
        });
      }
      const need = jobs.filter((j) => j.channel === channel && !j.steps && j.slotAt === undefined);
      if (need.length === 0) return;
      const settings = credentials.get(channel)?.settings ?? {};
      const slots = await deps.gate.reserve(
        channel,
        tenantId,
        need.map((j) => ({ key: j.paceKey })),
        DRIVERS[channel]?.paceLimit?.(settings),
      );
      need.forEach((j, i) => {
        j.slotAt = slots[i] ?? now;
      });
    }),
  );
  const ready: Job[] = [];
  const deferred: Job[] = [];
  // A job with steps waits for its first call (conversations.open), the others for the send.
  const firstCall = (j: Job) => j.slots?.[0] ?? j.slotAt ?? now;
  for (const j of jobs) (firstCall(j) - now > MAX_INLINE_WAIT_MS ? deferred : ready).push(j);
  if (deferred.length > 0) {
    await defer(
      deps,
      tenantId,
      beforeById,
      deferred.map((j) => ({
        job: j,
        at: firstCall(j),
        ...(j.slots ? { slots: j.slots } : {}),
        // Stepped channels say which limit the delivery is queued behind.
        ...(j.steps ? { reason: waitingReason(j, now) } : {}),
      })),
      verdicts,
    );
  }
  // A shared allowance (LINE's monthly quota) is claimed before anything goes out; the jobs
  // past it end FAILED with the driver's reason, without a request.
  const claims = await claimQuotas(deps, tenantId, ready);
  const denied = new Set(claims.flatMap((c) => c.denied));
  const sending = ready.filter((j) => !denied.has(j));
  // SENDING goes out to subscribers while the sends run; it lands before the outcomes do.
  const publishedSending = deps.publish(
    tenantId,
    sending.map((j) => ({ ...j.row, userId: j.user.userId })),
  );
  const outcomes = await Promise.all(
    sending.map(async (job): Promise<Outcome> => {
      const event = events.get(job.row.eventId);
      if (!event)
        return {
          job,
          result: { kind: 'failed', scope: 'message', reason: 'the event was deleted' },
        };
      return {
        job,
        result: await send(
          deps,
          tenantId,
          job,
          credentials.get(job.channel) as IntegrationCredentials,
          event,
        ),
      };
    }),
  );

  await publishedSending;
  // Nothing was sent because a limit holds the call (a 429 elsewhere in the workspace): back on
  // the queue for after the hold, as a pacing wait rather than an attempt.
  const held = outcomes.filter(
    (o) => o.result.kind === 'retry' && o.result.deferUntil !== undefined,
  );
  if (held.length > 0) {
    await defer(
      deps,
      tenantId,
      beforeById,
      held.map(({ job, result }) => ({
        job,
        at: (result as { deferUntil: number }).deferUntil,
        reason: result.kind === 'retry' ? result.reason : '',
      })),
      verdicts,
    );
    await deps.publish(
      tenantId,
      held.map(({ job, result }) => ({
        ...(beforeById.get(job.row.id) as DeliveryRow),
        reason: result.kind === 'retry' ? result.reason : null,
        userId: job.user.userId,
      })),
    );
  }
  const refusals = claims.flatMap((c) =>
    c.denied.map(
      (job): Outcome => ({
        job,
        result: { kind: 'failed', scope: 'quota', reason: c.claim.reason },
      }),
    ),
  );
  await recordOutcomes(
    deps,
    tenantId,
    [...outcomes.filter((o) => !held.includes(o)), ...refusals],
    finals,
    verdicts,
  );
  await settleQuotas(deps, tenantId, claims, outcomes, credentials);
}

interface ChannelClaim {
  channel: Channel;
  quota: ChannelQuota;
  claim: QuotaClaim;
  denied: Job[];
}

function quotaContext(deps: DispatchDeps, tenantId: string): QuotaContext {
  return {
    db: deps.db,
    env: deps.env,
    tenantId,
    timeoutMs: deps.timeoutMs,
    gate: deps.gate,
    tokens: deps.tokens,
  };
}

async function claimQuotas(
  deps: DispatchDeps,
  tenantId: string,
  ready: readonly Job[],
): Promise<ChannelClaim[]> {
  const channels = [...new Set(ready.map((j) => j.channel))].filter((c) => DRIVERS[c]?.quota);
  return Promise.all(
    channels.map(async (channel) => {
      const quota = DRIVERS[channel]?.quota as ChannelQuota;
      const jobs = ready.filter((j) => j.channel === channel);
      const claim = await quota.claim(quotaContext(deps, tenantId), jobs.length);
      return { channel, quota, claim, denied: jobs.slice(Math.max(0, claim.granted)) };
    }),
  );
}

/**
 * After the outcomes are recorded: each claimed allowance learns what its sends did. A failure
 * here is logged and changes no delivery (their outcomes are already recorded).
 */
async function settleQuotas(
  deps: DispatchDeps,
  tenantId: string,
  claims: readonly ChannelClaim[],
  outcomes: readonly Outcome[],
  credentials: Map<Channel, IntegrationCredentials | null>,
) {
  await Promise.all(
    claims.map(async ({ channel, quota, claim }) => {
      const creds = credentials.get(channel);
      if (!creds) return;
      const results = outcomes.filter((o) => o.job.channel === channel).map((o) => o.result);
      try {
        await quota.settle(quotaContext(deps, tenantId), claim, results, creds);
      } catch (err) {
        createLogger({ job: 'dispatch', tenantId, channel }).error('quota settle failed', {
          error: (err as Error).message ?? String(err),
        });
      }
    }),
  );
}

/** Which limit a deferred job waits for, in admin words: its first paced call's. */
function waitingReason(job: Job, now: number): string {
  const first = job.slots?.[0] ?? now;
  const step = job.steps?.[0];
  return `queued behind ${step?.label ?? 'the rate limit'}: next slot at ${new Date(first).toISOString()}`;
}

/**
 * Puts jobs back on the queue for `at` without spending an attempt: the row returns to the state
 * it was claimed from (QUEUED or RETRYING), due at `at`, with `reason` when given; the copy on
 * the queue carries the reserved slots, and this message is done once it is there.
 */
async function defer(
  deps: DispatchDeps,
  tenantId: string,
  beforeById: Map<string, DeliveryRow>,
  items: { job: Job; at: number; slots?: number[]; reason?: string }[],
  verdicts: Map<string, Verdict>,
) {
  const { db } = deps;
  await db.batch(
    items.map(({ job, at, reason }) => {
      const was = beforeById.get(job.row.id) as DeliveryRow;
      return db
        .update(deliveries)
        .set({
          status: was.status,
          attempts: was.attempts,
          updatedAt: was.updatedAt,
          dueAt: new Date(at).toISOString(),
          ...(reason !== undefined ? { reason } : {}),
        })
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, job.row.id)));
    }) as [never, ...never[]],
  );
  await deps.requeue(
    items.map(({ job, at, slots }) => {
      const { slots: _old, ...body } = job.msg.body;
      return { body: slots ? { ...body, slots } : body, slotAt: at };
    }),
  );
  for (const { job } of items) verdicts.set(job.msg.id, { action: 'ack' });
}

async function loadEvents(db: Db, tenantId: string, ids: string[]) {
  const unique = [...new Set(ids)];
  const rows = unique.length
    ? await db
        .select()
        .from(workflowEvents)
        .where(and(eq(workflowEvents.tenantId, tenantId), inJson(workflowEvents.id, unique)))
    : [];
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * The decision buttons of one delivery: the event's actions, where decisions can reach WORKPLACE
 * and the channel can verify the click (DECISIONS.md); none otherwise (the link only).
 */
async function decisionButtons(
  deps: DispatchDeps,
  tenantId: string,
  job: Job,
  creds: IntegrationCredentials,
  event: typeof workflowEvents.$inferSelect,
): Promise<DecisionButton[]> {
  if (event.isTest || !deps.env.WORKPLACE_WEBHOOK_URL) return [];
  if (!job.driver.offersDecisions?.(creds)) return [];
  return Promise.all(
    eventActions(event).map(async (action) => ({
      action,
      value: await encodeButtonValue(deps.env.SECRETS_KEY, tenantId, job.row.id, action),
    })),
  );
}

/** What one member is told about an event, in their locale (no buttons: see decisionButtons). */
export function notificationOf(
  event: typeof workflowEvents.$inferSelect,
  user: UserRow,
): Notification {
  return {
    type: event.type as Notification['type'],
    locale: user.locale as Notification['locale'],
    documentId: event.documentId,
    title: event.title,
    url: event.url,
    actorName: event.actorName,
    comment: event.comment,
    test: event.isTest,
  };
}

async function send(
  deps: DispatchDeps,
  tenantId: string,
  job: Job,
  creds: IntegrationCredentials,
  event: typeof workflowEvents.$inferSelect,
): Promise<SendResult> {
  try {
    return await job.driver.send(
      { env: deps.env, tenantId, timeoutMs: deps.timeoutMs, gate: deps.gate, tokens: deps.tokens },
      {
        user: job.user,
        credentials: creds,
        message: {
          ...notificationOf(event, job.user),
          decisions: await decisionButtons(deps, tenantId, job, creds, event),
        },
        deliveryId: job.row.id,
        pace: () => untilSlot(job.slotAt),
        ...(job.slots ? { slots: job.slots } : {}),
      },
    );
  } catch (err) {
    // An adapter bug must not lose the delivery: retry, and the DLQ ends it if it persists.
    return { kind: 'retry', reason: `internal error: ${(err as Error).message ?? 'unknown'}` };
  }
}

async function recordOutcomes(
  deps: DispatchDeps,
  tenantId: string,
  outcomes: Outcome[],
  finals: Final[],
  verdicts: Map<string, Verdict>,
) {
  const { db } = deps;
  const now = new Date();
  const at = now.toISOString();
  const writes = [];
  const updates: DeliveryUpdate[] = [];
  const integrationFailures = new Map<Channel, string>();
  for (const { job, result } of outcomes) {
    let set: Partial<DeliveryRow>;
    if (result.kind === 'sent') {
      set = {
        status: 'SENT',
        providerMessageId: result.providerMessageId ?? null,
        sentAt: at,
        reason: null,
      };
      // Where the message lives (Slack channel + ts), to edit it when a decision comes back.
      if (result.learned?.messageTs) {
        set.messageChannel = result.learned.messageChannel ?? null;
        set.messageTs = result.learned.messageTs;
      }
      verdicts.set(job.msg.id, { action: 'ack' });
    } else if (result.kind === 'retry') {
      const delaySeconds = result.afterSeconds ?? backoffSeconds(job.row.attempts);
      set = {
        status: 'RETRYING',
        reason: result.reason,
        dueAt: new Date(now.getTime() + delaySeconds * 1000).toISOString(),
      };
      verdicts.set(job.msg.id, { action: 'retry', delaySeconds });
    } else {
      set = { status: 'FAILED', reason: result.reason };
      verdicts.set(job.msg.id, { action: 'ack' });
      if (result.scope === 'integration') integrationFailures.set(job.channel, result.reason);
    }
    set.updatedAt = at;
    writes.push(
      db
        .update(deliveries)
        .set(set)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, job.row.id))),
    );
    updates.push({ ...job.row, ...set, userId: job.user.userId });
    const userSet = job.driver.bindingChanges(job.user, result);
    if (userSet) {
      writes.push(
        db
          .update(users)
          .set(userSet)
          .where(and(eq(users.tenantId, tenantId), eq(users.id, job.user.id))),
      );
    }
  }
  for (const f of finals) {
    const set = { status: 'SKIPPED', reason: f.reason, updatedAt: at };
    writes.push(
      db
        .update(deliveries)
        .set(set)
        .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, f.row.id))),
    );
    updates.push({ ...f.row, ...set, userId: f.user?.userId ?? '' });
    verdicts.set(f.msg.id, { action: 'ack' });
  }
  if (writes.length > 0) await db.batch(writes as [never, ...never[]]);
  for (const [channel, reason] of integrationFailures) {
    await recordIntegrationHealth(db, tenantId, channel, { ok: false, error: reason });
  }
  await deps.publish(tenantId, updates);
}

/** Dead-letter consumer: a delivery out of retries ends FAILED with its last reason. */
export async function markGaveUp(
  deps: Pick<DispatchDeps, 'db' | 'publish'>,
  messages: readonly QueuedMessage[],
) {
  const { db } = deps;
  const at = new Date().toISOString();
  const byTenant = new Map<string, string[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m.body.deliveryId]);
  }
  for (const [tenantId, ids] of byTenant) {
    const failed = await db
      .update(deliveries)
      .set({
        status: 'FAILED',
        reason: sql`'gave up after ' || ${deliveries.attempts} || ' attempts: ' || coalesce(${deliveries.reason}, 'no reason recorded')`,
        updatedAt: at,
      })
      .where(
        and(
          eq(deliveries.tenantId, tenantId),
          inJson(deliveries.id, ids),
          inArray(deliveries.status, ['QUEUED', 'RETRYING', 'SENDING']),
        ),
      )
      .returning();
    if (failed.length === 0) continue;
    const members = await db
      .select({ id: users.id, userId: users.userId })
      .from(users)
      .where(
        and(
          eq(users.tenantId, tenantId),
          inJson(users.id, [...new Set(failed.map((f) => f.userRowId))]),
        ),
      );
    const userIdOf = new Map(members.map((m) => [m.id, m.userId]));
    await deps.publish(
      tenantId,
      failed.map((f) => ({ ...f, userId: userIdOf.get(f.userRowId) ?? '' })),
    );
  }
}
