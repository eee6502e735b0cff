/** LINE member linking (マイ情報 > LINE 認証): start LINE Login, unlink. */
import type { UserError } from '../../domain/errors.ts';
import { startLineLogin, unbindLine } from '../../domain/line-link/login.ts';
import type { UserRow } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { withUserErrors } from '../validate.ts';
import { UserErrorRef } from './common.ts';
import { UserRef } from './users.ts';

const StartLineLoginPayload = builder
  .objectRef<{ authorizeUrl: string | null; expiresAt: string | null; errors: UserError[] }>(
    'StartLineLoginPayload',
  )
  .implement({
    authScopes: { user: true, admin: true },
    fields: (t) => ({
      authorizeUrl: t.exposeString('authorizeUrl', {
        nullable: true,
        description: "Open in the member's browser: LINE Login, then the add-friend page",
      }),
      expiresAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'The login must finish before this instant (10 minutes)',
        resolve: (p) => p.expiresAt,
      }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('startLineLogin', (t) =>
  t.authField({
    type: StartLineLoginPayload,
    description:
      'User, admin (own): starts LINE Login for the caller (single use, 10 minutes). The ' +
      'callback page then shows the company official account as a QR code to add as a friend.',
    authScopes: { user: true, admin: true },
    resolve: (_r, _a, ctx) => {
      const caller = ctx.principal;
      return withUserErrors(() => startLineLogin(ctx.db, ctx.env, ctx.lineAuth, caller), {
        authorizeUrl: null,
        expiresAt: null,
      });
    },
  }),
);

const UnbindLinePayload = builder
  .objectRef<{ user: UserRow | null; errors: UserError[] }>('UnbindLinePayload')
  .implement({
    authScopes: { user: true, admin: true },
    fields: (t) => ({
      user: t.field({ type: UserRef, nullable: true, resolve: (p) => p.user }),
      errors: t.field({ type: [UserErrorRef], resolve: (p) => p.errors }),
    }),
  });

builder.mutationField('unbindLine', (t) =>
  t.authField({
    type: UnbindLinePayload,
    description: "User, admin (own): forgets the caller's LINE account (NOT_LINKED).",
    authScopes: { user: true, admin: true },
    resolve: (_r, _a, ctx) => {
      const caller = ctx.principal;
      return withUserErrors(async () => ({ user: await unbindLine(ctx.db, caller) }), {
        user: null,
      });
    },
  }),
);
