/**
 * Bindings without copy-paste (contract.graphql "v2 — bindings without copy-paste"): findBindings
 * runs, their progress, and the suggestions an admin or the member confirms or rejects.
 */
import * as z from 'zod/mini';
import { type DiscoveryRow, startDiscovery } from '../../domain/binding-discovery/index.ts';
import { latestDiscovery } from '../../domain/binding-discovery/store.ts';
import {
  getSuggestion,
  listSuggestions,
  MAX_RESOLVE_IDS,
  resolveSuggestions,
  type SuggestionRow,
} from '../../domain/binding-suggestions.ts';
import type { UserError } from '../../domain/errors.ts';
import { toGlobalId } from '../../domain/ids.ts';
import { decodeCursor, encodeCursor, pageSize } from '../../domain/pagination.ts';
import type { UserRow } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import { ChannelEnum, connection, connectionType, NodeRef, UserErrorRef } from './common.ts';
import { registerNodeLoader } from './node.ts';
import { UserRef } from './users.ts';

type Channel = 'LINE_WORKS' | 'SLACK' | 'GOOGLE_CHAT' | 'LINE';

const SuggestionStatusEnum = builder.enumType('SuggestionStatus', {
  values: ['PROPOSED', 'CONFIRMED', 'REJECTED'] as const,
});
const DiscoveryStatusEnum = builder.enumType('DiscoveryStatus', {
  values: ['RUNNING', 'DONE', 'FAILED'] as const,
});

/** The member a suggestion is for: admins, and that member (never a service). */
const suggestionReaders = (userRowId: string) => ({ admin: true, self: userRowId });

const BindingSuggestionRef = builder.objectRef<SuggestionRow>('BindingSuggestion').implement({
  description:
    'A provider account found for a member by their email, waiting for an admin or the member.',
  interfaces: [NodeRef],
  authScopes: (s) => suggestionReaders(s.userRowId),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'externalId' in v,
  fields: (t) => ({
    id: t.id({ resolve: (s) => toGlobalId('BindingSuggestion', s.id) }),
    user: t.field({
      type: UserRef,
      resolve: async (s, _a, ctx) => {
        const user = await ctx.loaders.userByRowId.load(s.userRowId);
        if (!user) throw new Error('suggestion without its member');
        return user;
      },
    }),
    channel: t.field({ type: ChannelEnum, resolve: (s) => s.channel as Channel }),
    externalId: t.exposeString('externalId', {
      description: 'Slack member id / LINE WORKS user id',
    }),
    externalName: t.exposeString('externalName', {
      nullable: true,
      description: 'The name the provider shows',
    }),
    status: t.field({
      type: SuggestionStatusEnum,
      resolve: (s) => s.status as 'PROPOSED' | 'CONFIRMED' | 'REJECTED',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
  }),
});

registerNodeLoader('BindingSuggestion', (ctx, tenantId, rowId) =>
  getSuggestion(ctx.db, tenantId, rowId),
);

const BindingSuggestionConnectionRef = connectionType('BindingSuggestion', BindingSuggestionRef);

const BindingDiscoveryRef = builder.objectRef<DiscoveryRow>('BindingDiscovery').implement({
  description: 'One run of findBindings: progress an admin can watch.',
  authScopes: { admin: true },
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum, resolve: (d) => d.channel }),
    status: t.field({ type: DiscoveryStatusEnum, resolve: (d) => d.status }),
    total: t.exposeInt('total', {
      description: 'Members with an email and no binding on that channel when it started',
    }),
    checked: t.exposeInt('checked'),
    found: t.exposeInt('found'),
    notFound: t.exposeInt('notFound'),
    error: t.exposeString('error', { nullable: true }),
    startedAt: t.field({ type: 'DateTime', resolve: (d) => d.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.finishedAt }),
  }),
});

builder.objectField(UserRef, 'bindingSuggestions', (t) =>
  t.field({
    type: [BindingSuggestionRef],
    description: 'Proposals for this member, PROPOSED only',
    authScopes: (u: UserRow) => suggestionReaders(u.id),
    resolve: (u, _a, ctx) => ctx.loaders.suggestionsByUserRow.load(u.id),
  }),
);

