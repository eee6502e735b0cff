/** Reads of `binding_discoveries`: a run as the domain and the graph see it. */
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { bindingDiscoveries } from '../../db/schema.ts';

export type DiscoveryChannel = 'SLACK' | 'LINE_WORKS';
export type DiscoveryStrategy = 'LOOKUP' | 'DIRECTORY';
export type DiscoveryStatus = 'RUNNING' | 'DONE' | 'FAILED';

export type DiscoveryRow = Omit<
  typeof bindingDiscoveries.$inferSelect,
  'channel' | 'status' | 'strategy'
> & { channel: DiscoveryChannel; status: DiscoveryStatus; strategy: DiscoveryStrategy };

/**
 * Accounts per directory page: Slack `users.list` `limit` (≤ 200 recommended), LINE WORKS
 * `GET /users` `count` (≤ 100). PROVIDERS.md, v2 facts.
 */
export const DIRECTORY_PAGE_SIZE: Readonly<Record<DiscoveryChannel, number>> = {
  SLACK: 200,
  LINE_WORKS: 100,
};

const asRow = (r: typeof bindingDiscoveries.$inferSelect | undefined) =>
  (r ?? null) as DiscoveryRow | null;

export async function readDiscovery(db: Db, tenantId: string, id: string) {
  return asRow(
    await db.query.bindingDiscoveries.findFirst({
      where: and(eq(bindingDiscoveries.tenantId, tenantId), eq(bindingDiscoveries.id, id)),
    }),
  );
}

/** The run in progress for the tenant and channel, if any (there is at most one). */
export async function runningDiscovery(db: Db, tenantId: string, channel: DiscoveryChannel) {
  return asRow(
    await db.query.bindingDiscoveries.findFirst({
      where: and(
        eq(bindingDiscoveries.tenantId, tenantId),
        eq(bindingDiscoveries.channel, channel),
        eq(bindingDiscoveries.status, 'RUNNING'),
      ),
    }),
  );
}

/** The latest run for the tenant and channel (contract: `bindingDiscovery(channel:)`). */
export async function latestDiscovery(db: Db, tenantId: string, channel: string) {
  return asRow(
    await db.query.bindingDiscoveries.findFirst({
      where: and(
        eq(bindingDiscoveries.tenantId, tenantId),
        eq(bindingDiscoveries.channel, channel),
      ),
      orderBy: [desc(bindingDiscoveries.startedAt), desc(bindingDiscoveries.id)],
    }),
  );
}
