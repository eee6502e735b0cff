/**
 * The delivery ledger: routing a workflow event into one delivery per recipient × channel,
 * enqueueing ids, reading deliveries back, retrying and sweeping (ARCHITECTURE.md, "The flow
 * of one notification").
 */
import { and, count, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Channel, DecisionAction, NotificationType } from '../adapters/types.ts';
import { type Db, inJson } from '../db/client.ts';
import { deliveries, integrations, users, workflowEvents } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { DRIVERS } from './channels/index.ts';
import { closeEarlierEvent } from './decisions/closing.ts';
import { InputError, type UserError } from './errors.ts';
import { newId } from './ids.ts';
import type { IntegrationKind, IntegrationStatus } from './integrations.ts';
import { pageOf } from './pagination.ts';
import type { DeliveryMessage, QueueMessage } from './queue-messages.ts';
import { CHANNELS, channelsFor } from './rules.ts';
import { sweepInChunks } from './sweep-chunks.ts';
import { findUsers, type UserRow } from './users.ts';

export type DeliveryStatus = 'QUEUED' | 'SENDING' | 'RETRYING' | 'SENT' | 'FAILED' | 'SKIPPED';
export type DeliveryRow = typeof deliveries.$inferSelect;
export type EventRow = typeof workflowEvents.$inferSelect;

/** A delivery as published to subscribers: the row plus the member's WORKPLACE id. */
export type DeliveryUpdate = DeliveryRow & { userId: string };

/** Where new and re-queued deliveries go, and who hears about status changes. */
export interface Outbox {
  queue: Queue<QueueMessage>;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
}

export const MAX_RECIPIENTS = 5000;
export const QUEUE_BATCH = 100;
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

interface Route {
  status: 'QUEUED' | 'SKIPPED';
  reason: string | null;
}

const CHANNEL_NAMES: Record<Channel, string> = {
  LINE_WORKS: 'LINE WORKS',
  SLACK: 'Slack',
  GOOGLE_CHAT: 'Google Chat',
  LINE: 'LINE',
};

interface IntegrationState {
  enabled: boolean;
  status: IntegrationStatus;
  lastError: string | null;
  /** Non-secret settings, for channels whose driver checks them (e.g. a LINE WORKS Bot ID). */
  settings?: Record<string, unknown>;
}

/** Whether one member can get a message on one channel now, and if not, why in admin words. */
export function route(user: UserRow, channel: Channel, integration: IntegrationState): Route {
  const name = CHANNEL_NAMES[channel];
  if (!integration.enabled) return { status: 'SKIPPED', reason: `${name} integration is disabled` };
  if (integration.status === 'ERROR') {
    return {
      status: 'SKIPPED',
      reason: `${name} integration in ERROR${integration.lastError ? `: ${integration.lastError}` : ''}`,
    };
  }
  const driver = DRIVERS[channel];
  if (!driver) return { status: 'SKIPPED', reason: `${name} delivery is not available yet` };
  const problem = driver.integrationProblem?.(integration.settings ?? {});
  if (problem) return { status: 'SKIPPED', reason: problem };
  const unreachable = driver.unreachable(user);
  if (unreachable) return { status: 'SKIPPED', reason: unreachable };
  return { status: 'QUEUED', reason: null };
}

