/**
 * The decision ledger (DECISIONS.md): a member's answer from the chat, recorded once per
 * (event, member), read back by the graph, and put on the queue for forwarding to WORKPLACE.
 */
import { and, count, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { Channel } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { decisions, workflowEvents } from '../../db/schema.ts';
import { type EventPage, pagesByEvent } from '../batched-reads.ts';
import { sendMessages } from '../enqueue.ts';
import { newId } from '../ids.ts';
import { pageOf } from '../pagination.ts';
import type { DecisionMessage } from '../queue-messages.ts';

export type DecisionAction = 'APPROVE' | 'REJECT' | 'RETURN';
export const DECISION_ACTIONS: readonly DecisionAction[] = ['APPROVE', 'REJECT', 'RETURN'];
export type DecisionStatus = 'PENDING' | 'ACCEPTED' | 'REFUSED' | 'FAILED';
export const DECISION_STATUSES: readonly DecisionStatus[] = [
  'PENDING',
  'ACCEPTED',
  'REFUSED',
  'FAILED',
];
export type DecisionRow = typeof decisions.$inferSelect;

/** The longest comment kept (a Slack modal's text field allows 3,000 characters). */
export const MAX_COMMENT_LENGTH = 3000;

export interface DecisionInput {
  tenantId: string;
  eventId: string;
  /** The deciding member's row id (`users.id`). */
  userRowId: string;
  /** The delivery whose button was clicked, when known. */
  deliveryId?: string | null;
  action: DecisionAction;
  /** Where the member clicked. */
  channel: Channel;
  comment?: string | null;
}

/**
 * Records a member's decision unless they already decided on that event: the first one wins.
 * Returns the row that holds (the new one, `created: true`, or the earlier one). The caller
 * enqueues a new row with `enqueueDecision`; until then the sweeper would pick it up late.
 */
export async function recordDecision(
  db: Db,
  input: DecisionInput,
  at = new Date().toISOString(),
): Promise<{ decision: DecisionRow; created: boolean }> {
  const comment = input.comment?.trim() ? input.comment.trim().slice(0, MAX_COMMENT_LENGTH) : null;
  const inserted = await db
    .insert(decisions)
    .values({
      id: newId(),
      tenantId: input.tenantId,
      eventId: input.eventId,
      userRowId: input.userRowId,
      deliveryId: input.deliveryId ?? null,
      action: input.action,
      channel: input.channel,
      comment,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: at,
      decidedAt: at,
      updatedAt: at,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return { decision: inserted[0], created: true };
  const existing = await findDecision(db, input.tenantId, input.eventId, input.userRowId);
  if (!existing) throw new Error('decision neither inserted nor found');
  return { decision: existing, created: false };
}

/** One decision of the tenant by its row id. */
export async function getDecision(db: Db, tenantId: string, id: string) {
  return db.query.decisions.findFirst({
    where: and(eq(decisions.tenantId, tenantId), eq(decisions.id, id)),
  });
}

/** The member's decision on one event, if they made one. */
export async function findDecision(db: Db, tenantId: string, eventId: string, userRowId: string) {
  return db.query.decisions.findFirst({
    where: and(
      eq(decisions.tenantId, tenantId),
      eq(decisions.eventId, eventId),
      eq(decisions.userRowId, userRowId),
    ),
  });
}

export interface DecisionFilter {
  eventId?: string | null;
  /** WORKPLACE's document id: decisions on any event of that document. */
  documentId?: string | null;
  userRowId?: string | null;
  status?: DecisionStatus | null;
}

export interface DecisionPage {
  first: number;
  /** The (decidedAt, id) of the last row seen. */
  after: { at: string; id: string } | null;
}

/** Newest first, by (decidedAt, id); filters narrow within the tenant. */
export async function listDecisions(
  db: Db,
  tenantId: string,
  filter: DecisionFilter,
  page: DecisionPage,
) {
  const conds: SQL[] = [eq(decisions.tenantId, tenantId)];
  if (filter.eventId) conds.push(eq(decisions.eventId, filter.eventId));
  if (filter.userRowId) conds.push(eq(decisions.userRowId, filter.userRowId));
  if (filter.status) conds.push(eq(decisions.status, filter.status));
  if (filter.documentId) {
    conds.push(
      inArray(
        decisions.eventId,
        db
          .select({ id: workflowEvents.id })
          .from(workflowEvents)
          .where(
            and(
              eq(workflowEvents.tenantId, tenantId),
              eq(workflowEvents.documentId, filter.documentId),
            ),
          ),
      ),
    );
  }
  const base = and(...conds);
  const { after, first } = page;
  const cursor = after
    ? or(
        lt(decisions.decidedAt, after.at),
        and(eq(decisions.decidedAt, after.at), lt(decisions.id, after.id)),
      )
    : undefined;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(decisions)
      .where(cursor ? and(base, cursor) : base)
      .orderBy(desc(decisions.decidedAt), desc(decisions.id))
      .limit(first + 1),
    db.select({ n: count() }).from(decisions).where(base),
  ]);
  return pageOf(rows, first, total);
}

/** Puts one decision on the queue for forwarding (`delaySeconds` for a retry later on). */
export async function enqueueDecision(
  queue: Queue,
  tenantId: string,
  decisionId: string,
  delaySeconds?: number,
) {
  const body: DecisionMessage = { kind: 'decision', tenantId, decisionId };
  await sendMessages(queue, [delaySeconds ? { body, delaySeconds } : { body }]);
}

export type EventDecisionsPage = EventPage<DecisionRow>;

/**
 * WorkflowEvent.decisions: the first `first` decisions (by id, after `afterId`) of each event,
 * with each event's total, in one statement; with `userRowId`, that member's decision only.
 */
export function decisionsByEvent(
  db: Db,
  tenantId: string,
  eventIds: readonly string[],
  opts: { first: number; afterId: string | null; userRowId: string | null },
) {
  return pagesByEvent(db, decisions, tenantId, eventIds, opts);
}
