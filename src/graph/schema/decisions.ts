/**
 * Decisions from the chat (DECISIONS.md): who decided what where, and how forwarding it to
 * WORKPLACE went. Admins and services read the tenant's; a member reads their own only, at the
 * root, nested under an event, and through node(id:).
 */
import { GraphQLError } from 'graphql';
import { retryDecision } from '../../domain/decisions/retry.ts';
import {
  DECISION_STATUSES,
  type DecisionRow,
  getDecision,
  listDecisions,
} from '../../domain/decisions/store.ts';
import type { EventRow } from '../../domain/deliveries.ts';
import { InputError, type UserError } from '../../domain/errors.ts';
import { fromGlobalId, type NodeType, toGlobalId } from '../../domain/ids.ts';
import {
  decodeCursor,
  encodeCursor,
  MAX_NESTED_PAGE,
  nestedPageSize,
  pageSize,
} from '../../domain/pagination.ts';
import { builder, memberRow } from '../builder.ts';
import { readerRowId } from '../context.ts';
import { withUserErrors } from '../validate.ts';
import {
  ChannelEnum,
  connection,
  connectionType,
  DecisionActionEnum,
  NodeRef,
  UserErrorRef,
} from './common.ts';
import { WorkflowEventRef } from './deliveries.ts';
import { registerNodeLoader } from './node.ts';
import { UserRef } from './users.ts';

const DecisionStatusEnum = builder.enumType('DecisionStatus', {
  description: 'PENDING until WORKPLACE answers the decision webhook.',
  values: DECISION_STATUSES,
});

export const DecisionRef = builder.objectRef<DecisionRow>('Decision').implement({
  description: "A member's answer from the chat and how forwarding it to WORKPLACE went.",
  interfaces: [NodeRef],
  authScopes: (d) => memberRow(d.userRowId),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'decidedAt' in v && 'action' in v,
  fields: (t) => ({
    id: t.id({
      description: 'Also the `webhook-id` of the decision webhook WORKPLACE receives',
      resolve: (d) => toGlobalId('Decision', d.id),
    }),
    event: t.field({
      type: WorkflowEventRef,
      // The member who decided was a recipient of the event.
      grantScopes: ['recipient'],
      resolve: async (d, _a, ctx) => {
        const event = await ctx.loaders.event.load(d.eventId);
        if (!event) throw new GraphQLError('The event of this decision no longer exists');
        return event as EventRow;
      },
    }),
    user: t.field({
      type: UserRef,
      description: 'Who decided',
      resolve: async (d, _a, ctx) => {
        const user = await ctx.loaders.userByRowId.load(d.userRowId);
        if (!user) throw new GraphQLError('The member of this decision no longer exists');
        return user;
      },
    }),
    action: t.field({ type: DecisionActionEnum, resolve: (d) => d.action as never }),
    channel: t.field({
      type: ChannelEnum,
      description: 'Where they clicked',
      resolve: (d) => d.channel as never,
    }),
    comment: t.exposeString('comment', { nullable: true }),
    status: t.field({ type: DecisionStatusEnum, resolve: (d) => d.status as never }),
    reason: t.exposeString('reason', {
      nullable: true,
      description:
        "WORKPLACE's message when REFUSED; the last error when FAILED (or while retrying)",
    }),
    attempts: t.exposeInt('attempts', { description: 'Forwarding attempts so far' }),
    decidedAt: t.field({ type: 'DateTime', resolve: (d) => d.decidedAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (d) => d.updatedAt }),
  }),
});

const DecisionConnectionRef = connectionType('Decision', DecisionRef);

registerNodeLoader('Decision', (ctx, tenantId, rowId) => getDecision(ctx.db, tenantId, rowId));

function rowIdOf(id: string | null | undefined, type: NodeType, field: string[]) {
  if (id == null) return null;
  const parsed = fromGlobalId(id);
  if (!parsed || parsed.type !== type) {
    throw new InputError([{ code: 'INVALID', message: `Not a ${type} id`, field }]);
  }
  return parsed.rowId;
}

const DecisionFilterInput = builder.inputType('DecisionFilter', {
  fields: (t) => ({
    eventId: t.id(),
    documentId: t.string({
      description: "WORKPLACE's document id: decisions on any of its events",
    }),
    userId: t.string({ description: 'The WORKPLACE user id of who decided' }),
    status: t.field({ type: DecisionStatusEnum }),
  }),
});

const NO_DECISIONS = connection<DecisionRow>(
  { rows: [], hasNextPage: false, totalCount: 0 },
  () => '',
  false,
);

builder.queryField('decisions', (t) =>
  t.authField({
    type: DecisionConnectionRef,
    description: 'Admin, service: all in the tenant; user: own. Newest first, `first` at most 100.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      filter: t.arg({ type: DecisionFilterInput }),
    },
    authScopes: { admin: true, user: true, service: true },
    resolve: async (_r, args, ctx) => {
      const p = ctx.principal;
      const after = decodeCursor(args.after, ['at', 'id']);
      const first = pageSize(args.first);
      const f = args.filter ?? {};
      if (p.role === 'user' && f.userId && f.userId !== p.subject) return NO_DECISIONS;
      const eventId = rowIdOf(f.eventId, 'WorkflowEvent', ['filter', 'eventId']);
      const userId = p.role === 'user' ? p.subject : f.userId;
      let userRowId: string | null = null;
      if (userId) {
        const user = await ctx.loaders.userByUserId.load(userId);
        if (!user) return NO_DECISIONS;
        userRowId = user.id;
      }
      const page = await listDecisions(
        ctx.db,
        p.tenantId,
        { eventId, userRowId, documentId: f.documentId ?? null, status: f.status ?? null },
        { first, after },
      );
      return connection(page, (d) => encodeCursor({ at: d.decidedAt, id: d.id }), after != null);
    },
  }),
);

builder.objectField(WorkflowEventRef, 'decisions', (t) =>
  t.field({
    type: DecisionConnectionRef,
    description: 'By decision time, `first` at most 20; a user sees their own only',
    args: { first: t.arg.int(), after: t.arg.string() },
    extensions: { maxPage: MAX_NESTED_PAGE },
    resolve: async (e, args, ctx) => {
      const after = decodeCursor(args.after, ['id']);
      const page = await ctx.loaders.eventDecisions.load({
        eventId: e.id,
        first: nestedPageSize(args.first),
        afterId: after?.id ?? null,
        userRowId: await readerRowId(ctx),
      });
      return connection(page, (d) => encodeCursor({ id: d.id }), after != null);
    },
  }),
);

const RetryDecisionPayload = builder
  .objectRef<{ decision: DecisionRow | null; errors: UserError[] }>('RetryDecisionPayload')
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      decision: t.field({ type: DecisionRef, nullable: true, resolve: (p) => p.decision }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('retryDecision', (t) =>
  t.authField({
    type: RetryDecisionPayload,
    description:
      'Admin. Sends a FAILED or REFUSED decision to WORKPLACE again (the same webhook-id).',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) => {
      const admin = ctx.principal;
      return withUserErrors(
        async () => {
          const rowId = rowIdOf(args.id, 'Decision', ['id']) as string;
          return { decision: await retryDecision(ctx.db, ctx.outbox.queue, admin, rowId) };
        },
        { decision: null },
      );
    },
  }),
);
