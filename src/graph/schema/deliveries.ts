/** Workflow events in, deliveries out: emit, read, retry, test, and the status subscription. */
import { GraphQLError } from 'graphql';
import { filter, pipe } from 'graphql-yoga';
import { z } from 'zod';
import {
  type DeliveryRow,
  type DeliveryUpdate,
  type EventRow,
  emitWorkflowEvent,
  eventSummary,
  getDelivery,
  getEvent,
  listDeliveries,
  listEventDeliveries,
  recipientOf,
  retryDelivery,
} from '../../domain/deliveries.ts';
import { InputError, type UserError } from '../../domain/errors.ts';
import { fromGlobalId, newId, toGlobalId } from '../../domain/ids.ts';
import { decodeCursor, encodeCursor, pageSize } from '../../domain/pagination.ts';
import { reserveTestNotification } from '../../domain/test-notifications.ts';
import { ensureSelf, getUserByUserId } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { type Context, requireRole } from '../context.ts';
import { validate, withUserErrors } from '../validate.ts';
import {
  ChannelEnum,
  connection,
  connectionType,
  NodeRef,
  NotificationTypeEnum,
  UserErrorRef,
} from './common.ts';
import { registerNodeLoader } from './node.ts';
import { UserRef } from './users.ts';

const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: ['QUEUED', 'SENDING', 'RETRYING', 'SENT', 'FAILED', 'SKIPPED'] as const,
});

type Summary = {
  queued: number;
  sending: number;
  retrying: number;
  sent: number;
  failed: number;
  skipped: number;
};
const SummaryRef = builder.objectRef<Summary>('DeliverySummary').implement({
  fields: (t) => ({
    queued: t.exposeInt('queued'),
    sending: t.exposeInt('sending'),
    retrying: t.exposeInt('retrying'),
    sent: t.exposeInt('sent'),
    failed: t.exposeInt('failed'),
    skipped: t.exposeInt('skipped'),
  }),
});

export const WorkflowEventRef = builder.objectRef<EventRow>('WorkflowEvent');
export const DeliveryRef = builder.objectRef<DeliveryRow>('Delivery');
const DeliveryConnectionRef = connectionType('Delivery', DeliveryRef);

WorkflowEventRef.implement({
  interfaces: [NodeRef],
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'idempotencyKey' in v,
  fields: (t) => ({
    id: t.id({ resolve: (e) => toGlobalId('WorkflowEvent', e.id) }),
    idempotencyKey: t.exposeString('idempotencyKey'),
    type: t.field({ type: NotificationTypeEnum, resolve: (e) => e.type as never }),
    documentId: t.exposeString('documentId'),
    title: t.exposeString('title'),
    url: t.exposeString('url'),
    actorName: t.exposeString('actorName', { nullable: true }),
    comment: t.exposeString('comment', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    summary: t.field({
      type: SummaryRef,
      resolve: (e, _a, ctx) => eventSummary(ctx.db, e.tenantId, e.id),
    }),
    deliveries: t.field({
      type: DeliveryConnectionRef,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (e, args, ctx) => {
        const after = decodeCursor(args.after, ['id']);
        const page = await listEventDeliveries(
          ctx.db,
          e.tenantId,
          e.id,
          pageSize(args.first),
          after?.id ?? null,
        );
        return connection(page, (d) => encodeCursor({ id: d.id }), after != null);
      },
    }),
  }),
});

DeliveryRef.implement({
  interfaces: [NodeRef],
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'providerMessageId' in v,
  fields: (t) => ({
    id: t.id({ resolve: (d) => toGlobalId('Delivery', d.id) }),
    event: t.field({
      type: WorkflowEventRef,
      resolve: async (d, _a, ctx) => (await getEvent(ctx.db, d.tenantId, d.eventId)) as EventRow,
    }),
    user: t.field({
      type: UserRef,
      resolve: async (d, _a, ctx) => {
        const user = await recipientOf(ctx.db, d.tenantId, d.userRowId);
        if (!user) throw new GraphQLError('The member of this delivery no longer exists');
        return user;
      },
    }),
    channel: t.field({ type: ChannelEnum, resolve: (d) => d.channel as never }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status as never }),
    attempts: t.exposeInt('attempts'),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why SKIPPED or FAILED, in words an admin can act on',
    }),
    providerMessageId: t.exposeString('providerMessageId', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (d) => d.updatedAt }),
    sentAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.sentAt }),
  }),
});

