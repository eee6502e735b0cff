/**
 * Digest folding: a member's due digest items on one channel become one digest delivery; what
 * a digest lists; and closing events taking a document's pending items out of the digest.
 */
import { and, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { DIGEST_ITEMS_IN_FULL } from '../../adapters/messages.ts';
import type { Channel, DigestContent, NotificationType } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { deliveries, workflowEvents } from '../../db/schema.ts';
import { newId } from '../ids.ts';
import {
  type DeliveryRow,
  eventOfDelivery,
  iso,
  publishRows,
  type ReleaseDeps,
  toQueued,
} from './held-rows.ts';

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
    .innerJoin(workflowEvents, eventOfDelivery(tenantId))
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
      .innerJoin(workflowEvents, eventOfDelivery(tenantId))
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
