/**
 * A workflow event comes in: recorded once per (tenant, idempotencyKey), routed into one
 * delivery per recipient × channel (QUEUED, or SKIPPED with a reason), committed in one D1
 * batch, then the queued ids go to the queue (ARCHITECTURE.md, "The flow of one notification").
 */
import { and, eq } from 'drizzle-orm';
import type { Channel, DecisionAction, NotificationType } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { workflowEvents } from '../db/schema.ts';
import type { Principal } from './auth.ts';
import { closeEarlierEvent } from './decisions/closing.ts';
import type { DeliveryRow, EventRow, Outbox } from './deliveries.ts';
import { enqueue } from './enqueue.ts';
import { InputError, type UserError } from './errors.ts';
import { newId } from './ids.ts';
import {
  CLOSING_TYPES,
  decideHold,
  enqueueHeld,
  NO_PREFERENCES,
  preferencesByUserIds,
  pruneDigestItems,
} from './preferences/index.ts';
import { integrationStates, route } from './routing.ts';
import { CHANNELS, channelsFor } from './rules.ts';
import { findUsers } from './users.ts';

export const MAX_RECIPIENTS = 5000;
/** Rows per INSERT … SELECT FROM json_each(?) statement: one bound parameter each. */
const ROWS_PER_INSERT = 500;

export interface WorkflowEventInput {
  idempotencyKey: string;
  type: NotificationType;
  documentId: string;
  title: string;
  url: string;
  actorName?: string | null;
  comment?: string | null;
  recipients: string[];
  occurredAt?: string | null;
  /** v2: what recipients may decide from the chat (kept only where decisions can go). */
  actions?: readonly DecisionAction[] | null;
}

function isUniqueViolation(err: unknown): boolean {
  return String((err as Error)?.message ?? err).includes('UNIQUE constraint failed');
}

/**
 * Deliveries as bulk rows: one statement per ROWS_PER_INSERT, each with the rows as a single
 * JSON parameter (D1 allows 100 bound parameters per statement). Raw D1 statements, since
 * drizzle's batch cannot carry `insert … select`.
 */
function insertDeliveries(
  d1: D1Database,
  tenantId: string,
  eventId: string,
  rows: NewDelivery[],
  at: string,
) {
  const statement = d1.prepare(`insert into deliveries
    (id, tenant_id, event_id, user_row_id, channel, status, attempts, reason, created_at, updated_at, due_at, hold, held_until)
    select json_extract(value, '$.id'), ?1, ?2, json_extract(value, '$.u'), json_extract(value, '$.c'),
      json_extract(value, '$.s'), 0, json_extract(value, '$.r'), ?3, ?3,
      coalesce(json_extract(value, '$.hu'), ?3), json_extract(value, '$.h'), json_extract(value, '$.hu')
    from json_each(?4)`);
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    statements.push(
      statement.bind(tenantId, eventId, at, JSON.stringify(rows.slice(i, i + ROWS_PER_INSERT))),
    );
  }
  return statements;
}

