/**
 * HELD deliveries going out: at the end of the member's quiet hours (back to QUEUED, in the
 * order they arrived, through the normal pacing) or at their digest time (folded into one
 * digest delivery per member and channel; each item becomes DIGESTED and points at it). Two
 * ways get them there: a delayed queue message sent when they were held (for holds within the
 * queue's 12-hour delay limit), and the cron sweep, which releases whatever is due whatever
 * happened to the message (lost, worker restarted, longer hold).
 */
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { DIGEST_ITEMS_IN_FULL } from '../../adapters/messages.ts';
import type { Channel, DigestContent, NotificationType } from '../../adapters/types.ts';
import { type Db, inJson, sameTenant } from '../../db/client.ts';
import { deliveries, users, workflowEvents } from '../../db/schema.ts';
import { newId } from '../ids.ts';
import type { DeliveryMessage, QueueMessage } from '../queue-messages.ts';

type DeliveryRow = typeof deliveries.$inferSelect;
type DeliveryUpdate = DeliveryRow & { userId: string };

/** Cloudflare Queues' longest delivery delay (12 h); longer holds wait for the sweep. */
export const MAX_QUEUE_DELAY_S = 43_200;
/** Rows the sweep releases per statement and rounds per run. */
const RELEASE_CHUNK = 500;
const RELEASE_ROUNDS = 20;
const QUEUE_BATCH = 100;

export interface ReleaseDeps {
  db: Db;
  queue: Queue<QueueMessage>;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
  /** The page listing a digest's items (digest-link.ts). */
  listUrl(tenantId: string, digestId: string): Promise<string>;
}

export interface HeldMessage {
  id: string;
  body: DeliveryMessage;
}

/** What the consumer does with a held message: send it now in this batch, or it is done. */
export interface HeldOutcome {
  /** Released to QUEUED: dispatch them with the rest of the batch, in arrival order. */
  release: HeldMessage[];
  /** Handled here (requeued for later, folded into a digest, or no longer held). */
  done: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

async function send(queue: Queue<QueueMessage>, messages: MessageSendRequest<QueueMessage>[]) {
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    await queue.sendBatch(messages.slice(i, i + QUEUE_BATCH));
  }
}

/**
 * Puts a wake-up message on the queue for each held delivery, due when its hold ends; holds
 * longer than the queue allows are left to the sweep.
 */
export async function enqueueHeld(
  queue: Queue<QueueMessage>,
  tenantId: string,
  rows: readonly { id: string; heldUntil: string | null }[],
  now: number,
) {
  const messages: MessageSendRequest<QueueMessage>[] = [];
  for (const r of rows) {
    if (!r.heldUntil) continue;
    const seconds = Math.max(0, Math.ceil((Date.parse(r.heldUntil) - now) / 1000));
    if (seconds > MAX_QUEUE_DELAY_S) continue;
    messages.push({ body: { tenantId, deliveryId: r.id, held: true }, delaySeconds: seconds });
  }
  await send(queue, messages);
}

async function userIdsOf(db: Db, tenantId: string, rowIds: readonly string[]) {
  const unique = [...new Set(rowIds)];
  const rows = unique.length
    ? await db
        .select({ id: users.id, userId: users.userId })
        .from(users)
        .where(and(sameTenant(users.tenantId, tenantId), inJson(users.id, unique)))
    : [];
  return new Map(rows.map((r) => [r.id, r.userId]));
}

async function publishRows(
  deps: Pick<ReleaseDeps, 'db' | 'publish'>,
  tenantId: string,
  rows: readonly DeliveryRow[],
) {
  if (rows.length === 0) return;
  const userIds = await userIdsOf(
    deps.db,
    tenantId,
    rows.map((r) => r.userRowId),
  );
  await deps.publish(
    tenantId,
    rows.map((r) => ({ ...r, userId: userIds.get(r.userRowId) ?? '' })),
  );
}

const byArrival = (a: DeliveryRow, b: DeliveryRow) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

/** HELD (quiet hours, or a lone digest item) → QUEUED, only rows still HELD; returns them. */
async function toQueued(db: Db, tenantId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const at = iso(Date.now());
  const rows = await db
    .update(deliveries)
    .set({ status: 'QUEUED', reason: null, updatedAt: at, dueAt: at })
    .where(
      and(
        sameTenant(deliveries.tenantId, tenantId),
        inJson(deliveries.id, [...ids]),
        eq(deliveries.status, 'HELD'),
      ),
    )
    .returning();
  return rows.sort(byArrival);
}

