/** The member directory, each member's bindings (マイ情報) and the caller (`viewer`, `me`). */
import * as z from 'zod/mini';
import type { UserError } from '../../domain/errors.ts';
import { toGlobalId } from '../../domain/ids.ts';
import { decodeCursor, encodeCursor, pageSize } from '../../domain/pagination.ts';
import {
  ensureSelf,
  listUsers,
  MAX_USERS_PER_UPSERT,
  type UserRow,
  updateMyBindings,
  upsertUsers,
} from '../../domain/users.ts';
import { builder, memberRow } from '../builder.ts';
import { validate, withUserErrors } from '../validate.ts';
import {
  connection,
  connectionType,
  LineLinkStatusEnum,
  LocaleEnum,
  NodeRef,
  RoleEnum,
  UserErrorRef,
} from './common.ts';

const ViewerRef = builder
  .objectRef<{ tenantId: string; userId: string; role: 'ADMIN' | 'USER' | 'SERVICE' }>('Viewer')
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      tenantId: t.exposeID('tenantId'),
      userId: t.exposeString('userId'),
      role: t.field({ type: RoleEnum, resolve: (v) => v.role }),
    }),
  });

builder.queryField('viewer', (t) =>
  t.authField({
    type: ViewerRef,
    authScopes: { signedIn: true },
    resolve: (_r, _a, ctx) => {
      const p = ctx.principal;
      return {
        tenantId: p.tenantId,
        userId: p.subject,
        role: p.role.toUpperCase() as 'ADMIN' | 'USER' | 'SERVICE',
      };
    },
  }),
);

// Every binding type reads the member's row, so each is checked against whose row it is.
const LineWorksBindingRef = builder.objectRef<UserRow>('LineWorksBinding').implement({
  authScopes: (u) => memberRow(u.id),
  fields: (t) => ({
    userId: t.string({ resolve: (u) => u.lineWorksUserId ?? u.userId }),
    overridden: t.boolean({ resolve: (u) => u.lineWorksUserId != null }),
  }),
});
const SlackBindingRef = builder.objectRef<UserRow>('SlackBinding').implement({
  authScopes: (u) => memberRow(u.id),
  fields: (t) => ({
    memberId: t.string({ resolve: (u) => u.slackMemberId ?? '' }),
    problem: t.exposeString('slackError', {
      nullable: true,
      description: 'Why the last delivery to this member failed for a member-level reason',
    }),
  }),
});
const GoogleChatBindingRef = builder.objectRef<UserRow>('GoogleChatBinding').implement({
  authScopes: (u) => memberRow(u.id),
  fields: (t) => ({
    configured: t.boolean({ resolve: (u) => u.googleChatWebhook != null }),
    space: t.exposeString('googleChatSpace', { nullable: true }),
    problem: t.exposeString('googleChatError', {
      nullable: true,
      description: 'Why the last delivery to this webhook failed (e.g. the webhook was deleted)',
    }),
  }),
});
const LineBindingRef = builder.objectRef<UserRow>('LineBinding').implement({
  authScopes: (u) => memberRow(u.id),
  fields: (t) => ({
    status: t.field({
      type: LineLinkStatusEnum,
      resolve: (u) => u.lineStatus as 'NOT_LINKED' | 'PENDING_FRIEND' | 'LINKED' | 'BLOCKED',
    }),
    displayName: t.exposeString('lineDisplayName', { nullable: true }),
    linkedAt: t.field({ type: 'DateTime', nullable: true, resolve: (u) => u.lineLinkedAt }),
  }),
});

const BindingsRef = builder.objectRef<UserRow>('Bindings').implement({
  authScopes: (u) => memberRow(u.id),
  fields: (t) => ({
    lineWorks: t.field({ type: LineWorksBindingRef, resolve: (u) => u }),
    slack: t.field({
      type: SlackBindingRef,
      nullable: true,
      resolve: (u) => (u.slackMemberId ? u : null),
    }),
    googleChat: t.field({
      type: GoogleChatBindingRef,
      nullable: true,
      resolve: (u) => (u.googleChatWebhook ? u : null),
    }),
    line: t.field({ type: LineBindingRef, resolve: (u) => u }),
  }),
});