/** A delivery the caller may see: admins and services any in the tenant, users their own. */
async function visibleDelivery(ctx: Context, rowId: string) {
  const p = requireRole(ctx, 'admin', 'user', 'service');
  const row = await getDelivery(ctx.db, p.tenantId, rowId);
  if (!row || p.role !== 'user') return row ?? null;
  const self = await getUserByUserId(ctx.db, p.tenantId, p.subject);
  return self && self.id === row.userRowId ? row : null;
}

registerNodeLoader('Delivery', visibleDelivery);
registerNodeLoader('WorkflowEvent', async (ctx, rowId) =>
  getEvent(ctx.db, requireRole(ctx, 'admin', 'service').tenantId, rowId),
);

function rowIdOf(
  id: string | null | undefined,
  type: 'WorkflowEvent' | 'Delivery',
  field: string[],
) {
  if (id == null) return null;
  const parsed = fromGlobalId(id);
  if (!parsed || parsed.type !== type) {
    throw new InputError([{ code: 'INVALID', message: `Not a ${type} id`, field }]);
  }
  return parsed.rowId;
}

const DeliveryFilterInput = builder.inputType('DeliveryFilter', {
  fields: (t) => ({
    eventId: t.id(),
    userId: t.string(),
    channel: t.field({ type: ChannelEnum }),
    status: t.field({ type: DeliveryStatusEnum }),
  }),
});

builder.queryField('deliveries', (t) =>
  t.field({
    type: DeliveryConnectionRef,
    description: 'Admin, service: all in the tenant; user: own. Newest first.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      filter: t.arg({ type: DeliveryFilterInput }),
    },
    resolve: async (_r, args, ctx) => {
      const p = requireRole(ctx, 'admin', 'user', 'service');
      const after = decodeCursor(args.after, ['at', 'id']);
      const f = args.filter ?? {};
      let userRowId: string | null = null;
      const userId = p.role === 'user' ? p.subject : f.userId;
      if (userId) {
        const user = await getUserByUserId(ctx.db, p.tenantId, userId);
        if (!user)
          return connection({ rows: [], hasNextPage: false, totalCount: 0 }, () => '', false);
        userRowId = user.id;
      }
      const page = await listDeliveries(
        ctx.db,
        p.tenantId,
        {
          eventId: rowIdOf(f.eventId, 'WorkflowEvent', ['filter', 'eventId']),
          userRowId,
          channel: f.channel ?? null,
          status: f.status ?? null,
        },
        pageSize(args.first),
        after,
      );
      return connection(page, (d) => encodeCursor({ at: d.createdAt, id: d.id }), after != null);
    },
  }),
);

builder.queryField('workflowEvent', (t) =>
  t.field({
    type: WorkflowEventRef,
    nullable: true,
    description: 'Admin, service.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const p = requireRole(ctx, 'admin', 'service');
      const parsed = fromGlobalId(args.id);
      if (parsed?.type !== 'WorkflowEvent') return null;
      return (await getEvent(ctx.db, p.tenantId, parsed.rowId)) ?? null;
    },
  }),
);

const WorkflowEventInput = builder.inputType('WorkflowEventInput', {
  fields: (t) => ({
    idempotencyKey: t.string({
      required: true,
      description: "WORKPLACE's own event id; a repeat returns the first event",
    }),
    type: t.field({ type: NotificationTypeEnum, required: true }),
    documentId: t.string({ required: true }),
    title: t.string({ required: true }),
    url: t.string({ required: true, description: 'https link back to the document in WORKPLACE' }),
    actorName: t.string(),
    comment: t.string(),
    recipients: t.stringList({ required: true, description: 'WORKPLACE user ids' }),
    occurredAt: t.field({ type: 'DateTime' }),
  }),
});

const nonEmpty = (label: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: `${label} is required`, abort: true })
    .max(max, `${label} is at most ${max} characters`);
const EventSchema = z.object({
  idempotencyKey: nonEmpty('idempotencyKey', 200),
  type: z.string(),
  documentId: nonEmpty('documentId', 200),
  title: nonEmpty('title', 500),
  url: z.url({ protocol: /^https$/, error: 'url must be an https URL' }).max(2048),
  actorName: z.string().trim().max(200).nullish(),
  comment: z.string().max(5000, 'comment is at most 5,000 characters').nullish(),
  recipients: z
    .array(nonEmpty('recipient', 200))
    .min(1, 'At least one recipient')
    .max(5000, 'At most 5,000 recipients per event'),
  occurredAt: z.string().nullish(),
});