/**
 * Folds the member's due digest items on one channel into one digest delivery (QUEUED) in a
 * single D1 batch: the digest's event, the digest row and the items' DIGESTED all land together
 * or not at all. A lone item goes out as itself. Returns what changed, for the caller to
 * enqueue and publish.
 */
export async function buildDigest(
  deps: ReleaseDeps,
  tenantId: string,
  userRowId: string,
  channel: Channel,
  now: number,
): Promise<{ queued: DeliveryRow[]; digested: DeliveryRow[] }> {
  const { db } = deps;
  const due = await db
    .select({ id: deliveries.id, type: workflowEvents.type })
    .from(deliveries)
    .innerJoin(
      workflowEvents,
      and(eq(workflowEvents.tenantId, tenantId), eq(workflowEvents.id, deliveries.eventId)),
    )
    .where(
      and(
        eq(deliveries.tenantId, tenantId),
        eq(deliveries.userRowId, userRowId),
        eq(deliveries.channel, channel),
        eq(deliveries.status, 'HELD'),
        eq(deliveries.hold, 'DIGEST'),
        lte(deliveries.dueAt, iso(now)),
      ),
    )
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id));
  if (due.length === 0) return { queued: [], digested: [] };
  if (due.length === 1) {
    return { queued: await toQueued(db, tenantId, [due[0]?.id as string]), digested: [] };
  }
  const digestId = newId();
  const eventId = newId();
  const at = iso(Date.now());
  const url = await deps.listUrl(tenantId, digestId);
  const ids = JSON.stringify(due.map((d) => d.id));
  const d1 = db.$client;
  const results = await d1.batch([
    d1
      .prepare(
        `insert into workflow_events (id, tenant_id, idempotency_key, type, document_id, title, url, is_test, is_digest, created_at)
         values (?1, ?2, ?3, ?4, 'renkei-digest', ?5, ?6, 0, 1, ?7)`,
      )
      .bind(
        eventId,
        tenantId,
        `digest:${digestId}`,
        due[0]?.type as NotificationType,
        `Digest of ${due.length} notifications`,
        url,
        at,
      ),
    d1
      .prepare(
        `insert into deliveries (id, tenant_id, event_id, user_row_id, channel, status, attempts, created_at, updated_at, due_at, items)
         values (?1, ?2, ?3, ?4, ?5, 'QUEUED', 0, ?6, ?6, ?6, 0)`,
      )
      .bind(digestId, tenantId, eventId, userRowId, channel, at),
    // Only rows still HELD: a concurrent sweep or wake-up may have folded some already.
    d1
      .prepare(
        `update deliveries set status = 'DIGESTED', digest_id = ?1, reason = null, updated_at = ?2
         where tenant_id = ?3 and id in (select value from json_each(?4)) and status = 'HELD'
         returning *`,
      )
      .bind(digestId, at, tenantId, ids),
    d1
      .prepare(
        `update deliveries set items = (select count(*) from deliveries where tenant_id = ?1 and digest_id = ?2)
         where tenant_id = ?1 and id = ?2`,
      )
      .bind(tenantId, digestId),
    d1
      .prepare('delete from deliveries where tenant_id = ?1 and id = ?2 and items = 0')
      .bind(tenantId, digestId),
    d1
      .prepare(
        `delete from workflow_events where tenant_id = ?1 and id = ?2
         and not exists (select 1 from deliveries where tenant_id = ?1 and id = ?3)`,
      )
      .bind(tenantId, eventId, digestId),
    d1
      .prepare('select * from deliveries where tenant_id = ?1 and id = ?2')
      .bind(tenantId, digestId),
  ]);
  const digest = results[6]?.results[0] as Record<string, unknown> | undefined;
  if (!digest) return { queued: [], digested: [] };
  const items = (results[2]?.results ?? []) as Record<string, unknown>[];
  return { queued: [rowOf(digest)], digested: items.map(rowOf) };
}

