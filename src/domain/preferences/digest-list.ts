/** Everything a digest delivery carried, for the page behind its "and N more" link. */

import { and, desc, eq } from 'drizzle-orm';
import type { Locale, NotificationType } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { deliveries, users, workflowEvents } from '../../db/schema.ts';
import { eventOfDelivery } from './held-rows.ts';

/** The page lists at most this many (a digest rarely holds more). */
export const DIGEST_LIST_MAX = 500;

export interface DigestListing {
  locale: Locale;
  total: number;
  items: { type: NotificationType; title: string; url: string; createdAt: string }[];
}

/** The digest's items newest first, in its member's locale; null when there is no such digest. */
export async function digestListing(
  db: Db,
  tenantId: string,
  digestId: string,
): Promise<DigestListing | null> {
  const [digest, items] = await db.batch([
    db
      .select({ items: deliveries.items, locale: users.locale })
      .from(deliveries)
      .innerJoin(users, and(eq(users.tenantId, tenantId), eq(users.id, deliveries.userRowId)))
      .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, digestId))),
    db
      .select({
        type: workflowEvents.type,
        title: workflowEvents.title,
        url: workflowEvents.url,
        createdAt: deliveries.createdAt,
      })
      .from(deliveries)
      .innerJoin(workflowEvents, eventOfDelivery(tenantId))
      .where(and(eq(deliveries.tenantId, tenantId), eq(deliveries.digestId, digestId)))
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(DIGEST_LIST_MAX),
  ]);
  const head = digest[0];
  if (!head) return null;
  return {
    locale: head.locale as Locale,
    total: head.items,
    items: items.map((i) => ({ ...i, type: i.type as NotificationType })),
  };
}