export const UserRef = builder.objectRef<UserRow>('User').implement({
  interfaces: [NodeRef],
  authScopes: (u) => memberRow(u.id),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'lineStatus' in v,
  fields: (t) => ({
    id: t.id({ resolve: (u) => toGlobalId('User', u.id) }),
    userId: t.exposeString('userId', { description: 'The WORKPLACE user id (login id)' }),
    displayName: t.exposeString('displayName', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    locale: t.field({ type: LocaleEnum, resolve: (u) => u.locale as 'JA' | 'EN' | 'KO' }),
    bindings: t.field({ type: BindingsRef, resolve: (u) => u }),
  }),
});

const UserConnectionRef = connectionType('User', UserRef);

builder.queryField('me', (t) =>
  t.authField({
    type: UserRef,
    description: 'User, admin: the caller as a member (created on first use).',
    authScopes: { user: true, admin: true },
    resolve: async (_r, _a, ctx) => {
      const self = await ensureSelf(ctx.db, ctx.principal);
      ctx.loaders.userByUserId.clear(self.userId).prime(self.userId, self);
      return self;
    },
  }),
);

builder.queryField('users', (t) =>
  t.authField({
    type: UserConnectionRef,
    description: 'Admin. Members ordered by user id; `search` matches id, name or email.',
    args: { first: t.arg.int(), after: t.arg.string(), search: t.arg.string() },
    authScopes: { admin: true },
    resolve: async (_r, args, ctx) => {
      const admin = ctx.principal;
      const after = decodeCursor(args.after, ['userId']);
      const page = await listUsers(ctx.db, admin.tenantId, {
        first: pageSize(args.first),
        afterUserId: after?.userId ?? null,
        search: args.search?.trim() || null,
      });
      return connection(page, (u) => encodeCursor({ userId: u.userId }), after != null);
    },
  }),
);

const UserInputRef = builder.inputType('UserInput', {
  fields: (t) => ({
    userId: t.string({ required: true }),
    displayName: t.string(),
    email: t.string(),
    locale: t.field({ type: LocaleEnum }),
    lineWorksUserId: t.string({ description: 'Only where the LINE WORKS id differs from userId' }),
  }),
});

/** A WORKPLACE user id as upsertUsers accepts it (and so as any member is named). */
export const userIdSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, { message: 'userId is required', abort: true }),
    z.maxLength(200, 'userId is too long'),
    z.regex(/^[^\s]+$/, 'userId must not contain spaces'),
  );
const UsersSchema = z
  .array(
    z.object({
      userId: userIdSchema,
      displayName: z.nullish(z.string().check(z.trim(), z.maxLength(200))),
      email: z.nullish(
        z.union([z.literal(''), z.email('email must be an email address').check(z.maxLength(320))]),
      ),
      locale: z.nullish(z.enum(['JA', 'EN', 'KO'])),
      lineWorksUserId: z.nullish(z.union([z.literal(''), userIdSchema])),
    }),
  )
  .check(z.maxLength(MAX_USERS_PER_UPSERT, `At most ${MAX_USERS_PER_UPSERT} users per call`));

const UpsertUsersPayload = builder
  .objectRef<{ users: UserRow[]; errors: UserError[] }>('UpsertUsersPayload')
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      users: t.field({
        type: [UserRef],
        extensions: { maxItems: MAX_USERS_PER_UPSERT },
        resolve: (p) => p.users,
      }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('upsertUsers', (t) =>
  t.authField({
    type: UpsertUsersPayload,
    description: 'Service, admin: directory sync. Omitted fields stay; "" clears.',
    args: { users: t.arg({ type: [UserInputRef], required: true }) },
    authScopes: { service: true, admin: true },
    resolve: (_r, args, ctx) => {
      const caller = ctx.principal;
      return withUserErrors(
        async () => {
          const input = await validate(UsersSchema, args.users, ['users']);
          return { users: await upsertUsers(ctx.db, caller, input) };
        },
        { users: [] },
      );
    },
  }),
);

const UpdateMyBindingsInput = builder.inputType('UpdateMyBindingsInput', {
  fields: (t) => ({
    slackMemberId: t.string({ description: '"" clears' }),
    googleChatWebhookUrl: t.string({ description: '"" clears' }),
  }),
});

const BindingsSchema = z.object({
  slackMemberId: z.nullish(z.string().check(z.maxLength(64, 'slackMemberId is too long'))),
  googleChatWebhookUrl: z.nullish(
    z.string().check(z.maxLength(2048, 'googleChatWebhookUrl is too long')),
  ),
});

const UpdateMyBindingsPayload = builder
  .objectRef<{ user: UserRow | null; errors: UserError[] }>('UpdateMyBindingsPayload')
  .implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      user: t.field({ type: UserRef, nullable: true, resolve: (p) => p.user }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('updateMyBindings', (t) =>
  t.authField({
    type: UpdateMyBindingsPayload,
    description: "User, admin (own): the caller's Slack member ID and Google Chat webhook.",
    args: { input: t.arg({ type: UpdateMyBindingsInput, required: true }) },
    authScopes: { user: true, admin: true },
    resolve: (_r, args, ctx) => {
      const caller = ctx.principal;
      return withUserErrors(
        async () => {
          const input = await validate(BindingsSchema, args.input, ['input']);
          const user = await updateMyBindings(
            ctx.db,
            ctx.env.SECRETS_KEY,
            ctx.env.GOOGLE_CHAT_WEBHOOK_ORIGIN,
            caller,
            input,
          );
          return { user };
        },
        { user: null },
      );
    },
  }),
);