/** A raw D1 row (snake_case) as drizzle's DeliveryRow. */
function rowOf(r: Record<string, unknown>): DeliveryRow {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    eventId: r.event_id as string,
    userRowId: r.user_row_id as string,
    channel: r.channel as string,
    status: r.status as string,
    attempts: Number(r.attempts),
    reason: (r.reason as string | null) ?? null,
    providerMessageId: (r.provider_message_id as string | null) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    sentAt: (r.sent_at as string | null) ?? null,
    dueAt: r.due_at as string,
    heldUntil: (r.held_until as string | null) ?? null,
    hold: (r.hold as string | null) ?? null,
    digestId: (r.digest_id as string | null) ?? null,
    items: Number(r.items),
    messageChannel: (r.message_channel as string | null) ?? null,
    messageTs: (r.message_ts as string | null) ?? null,
  };
}

/** Releases due held rows of one tenant: quiet holds to QUEUED, digests built. */
async function releaseRows(
  deps: ReleaseDeps,
  tenantId: string,
  rows: readonly DeliveryRow[],
  now: number,
): Promise<DeliveryRow[]> {
  const quiet = rows.filter((r) => r.hold !== 'DIGEST').map((r) => r.id);
  const queued = await toQueued(deps.db, tenantId, quiet);
  const groups = new Map<string, { userRowId: string; channel: Channel }>();
  for (const r of rows) {
    if (r.hold === 'DIGEST') {
      groups.set(`${r.userRowId}/${r.channel}`, {
        userRowId: r.userRowId,
        channel: r.channel as Channel,
      });
    }
  }
  const digested: DeliveryRow[] = [];
  const digests: DeliveryRow[] = [];
  for (const g of groups.values()) {
    const built = await buildDigest(deps, tenantId, g.userRowId, g.channel, now);
    digests.push(...built.queued);
    digested.push(...built.digested);
  }
  await publishRows(deps, tenantId, [...digested, ...queued, ...digests]);
  return [...queued, ...digests];
}

/**
 * The consumer's part for wake-up messages (`held: true`): due quiet holds come back QUEUED to
 * be dispatched in this batch, in arrival order; due digest items are folded and the digest is
 * enqueued; a message that came early goes back for the rest of the hold.
 */
export async function takeHeld(
  deps: ReleaseDeps,
  tenantId: string,
  messages: readonly HeldMessage[],
  now: number,
): Promise<HeldOutcome> {
  const ids = [...new Set(messages.map((m) => m.body.deliveryId))];
  const rows = await deps.db
    .select()
    .from(deliveries)
    .where(and(sameTenant(deliveries.tenantId, tenantId), inJson(deliveries.id, ids)));
  const held = new Map(rows.filter((r) => r.status === 'HELD').map((r) => [r.id, r]));
  const nowIso = iso(now);
  const due = [...held.values()].filter((r) => r.dueAt <= nowIso);
  const early = [...held.values()].filter((r) => r.dueAt > nowIso);
  await enqueueHeld(
    deps.queue,
    tenantId,
    early.map((r) => ({ id: r.id, heldUntil: r.dueAt })),
    now,
  );
  const quietIds = new Set(due.filter((r) => r.hold !== 'DIGEST').map((r) => r.id));
  const released = await releaseRows(deps, tenantId, due, now);
  const releasedIds = new Set(released.map((r) => r.id));
  const release: HeldMessage[] = [];
  const done: string[] = [];
  const firstFor = new Set<string>();
  for (const m of messages) {
    const id = m.body.deliveryId;
    if (quietIds.has(id) && releasedIds.has(id) && !firstFor.has(id)) {
      firstFor.add(id);
      const { held: _h, ...body } = m.body;
      release.push({ id: m.id, body });
    } else done.push(m.id);
  }
  // Digests built here go out through the queue like any new delivery.
  const digests = released.filter((r) => !quietIds.has(r.id));
  await send(
    deps.queue,
    digests.map((d) => ({ body: { tenantId, deliveryId: d.id } })),
  );
  const order = new Map(released.map((r, i) => [r.id, i]));
  release.sort((a, b) => (order.get(a.body.deliveryId) ?? 0) - (order.get(b.body.deliveryId) ?? 0));
  return { release, done };
}

/**
 * The consumer's entry for a batch: wake-up messages are taken out (each tenant's through
 * `takeHeld`); what comes back is the batch to dispatch (the other messages, then the released
 * ones in arrival order) and the ids of the wake-ups handled here, to ack.
 */
