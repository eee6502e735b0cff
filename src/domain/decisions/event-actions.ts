/**
 * An event's decision actions and whether they are still open (DECISIONS.md, "Open or closed"):
 * open until WORKPLACE emits a later event for the same document; a member's own accepted
 * decision closes it for them (decided elsewhere, see click.ts).
 */
import { and, desc, eq, gte, lte, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { workflowEvents } from '../../db/schema.ts';
import { DECISION_ACTIONS, type DecisionAction } from './store.ts';

type EventRow = typeof workflowEvents.$inferSelect;

/** The actions stored on an event (unknown words are dropped). */
export function eventActions(event: Pick<EventRow, 'actions'>): DecisionAction[] {
  try {
    const parsed = JSON.parse(event.actions) as unknown;
    return Array.isArray(parsed)
      ? DECISION_ACTIONS.filter((a) => (parsed as unknown[]).includes(a))
      : [];
  } catch {
    return [];
  }
}

/**
 * Whether a later event for the same document arrived (the actions are then closed). Two events
 * of one document recorded in the same millisecond have no order: each closes the other, so a
 * request and its withdrawal that arrive together leave nothing open.
 */
export async function isSuperseded(
  db: Db,
  event: Pick<EventRow, 'tenantId' | 'id' | 'documentId' | 'createdAt'>,
): Promise<boolean> {
  const later = await db
    .select({ id: workflowEvents.id })
    .from(workflowEvents)
    .where(
      and(
        eq(workflowEvents.tenantId, event.tenantId),
        eq(workflowEvents.documentId, event.documentId),
        gte(workflowEvents.createdAt, event.createdAt),
        ne(workflowEvents.id, event.id),
        eq(workflowEvents.isTest, false),
      ),
    )
    .limit(1);
  return later.length > 0;
}

/**
 * The event a new one closes: the document's previous event (or one of the same millisecond,
 * see isSuperseded), when it offered actions. Those before it were closed by it already.
 */
export async function eventClosedBy(db: Db, event: EventRow): Promise<EventRow | null> {
  const [previous] = await db
    .select()
    .from(workflowEvents)
    .where(
      and(
        eq(workflowEvents.tenantId, event.tenantId),
        eq(workflowEvents.documentId, event.documentId),
        lte(workflowEvents.createdAt, event.createdAt),
        eq(workflowEvents.isTest, false),
        ne(workflowEvents.id, event.id),
      ),
    )
    .orderBy(desc(workflowEvents.createdAt))
    .limit(1);
  return previous && eventActions(previous).length > 0 ? previous : null;
}