const EmitPayload = builder
  .objectRef<{ event: EventRow | null; duplicate: boolean; errors: UserError[] }>(
    'EmitWorkflowEventPayload',
  )
  .implement({
    fields: (t) => ({
      event: t.field({ type: WorkflowEventRef, nullable: true, resolve: (p) => p.event }),
      duplicate: t.exposeBoolean('duplicate'),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('emitWorkflowEvent', (t) =>
  t.field({
    type: EmitPayload,
    description:
      'Service. Idempotent on idempotencyKey: a repeat returns the first event with duplicate: true.',
    args: { input: t.arg({ type: WorkflowEventInput, required: true }) },
    resolve: (_r, args, ctx) => {
      const service = requireRole(ctx, 'service');
      return withUserErrors(
        async () => {
          const input = await validate(EventSchema, args.input, ['input']);
          const r = await emitWorkflowEvent(ctx.db, ctx.outbox, service, {
            ...input,
            type: args.input.type,
          });
          return { event: r.event, duplicate: r.duplicate };
        },
        { event: null, duplicate: false },
      );
    },
  }),
);

const DeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: DeliveryRow | null; errors: UserError[] }>(name).implement({
    fields: (t) => ({
      delivery: t.field({ type: DeliveryRef, nullable: true, resolve: (p) => p.delivery }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('retryDelivery', (t) =>
  t.field({
    type: DeliveryPayload('RetryDeliveryPayload'),
    description: 'Admin. Puts a FAILED delivery back on the queue.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => {
      const admin = requireRole(ctx, 'admin');
      return withUserErrors(
        async () => {
          const rowId = rowIdOf(args.id, 'Delivery', ['id']) as string;
          return { delivery: await retryDelivery(ctx.db, ctx.outbox, admin, rowId) };
        },
        { delivery: null },
      );
    },
  }),
);

builder.mutationField('sendTestNotification', (t) =>
  t.field({
    type: DeliveryPayload('SendTestNotificationPayload'),
    description:
      'Admin: to anyone; user: to themselves. A localized test message through the same pipeline.',
    args: { channel: t.arg({ type: ChannelEnum, required: true }), userId: t.arg.string() },
    resolve: (_r, args, ctx) => {
      const p = requireRole(ctx, 'admin', 'user');
      return withUserErrors(
        async () => {
          if (p.role === 'user' && args.userId && args.userId !== p.subject) {
            throw new InputError([
              {
                code: 'INVALID',
                message: 'Members can only test their own bindings',
                field: ['userId'],
              },
            ]);
          }
          const target = args.userId ?? p.subject;
          if (!args.userId) await ensureSelf(ctx.db, p);
          await reserveTestNotification(ctx.db, p, args.channel, target);
          const r = await emitWorkflowEvent(
            ctx.db,
            ctx.outbox,
            p,
            {
              idempotencyKey: `test:${newId()}`,
              type: 'APPROVAL_REQUESTED',
              documentId: 'renkei-test',
              title: 'Renkei',
              url: new URL('/graphql', ctx.env.PUBLIC_BASE_URL).toString(),
              recipients: [target],
              actorName: p.subject,
            },
            { channels: [args.channel], isTest: true },
          );
          return { delivery: r.deliveries?.[0] ?? null };
        },
        { delivery: null },
      );
    },
  }),
);

builder.subscriptionType({});
builder.subscriptionField('deliveryUpdated', (t) =>
  t.field({
    type: DeliveryRef,
    description:
      "Every status change of a delivery in the caller's tenant (a user sees only their own).",
    args: { eventId: t.arg.id(), userId: t.arg.string() },
    subscribe: (_r, args, ctx) => {
      const p = requireRole(ctx, 'admin', 'user', 'service');
      if (!ctx.pubsub) {
        throw new GraphQLError(
          'Subscribe over SSE: send the request with Accept: text/event-stream',
        );
      }
      const eventRowId = args.eventId ? (fromGlobalId(args.eventId)?.rowId ?? '-') : null;
      const userId = p.role === 'user' ? p.subject : args.userId;
      return pipe(
        ctx.pubsub.subscribe('delivery'),
        filter(
          (u: DeliveryUpdate) =>
            u.tenantId === p.tenantId &&
            (!eventRowId || u.eventId === eventRowId) &&
            (!userId || u.userId === userId) &&
            (p.role !== 'user' || u.userId === p.subject),
        ),
      );
    },
    resolve: (u: DeliveryUpdate) => u,
  }),
);