builder.queryField('bindingSuggestions', (t) =>
  t.authField({
    type: BindingSuggestionConnectionRef,
    description: 'Admin. Suggestions newest first, optionally of one channel and status.',
    args: {
      first: t.arg.int(),
      after: t.arg.string(),
      channel: t.arg({ type: ChannelEnum }),
      status: t.arg({ type: SuggestionStatusEnum }),
    },
    authScopes: { admin: true },
    resolve: async (_r, args, ctx) => {
      const after = decodeCursor(args.after, ['createdAt', 'id']);
      const page = await listSuggestions(ctx.db, ctx.principal.tenantId, {
        first: pageSize(args.first),
        after,
        channel: args.channel ?? null,
        status: args.status ?? null,
      });
      return connection(
        page,
        (s) => encodeCursor({ createdAt: s.createdAt, id: s.id }),
        after != null,
      );
    },
  }),
);

builder.queryField('bindingDiscovery', (t) =>
  t.authField({
    type: BindingDiscoveryRef,
    nullable: true,
    description: 'Admin. The latest findBindings run for that channel.',
    args: { channel: t.arg({ type: ChannelEnum, required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) => latestDiscovery(ctx.db, ctx.principal.tenantId, args.channel),
  }),
);

const FindBindingsPayload = builder
  .objectRef<{ discovery: DiscoveryRow | null; errors: UserError[] }>('FindBindingsPayload')
  .implement({
    authScopes: { admin: true },
    fields: (t) => ({
      discovery: t.field({
        type: BindingDiscoveryRef,
        nullable: true,
        resolve: (p) => p.discovery,
      }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('findBindings', (t) =>
  t.authField({
    type: FindBindingsPayload,
    description:
      'Admin. Searches Slack or LINE WORKS for the accounts of members with an email and no ' +
      'binding there; answers the run already going when there is one.',
    args: { channel: t.arg({ type: ChannelEnum, required: true }) },
    authScopes: { admin: true },
    resolve: (_r, args, ctx) =>
      withUserErrors(
        async () => ({
          discovery: await startDiscovery(
            { db: ctx.db, env: ctx.env, queue: ctx.outbox.queue },
            ctx.principal,
            args.channel,
          ),
        }),
        { discovery: null },
      ),
  }),
);

const ResolvePayload = builder
  .objectRef<{ suggestions: SuggestionRow[]; errors: UserError[] }>(
    'ResolveBindingSuggestionsPayload',
  )
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      suggestions: t.field({
        type: [BindingSuggestionRef],
        extensions: { maxItems: MAX_RESOLVE_IDS },
        resolve: (p) => p.suggestions,
      }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

const IdsSchema = z
  .array(z.string().check(z.maxLength(200, 'id is too long')))
  .check(
    z.minLength(1, 'Give at least one suggestion id'),
    z.maxLength(MAX_RESOLVE_IDS, `At most ${MAX_RESOLVE_IDS} ids per call`),
  );

for (const [name, action] of [
  ['confirmBindingSuggestions', 'confirm'],
  ['rejectBindingSuggestions', 'reject'],
] as const) {
  builder.mutationField(name, (t) =>
    t.authField({
      type: ResolvePayload,
      description:
        action === 'confirm'
          ? 'Admin: any member; user: own. Binds each account exactly as the member would.'
          : 'Admin: any member; user: own. Drops the proposals; they are never proposed again.',
      args: { ids: t.arg.idList({ required: true }) },
      authScopes: { admin: true, user: true },
      resolve: (_r, args, ctx) =>
        withUserErrors(
          async () => {
            const ids = await validate(IdsSchema, args.ids, ['ids']);
            const out = await resolveSuggestions(ctx.db, ctx.principal, ids, action);
            ctx.loaders.suggestionsByUserRow.clearAll();
            ctx.loaders.userByRowId.clearAll();
            return out;
          },
          { suggestions: [] },
        ),
    }),
  );
}
