/**
 * Workflow events and deliveries read: the types, the queries and the status subscription. The
 * mutations: workflow-events.ts (emit) and delivery-mutations.ts (retry, test).
 */
import { GraphQLError } from 'graphql';
import { filter, pipe } from 'graphql-yoga';
import type { Principal } from '../../domain/auth.ts';
import type { Summary } from '../../domain/batched-reads.ts';
import { eventActions, isSuperseded } from '../../domain/decisions/event-actions.ts';
import {
  type DeliveryRow,
  type DeliveryUpdate,
  type EventRow,
  getDelivery,
  listDeliveries,
} from '../../domain/deliveries.ts';
import { InputError } from '../../domain/errors.ts';
import { fromGlobalId, toGlobalId } from '../../domain/ids.ts';
import {
  decodeCursor,
  encodeCursor,
  MAX_NESTED_PAGE,
  nestedPageSize,
  pageSize,
} from '../../domain/pagination.ts';
import { getEvent } from '../../domain/workflow-events.ts';
import { builder, memberRow } from '../builder.ts';
import { type Context, readerRowId } from '../context.ts';
import { forgetReads } from '../loaders.ts';
import {
  ChannelEnum,
  connection,
  connectionType,
  DecisionActionEnum,
  NodeRef,
  NotificationTypeEnum,
} from './common.ts';
import { registerNodeLoader } from './node.ts';
import { UserRef } from './users.ts';

const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    QUEUED: {},
    SENDING: {},
    RETRYING: {},
    SENT: {},
    FAILED: {},
    SKIPPED: {},
    HELD: { description: "Waiting for the member's quiet hours to end or their digest time" },
    DIGESTED: { description: 'Folded into a digest delivery (see Delivery.digest)' },
  } as const,
});

const SummaryRef = builder.objectRef<Summary>('DeliverySummary').implement({
  // Counted for the reader: WorkflowEvent.summary narrows a user's counts to their own rows.
  authScopes: { signedIn: true },
  fields: (t) => ({
    queued: t.exposeInt('queued'),
    sending: t.exposeInt('sending'),
    retrying: t.exposeInt('retrying'),
    sent: t.exposeInt('sent'),
    failed: t.exposeInt('failed'),
    skipped: t.exposeInt('skipped'),
    held: t.exposeInt('held', { description: "Waiting for quiet hours' end or a digest" }),
    digested: t.exposeInt('digested', { description: 'Folded into a digest delivery' }),
  }),
});

export const WorkflowEventRef = builder.objectRef<EventRow>('WorkflowEvent');
export const DeliveryRef = builder.objectRef<DeliveryRow>('Delivery');
const DeliveryConnectionRef = connectionType('Delivery', DeliveryRef);

WorkflowEventRef.implement({
  interfaces: [NodeRef],
  // A member reads an event only through one of their own deliveries (Delivery.event grants).
  authScopes: { admin: true, service: true, $granted: 'recipient' },
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
    actions: t.field({
      type: [DecisionActionEnum],
      description: 'What recipients may decide from the chat',
      resolve: (e) => eventActions(e),
    }),
    open: t.boolean({
      description: 'False once a later event for the document arrived',
      resolve: async (e, _a, ctx) => !(await isSuperseded(ctx.db, e)),
    }),
    summary: t.field({
      type: SummaryRef,
      description: 'Counts by status; a user counts their own deliveries only',
      resolve: async (e, _a, ctx) =>
        ctx.loaders.summary.load({ eventId: e.id, userRowId: await readerRowId(ctx) }),
    }),
    deliveries: t.field({
      type: DeliveryConnectionRef,
      description: 'In creation order, `first` at most 20; a user sees their own only',
      args: { first: t.arg.int(), after: t.arg.string() },
      extensions: { maxPage: MAX_NESTED_PAGE },
      resolve: async (e, args, ctx) => {
        const after = decodeCursor(args.after, ['id']);
        const page = await ctx.loaders.eventDeliveries.load({
          eventId: e.id,
          first: nestedPageSize(args.first),
          afterId: after?.id ?? null,
          userRowId: await readerRowId(ctx),
        });
        return connection(page, (d) => encodeCursor({ id: d.id }), after != null);
      },
    }),
  }),
});