async function integrationStates(db: Db, tenantId: string) {
  const rows = await db
    .select({
      kind: integrations.kind,
      enabled: integrations.enabled,
      status: integrations.status,
      lastError: integrations.lastError,
      settings: integrations.settings,
    })
    .from(integrations)
    .where(eq(integrations.tenantId, tenantId));
  const map = new Map<string, IntegrationState>();
  for (const r of rows) {
    map.set(r.kind, {
      enabled: r.enabled,
      status: r.status as IntegrationStatus,
      lastError: r.lastError,
      settings: JSON.parse(r.settings) as Record<string, unknown>,
    });
  }
  return (kind: IntegrationKind): IntegrationState =>
    map.get(kind) ?? { enabled: false, status: 'DISABLED', lastError: null };
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
    (id, tenant_id, event_id, user_row_id, channel, status, attempts, reason, created_at, updated_at, due_at)
    select json_extract(value, '$.id'), ?1, ?2, json_extract(value, '$.u'), json_extract(value, '$.c'),
      json_extract(value, '$.s'), 0, json_extract(value, '$.r'), ?3, ?3, ?3
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
  s: 'QUEUED' | 'SKIPPED';
  r: string | null;
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
    /** Whether decisions can reach WORKPLACE (WORKPLACE_WEBHOOK_URL is set): else no actions. */
    decisionsEnabled?: boolean;
  } = {},
): Promise<{ event: EventRow; duplicate: boolean; deliveries: DeliveryRow[] | null }> {
  const tenantId = principal.tenantId;
  const recipients = [...new Set(input.recipients)];
  // Independent reads go out together; a repeat still answers before anything is written.
  const [existing, members, ruleChannels, state] = await Promise.all([
    findEventByKey(db, tenantId, input.idempotencyKey),
    findUsers(db, tenantId, recipients),
    options.channels ? null : channelsFor(db, tenantId, input.type),
    integrationStates(db, tenantId),
  ]);
  if (existing) return { event: existing, duplicate: true, deliveries: null };

  if (members.length !== recipients.length) {
    const known = new Set(members.map((m) => m.userId));
    const errors: UserError[] = [];
    input.recipients.forEach((id, i) => {
      if (!known.has(id) && errors.length < 20) {
        errors.push({
          code: 'NOT_FOUND',
          message: `Unknown recipient "${id}" (sync it with upsertUsers first)`,
          field: ['input', 'recipients', String(i)],
        });
      }
    });
    throw new InputError(errors);
  }

  const channels = options.channels ?? [...(ruleChannels ?? [])];
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
      rows.push({ id: newId(), u: member.id, c: channel, s: r.status, r: r.reason });
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
    messageChannel: null,
    messageTs: null,
    dueAt: now,
  }));
  const byRow = new Map(members.map((m) => [m.id, m.userId]));
  await Promise.all([
    // v2: the document's previous event stops offering decisions (its Slack buttons go).
    closeEarlierEvent(db, outbox.queue, event),
    enqueue(
      outbox.queue,
      tenantId,
      created.filter((d) => d.status === 'QUEUED').map((d) => d.id),
    ),
    outbox.publish(
      tenantId,
      created.map((d) => ({ ...d, userId: byRow.get(d.userRowId) ?? '' })),
    ),
  ]);
  return { event, duplicate: false, deliveries: created };
}

/** Sends delivery ids to the queue in batches of ≤100 (the Queues batch limit). */
export async function enqueue(queue: Queue<DeliveryMessage>, tenantId: string, ids: string[]) {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < ids.length; i += QUEUE_BATCH) {
    sends.push(
      queue.sendBatch(
        ids.slice(i, i + QUEUE_BATCH).map((deliveryId) => ({ body: { tenantId, deliveryId } })),
      ),
    );
  }
  await Promise.all(sends);
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

export async function getDelivery(db: Db, tenantId: string, id: string) {
  return db.query.deliveries.findFirst({
    where: and(eq(deliveries.tenantId, tenantId), eq(deliveries.id, id)),
  });
}

export interface DeliveryFilter {
  eventId?: string | null;
  userRowId?: string | null;
  channel?: Channel | null;
  status?: DeliveryStatus | null;
}