export async function wakeHeld(
  deps: ReleaseDeps,
  messages: readonly HeldMessage[],
  now: number,
): Promise<{ dispatch: HeldMessage[]; done: Set<string> }> {
  const woken = messages.filter((m) => m.body.held);
  const done = new Set<string>();
  if (woken.length === 0) return { dispatch: [...messages], done };
  const byTenant = new Map<string, HeldMessage[]>();
  for (const m of woken)
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m]);
  const released: HeldMessage[] = [];
  for (const [tenantId, items] of byTenant) {
    const out = await takeHeld(deps, tenantId, items, now);
    released.push(...out.release);
    for (const id of out.done) done.add(id);
  }
  return { dispatch: [...messages.filter((m) => !m.body.held), ...released], done };
}

/**
 * Cron: releases every HELD delivery whose hold has ended, on this shard, in chunks; the ones
 * released are enqueued in the order they arrived. Returns how many rows went out.
 */
export async function sweepHeld(deps: ReleaseDeps, now: number): Promise<{ released: number }> {
  let released = 0;
  for (let round = 0; round < RELEASE_ROUNDS; round++) {
    const due = await deps.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.status, 'HELD'), lte(deliveries.dueAt, iso(now))))
      .orderBy(asc(deliveries.dueAt), asc(deliveries.createdAt), asc(deliveries.id))
      .limit(RELEASE_CHUNK);
    const byTenant = new Map<string, DeliveryRow[]>();
    for (const r of due) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r]);
    for (const [tenantId, rows] of byTenant) {
      const out = await releaseRows(deps, tenantId, rows, now);
      await send(
        deps.queue,
        out.map((d) => ({ body: { tenantId, deliveryId: d.id } })),
      );
      released += out.length;
    }
    if (due.length < RELEASE_CHUNK) break;
  }
  return { released };
}

/** What a digest delivery lists: its items newest first (the first ten), and the count. */
export async function digestContents(
  db: Db,
  tenantId: string,
  digests: readonly { id: string; items: number; url: string }[],
): Promise<Map<string, DigestContent>> {
  const out = new Map<string, DigestContent>();
  for (const d of digests) {
    const rows = await db
      .select({
        type: workflowEvents.type,
        title: workflowEvents.title,
        url: workflowEvents.url,
        actorName: workflowEvents.actorName,
      })
      .from(deliveries)
      .innerJoin(
        workflowEvents,
        and(eq(workflowEvents.tenantId, tenantId), eq(workflowEvents.id, deliveries.eventId)),
      )
      .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.digestId, d.id)))
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(DIGEST_ITEMS_IN_FULL);
    out.set(d.id, {
      items: rows.map((r) => ({ ...r, type: r.type as NotificationType })),
      total: d.items,
      listUrl: d.url,
    });
  }
  return out;
}

/** Event types after which a document's pending digest items are of no use. */
export const CLOSING_TYPES: readonly NotificationType[] = [
  'WITHDRAWN',
  'REJECTED',
  'RETURNED',
  'COMPLETED',
];

/**
 * A closing event for `documentId` (WITHDRAWN, REJECTED, RETURNED, COMPLETED) takes the
 * document's earlier notifications still HELD for a digest out of it: SKIPPED with the reason.
 */
export async function pruneDigestItems(
  deps: Pick<ReleaseDeps, 'db' | 'publish'>,
  tenantId: string,
  documentId: string,
  closing: NotificationType,
  closingEventId: string,
) {
  const reason =
    closing === 'WITHDRAWN'
      ? 'left out of the digest: the document was withdrawn'
      : `left out of the digest: the document was closed (${closing})`;
  const at = iso(Date.now());
  const pruned = await deps.db
    .update(deliveries)
    .set({ status: 'SKIPPED', reason, updatedAt: at })
    .where(
      and(
        eq(deliveries.tenantId, tenantId),
        eq(deliveries.status, 'HELD'),
        eq(deliveries.hold, 'DIGEST'),
        inArray(
          deliveries.eventId,
          deps.db
            .select({ id: workflowEvents.id })
            .from(workflowEvents)
            .where(
              and(
                eq(workflowEvents.tenantId, tenantId),
                eq(workflowEvents.documentId, documentId),
                sql`${workflowEvents.id} <> ${closingEventId}`,
              ),
            ),
        ),
      ),
    )
    .returning();
  await publishRows(deps, tenantId, pruned);
  return pruned.length;
}