DeliveryRef.implement({
  interfaces: [NodeRef],
  authScopes: (d) => memberRow(d.userRowId),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'providerMessageId' in v,
  fields: (t) => ({
    id: t.id({ resolve: (d) => toGlobalId('Delivery', d.id) }),
    event: t.field({
      type: WorkflowEventRef,
      grantScopes: ['recipient'],
      resolve: async (d, _a, ctx) => (await ctx.loaders.event.load(d.eventId)) as EventRow,
    }),
    user: t.field({
      type: UserRef,
      resolve: async (d, _a, ctx) => {
        const user = await ctx.loaders.userByRowId.load(d.userRowId);
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
    heldUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a HELD delivery goes out',
      resolve: (d) => (d.status === 'HELD' ? d.heldUntil : null),
    }),
    digest: t.field({
      type: DeliveryRef,
      nullable: true,
      description: 'The digest delivery a DIGESTED one went out in',
      resolve: async (d, _a, ctx) =>
        d.digestId ? ((await getDelivery(ctx.db, d.tenantId, d.digestId)) ?? null) : null,
    }),
    items: t.exposeInt('items', {
      description: "How many notifications this delivery carries (1, or a digest's count)",
    }),
  }),
});

registerNodeLoader('Delivery', (ctx, tenantId, rowId) => getDelivery(ctx.db, tenantId, rowId));
registerNodeLoader('WorkflowEvent', (ctx, tenantId, rowId) => getEvent(ctx.db, tenantId, rowId));

/** The row id of a global id of `type`, or an INVALID input error on `field`. */
export function rowIdOf(
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

const NO_DELIVERIES = connection<DeliveryRow>(
  { rows: [], hasNextPage: false, totalCount: 0 },
  () => '',
  false,
);

builder.queryField('deliveries', (t) =>
  t.authField({
    type: DeliveryConnectionRef,
    description:
      "Admin: all in the tenant; user: own (the contract). A service reads an event's deliveries through `workflowEvent`. Newest first, `first` at most 100.",
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      filter: t.arg({ type: DeliveryFilterInput }),
    },
    authScopes: { admin: true, user: true },
    resolve: async (_r, args, ctx) => {
      const p = ctx.principal;
      const after = decodeCursor(args.after, ['at', 'id']);
      const f = args.filter ?? {};
      let userRowId: string | null = null;
      if (p.role === 'user' && f.userId && f.userId !== p.subject) return NO_DELIVERIES;
      const userId = p.role === 'user' ? p.subject : f.userId;
      if (userId) {
        const user = await ctx.loaders.userByUserId.load(userId);
        if (!user) return NO_DELIVERIES;
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
  t.authField({
    type: WorkflowEventRef,
    nullable: true,
    description: 'Admin, service.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true, service: true },
    resolve: async (_r, args, ctx) => {
      const p = ctx.principal;
      const parsed = fromGlobalId(args.id);
      if (parsed?.type !== 'WorkflowEvent') return null;
      return (await getEvent(ctx.db, p.tenantId, parsed.rowId)) ?? null;
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
    authScopes: { admin: true, user: true, service: true },
    subscribe: (_r, args, ctx) => {
      // authorizeOnSubscribe: the scopes above were checked before this runs.
      const p = ctx.principal as Principal;
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
    // Each update is read afresh: the loaders of a long subscription must not serve old rows.
    resolve: (u: DeliveryUpdate, _a: unknown, ctx: Context) => {
      forgetReads(ctx.loaders);
      return u;
    },
  }),
);