/** Newest first, by (createdAt, id); filters narrow within the tenant. */
export async function listDeliveries(
  db: Db,
  tenantId: string,
  filter: DeliveryFilter,
  first: number,
  after: { at: string; id: string } | null,
) {
  const conds: SQL[] = [eq(deliveries.tenantId, tenantId)];
  if (filter.eventId) conds.push(eq(deliveries.eventId, filter.eventId));
  if (filter.userRowId) conds.push(eq(deliveries.userRowId, filter.userRowId));
  if (filter.channel) conds.push(eq(deliveries.channel, filter.channel));
  if (filter.status) conds.push(eq(deliveries.status, filter.status));
  const base = and(...conds);
  const cursor = after
    ? or(
        lt(deliveries.createdAt, after.at),
        and(eq(deliveries.createdAt, after.at), lt(deliveries.id, after.id)),
      )
    : undefined;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(deliveries)
      .where(cursor ? and(base, cursor) : base)
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(first + 1),
    db.select({ n: count() }).from(deliveries).where(base),
  ]);
  return pageOf(rows, first, total);
}

/** Puts a FAILED (or stuck RETRYING) delivery back on the queue. */
export async function retryDelivery(db: Db, outbox: Outbox, actor: Principal, id: string) {
  const row = await getDelivery(db, actor.tenantId, id);
  if (!row)
    throw new InputError([{ code: 'NOT_FOUND', message: 'No such delivery', field: ['id'] }]);
  if (row.status !== 'FAILED' && row.status !== 'RETRYING') {
    throw new InputError([
      {
        code: 'INVALID',
        message: `Only FAILED deliveries can be retried (this one is ${row.status})`,
        field: ['id'],
      },
    ]);
  }
  const now = new Date().toISOString();
  const [updated] = await db.batch([
    db
      .update(deliveries)
      .set({ status: 'QUEUED', reason: null, updatedAt: now, dueAt: now })
      .where(and(eq(deliveries.tenantId, actor.tenantId), eq(deliveries.id, id)))
      .returning(),
    auditStatement(
      db,
      { tenantId: actor.tenantId, actor: actor.subject, action: 'delivery.retry', target: id },
      now,
    ),
  ]);
  const fresh = updated[0] ?? row;
  await enqueue(outbox.queue, actor.tenantId, [id]);
  const user = await db.query.users.findFirst({
    where: and(eq(users.tenantId, actor.tenantId), eq(users.id, fresh.userRowId)),
  });
  await outbox.publish(actor.tenantId, [{ ...fresh, userId: user?.userId ?? '' }]);
  return fresh;
}

/**
 * Cron: re-enqueues deliveries whose next step is overdue by `stuckSeconds` (the worker died
 * between the D1 commit and the queue send, or mid-send). Bounded: it reads at most
 * SWEEP_CHUNK overdue rows per statement, and each UPDATE names one tenant and its row ids.
 */
export async function sweep(
  db: Db,
  queue: Queue<DeliveryMessage>,
  options: { stuckSeconds: number; now?: number; chunk?: number },
) {
  const now = options.now ?? Date.now();
  const overdue = new Date(now - options.stuckSeconds * 1000).toISOString();
  const stuckWhere = () =>
    and(
      inArray(deliveries.status, ['QUEUED', 'RETRYING', 'SENDING']),
      lt(deliveries.dueAt, overdue),
    );
  const requeued = await sweepInChunks(
    (limit) =>
      db
        .select({ id: deliveries.id, tenantId: deliveries.tenantId })
        .from(deliveries)
        .where(stuckWhere())
        .limit(limit),
    async (tenantId, ids) => {
      const stuck = await db
        .update(deliveries)
        .set({
          status: sql`case when ${deliveries.status} = 'SENDING' then 'RETRYING' else ${deliveries.status} end`,
          dueAt: new Date(now).toISOString(),
        })
        .where(and(eq(deliveries.tenantId, tenantId), inJson(deliveries.id, ids), stuckWhere()))
        .returning({ id: deliveries.id });
      await enqueue(
        queue,
        tenantId,
        stuck.map((r) => r.id),
      );
      return stuck.length;
    },
    options.chunk,
  );
  return { requeued };
}