function insertEvent(d1: D1Database, e: EventRow) {
  return d1
    .prepare(`insert into workflow_events
      (id, tenant_id, idempotency_key, type, document_id, title, url, actor_name, comment, occurred_at, is_test, actions, created_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(
      e.id,
      e.tenantId,
      e.idempotencyKey,
      e.type,
      e.documentId,
      e.title,
      e.url,
      e.actorName,
      e.comment,
      e.occurredAt,
      e.isTest ? 1 : 0,
      e.actions,
      e.createdAt,
    );
}

interface NewDelivery {
  id: string;
  u: string;
  c: Channel;
  s: 'QUEUED' | 'SKIPPED' | 'HELD';
  r: string | null;
  /** HELD: the hold (QUIET / DIGEST) and when it ends, which is also when the row is due. */
  h?: string;
  hu?: string;
}

/**
 * Records a workflow event and its deliveries once per (tenant, idempotencyKey), then sends
 * the queued ids to the queue. A repeat returns the first event with `duplicate: true`.
 */
export async function emitWorkflowEvent(
  db: Db,
  outbox: Outbox,
  principal: Principal,
  input: WorkflowEventInput,
  options: {
    channels?: readonly Channel[];
    isTest?: boolean;
    /** The preferences clock (quiet hours, digests); the real one when left out. */
    now?: number;
    /** Whether decisions can reach WORKPLACE (WORKPLACE_WEBHOOK_URL is set): else no actions. */
    decisionsEnabled?: boolean;
  } = {},
): Promise<{ event: EventRow; duplicate: boolean; deliveries: DeliveryRow[] | null }> {
  const tenantId = principal.tenantId;
  const recipients = [...new Set(input.recipients)];
  // Independent reads go out together; a repeat still answers before anything is written.
  const [existing, members, ruleChannels, state, preferences] = await Promise.all([
    findEventByKey(db, tenantId, input.idempotencyKey),
    findUsers(db, tenantId, recipients),
    options.channels ? null : channelsFor(db, tenantId, input.type),
    integrationStates(db, tenantId),
    // A test message is the member's own check of a channel: their preferences do not apply.
    options.isTest ? new Map() : preferencesByUserIds(db, tenantId, recipients),
  ]);
  const clock = options.now ?? Date.now();
  if (existing) return { event: existing, duplicate: true, deliveries: null };

  if (members.length !== recipients.length) {
    const known = new Set(members.map((m) => m.userId));
    const errors: UserError[] = [];
    input.recipients.forEach((id, i) => {
      if (!known.has(id) && errors.length < 20) {
        errors.push(unknownRecipient(id, ['input', 'recipients', String(i)]));
      }
    });
    throw new InputError(errors);
  }

  const channels = options.channels ?? [...(ruleChannels?.keys() ?? [])];
  const now = new Date().toISOString();
  const event: EventRow = {
    id: newId(),
    tenantId,
    idempotencyKey: input.idempotencyKey,
    type: input.type,
    documentId: input.documentId,
    title: input.title,
    url: input.url,
    actorName: input.actorName ?? null,
    comment: input.comment ?? null,
    occurredAt: input.occurredAt ?? null,
    isTest: options.isTest ?? false,
    isDigest: false,
    actions: JSON.stringify(
      options.decisionsEnabled && !options.isTest ? [...new Set(input.actions ?? [])] : [],
    ),
    createdAt: now,
  };
  const rows: NewDelivery[] = [];
  for (const member of members) {
    for (const channel of CHANNELS) {
      if (!channels.includes(channel)) continue;
      const integration = state(channel);
      // No rule or no integration: no row at all, as in the seed's 通知管理.
      if (!integration.enabled && !options.isTest) continue;
      const r = route(member, channel, integration);
      // The member's say (preferences/hold.ts): switched off, held for quiet hours or a digest.
      const rule = ruleChannels?.get(channel);
      const d =
        r.status === 'QUEUED' && rule
          ? decideHold(
              preferences.get(member.id) ?? NO_PREFERENCES,
              input.type,
              channel,
              rule,
              clock,
            )
          : null;
      if (d?.status === 'HELD') {
        const hu = new Date(d.heldUntil).toISOString();
        rows.push({ id: newId(), u: member.id, c: channel, s: 'HELD', r: d.reason, h: d.hold, hu });
      } else if (d?.status === 'SKIPPED') {
        rows.push({ id: newId(), u: member.id, c: channel, s: 'SKIPPED', r: d.reason });
      } else rows.push({ id: newId(), u: member.id, c: channel, s: r.status, r: r.reason });
    }
  }
  try {
    await db.$client.batch([
      insertEvent(db.$client, event),
      ...insertDeliveries(db.$client, tenantId, event.id, rows, now),
    ]);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const first = await findEventByKey(db, tenantId, input.idempotencyKey);
    if (!first) throw err;
    return { event: first, duplicate: true, deliveries: null };
  }
  const created: DeliveryRow[] = rows.map((r) => ({
    id: r.id,
    tenantId,
    eventId: event.id,
    userRowId: r.u,
    channel: r.c,
    status: r.s,
    attempts: 0,
    reason: r.r,
    providerMessageId: null,
    createdAt: now,
    updatedAt: now,
    sentAt: null,
    dueAt: r.hu ?? now,
    heldUntil: r.hu ?? null,
    hold: r.h ?? null,
    digestId: null,
    items: 1,
    messageChannel: null,
    messageTs: null,
  }));
  const byRow = new Map(members.map((m) => [m.id, m.userId]));
  if (CLOSING_TYPES.includes(input.type) && !options.isTest) {
    await pruneDigestItems(
      { db, publish: outbox.publish },
      tenantId,
      input.documentId,
      input.type,
      event.id,
    );
  }
  await Promise.all([
    // v2: the document's previous event stops offering decisions (its Slack buttons go).
    closeEarlierEvent(db, outbox.queue, event),
    enqueue(
      outbox.queue,
      tenantId,
      created.filter((d) => d.status === 'QUEUED').map((d) => d.id),
    ),
    enqueueHeld(
      outbox.queue,
      tenantId,
      created.filter((d) => d.status === 'HELD'),
      clock,
    ),
    outbox.publish(
      tenantId,
      created.map((d) => ({ ...d, userId: byRow.get(d.userRowId) ?? '' })),
    ),
  ]);
  return { event, duplicate: false, deliveries: created };
}

/** The error for a recipient that is no member of the tenant. */
export function unknownRecipient(userId: string, field: string[]): UserError {
  return {
    code: 'NOT_FOUND',
    message: `Unknown recipient "${userId}" (sync it with upsertUsers first)`,
    field,
  };
}

export async function findEventByKey(db: Db, tenantId: string, key: string) {
  return db.query.workflowEvents.findFirst({
    where: and(eq(workflowEvents.tenantId, tenantId), eq(workflowEvents.idempotencyKey, key)),
  });
}

export async function getEvent(db: Db, tenantId: string, id: string) {
  return db.query.workflowEvents.findFirst({
    where: and(eq(workflowEvents.tenantId, tenantId), eq(workflowEvents.id, id)),
  });
}
