/**
 * HELD deliveries going out: at the end of the member's quiet hours (back to QUEUED, in the
 * order they arrived, through the normal pacing) or at their digest time (folded into one
 * digest delivery per member and channel: digest-fold.ts). Two ways get them there: a delayed
 * queue message sent when they were held (for holds within the queue's 12-hour delay limit),
 * and the cron sweep, which releases whatever is due whatever happened to the message (lost,
 * worker restarted, longer hold).
 */
import { and, asc, eq, lte } from 'drizzle-orm';
import type { Channel } from '../../adapters/types.ts';
import { inJson, sameTenant } from '../../db/client.ts';
import { deliveries } from '../../db/schema.ts';
import { sendMessages } from '../enqueue.ts';
import type { DeliveryMessage, QueueMessage } from '../queue-messages.ts';
import { buildDigest } from './digest-fold.ts';
import { type DeliveryRow, iso, publishRows, type ReleaseDeps, toQueued } from './held-rows.ts';

export type { ReleaseDeps } from './held-rows.ts';

/** Cloudflare Queues' longest delivery delay (12 h); longer holds wait for the sweep. */
export const MAX_QUEUE_DELAY_S = 43_200;
/** Rows the sweep releases per statement and rounds per run. */
const RELEASE_CHUNK = 500;
const RELEASE_ROUNDS = 20;

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
  await sendMessages(queue, messages);
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
  await sendMessages(
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
      await sendMessages(
        deps.queue,
        out.map((d) => ({ body: { tenantId, deliveryId: d.id } })),
      );
      released += out.length;
    }
    if (due.length < RELEASE_CHUNK) break;
  }
  return { released };
}
