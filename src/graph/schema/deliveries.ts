/** Workflow events in, deliveries out: emit, read, retry, test, and the status subscription. */
import { GraphQLError } from 'graphql';
import { filter, pipe } from 'graphql-yoga';
import * as z from 'zod/mini';
import type { Principal } from '../../domain/auth.ts';
import type { Summary } from '../../domain/batched-reads.ts';
import { eventActions, isSuperseded } from '../../domain/decisions/event-actions.ts';
import {
  type DeliveryRow,
  type DeliveryUpdate,
  type EventRow,
  getDelivery,
  listDeliveries,
  retryDelivery,
} from '../../domain/deliveries.ts';
import { InputError, type UserError } from '../../domain/errors.ts';
import { fromGlobalId, newId, toGlobalId } from '../../domain/ids.ts';
import {
  decodeCursor,
  encodeCursor,
  MAX_NESTED_PAGE,
  nestedPageSize,
  pageSize,
} from '../../domain/pagination.ts';
import { preferenceNow } from '../../domain/preferences/index.ts';
import { reserveTestNotification } from '../../domain/test-notifications.ts';
import { ensureSelf } from '../../domain/users.ts';
import { emitWorkflowEvent, getEvent } from '../../domain/workflow-events.ts';
import { builder, memberRow } from '../builder.ts';
import { type Context, readerRowId } from '../context.ts';
import { forgetReads } from '../loaders.ts';
import { validate, withUserErrors } from '../validate.ts';
import {
  ChannelEnum,
  connection,
  connectionType,
  DecisionActionEnum,
  NodeRef,
  NotificationTypeEnum,
  UserErrorRef,
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

const NO_DELIVERIES = connection<DeliveryRow>(
  { rows: [], hasNextPage: false, totalCount: 0 },
  () => '',
  false,
);

builder.queryField('deliveries', (t) =>
  t.authField({
    type: DeliveryConnectionRef,
    description: 'Admin, service: all in the tenant; user: own. Newest first, `first` at most 100.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      filter: t.arg({ type: DeliveryFilterInput }),
    },
    authScopes: { admin: true, user: true, service: true },
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
    actions: t.field({
      type: [DecisionActionEnum],
      description:
        'Offered to every recipient in Slack, LINE and LINE WORKS (none without WORKPLACE_WEBHOOK_URL)',
    }),
  }),
});

const nonEmpty = (label: string, max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, { message: `${label} is required`, abort: true }),
      z.maxLength(max, `${label} is at most ${max} characters`),
    );
const EventSchema = z.object({
  idempotencyKey: nonEmpty('idempotencyKey', 200),
  type: z.string(),
  documentId: nonEmpty('documentId', 200),
  title: nonEmpty('title', 500),
  url: z.url({ protocol: /^https$/, error: 'url must be an https URL' }).check(z.maxLength(2048)),
  actorName: z.nullish(z.string().check(z.trim(), z.maxLength(200))),
  comment: z.nullish(z.string().check(z.maxLength(5000, 'comment is at most 5,000 characters'))),
  recipients: z
    .array(nonEmpty('recipient', 200))
    .check(
      z.minLength(1, 'At least one recipient'),
      z.maxLength(5000, 'At most 5,000 recipients per event'),
    ),
  occurredAt: z.nullish(z.string()),
  actions: z.nullish(z.array(z.enum(['APPROVE', 'REJECT', 'RETURN'])).check(z.maxLength(3))),
});

const EmitPayload = builder
  .objectRef<{ event: EventRow | null; duplicate: boolean; errors: UserError[] }>(
    'EmitWorkflowEventPayload',
  )
  .implement({
    authScopes: { service: true },
    fields: (t) => ({
      event: t.field({ type: WorkflowEventRef, nullable: true, resolve: (p) => p.event }),
      duplicate: t.exposeBoolean('duplicate'),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('emitWorkflowEvent', (t) =>
  t.authField({
    type: EmitPayload,
    description:
      'Service. Idempotent on idempotencyKey: a repeat returns the first event with duplicate: true.',
    args: { input: t.arg({ type: WorkflowEventInput, required: true }) },
    authScopes: { service: true },
    resolve: (_r, args, ctx) => {
      const service = ctx.principal;
      return withUserErrors(
        async () => {
          const input = await validate(EventSchema, args.input, ['input']);
          const r = await emitWorkflowEvent(
            ctx.db,
            ctx.outbox,
            service,
            { ...input, type: args.input.type },
            {
              now: preferenceNow(ctx.env),
              decisionsEnabled: Boolean(ctx.env.WORKPLACE_WEBHOOK_URL),
            },
          );
          return { event: r.event, duplicate: r.duplicate };
        },
        { event: null, duplicate: false },
      );
    },
  }),
);

const DeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: DeliveryRow | null; errors: UserError[] }>(name).implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      delivery: t.field({ type: DeliveryRef, nullable: true, resolve: (p) => p.delivery }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('retryDelivery', (t) =>
  t.authField({
    type: DeliveryPayload('RetryDeliveryPayload'),
    description: 'Admin. Puts a FAILED delivery back on the queue.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) => {
      const admin = ctx.principal;
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
  t.authField({
    type: DeliveryPayload('SendTestNotificationPayload'),
    description:
      'Admin: to anyone; user: to themselves. A localized test message through the same pipeline.',
    args: { channel: t.arg({ type: ChannelEnum, required: true }), userId: t.arg.string() },
    authScopes: { admin: true, user: true },
    resolve: (_r, args, ctx) => {
      const p = ctx.principal;
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
