/** Per-request GraphQL context: the verified caller (or why not), D1, config and logging. */
import { GraphQLError } from 'graphql';
import type { PubSub } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import type { Principal, Role } from '../domain/auth.ts';
import type { DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import type { LineAuthStore } from '../domain/line-login.ts';
import type { Logger } from '../domain/log.ts';
import type { TokenSource } from '../domain/tokens.ts';

export interface Context {
  env: Env;
  db: Db;
  principal: Principal | null;
  /** Why there is no principal, when there is none. */
  authError: string | null;
  requestId: string;
  log: Logger;
  /** Where emitted deliveries go and who hears of status changes. */
  outbox: Outbox;
  /** Pending LINE Login states (the tenant's LineAuth object). */
  lineAuth: LineAuthStore;
  /** Provider access tokens (TokenVault) for configure and verify calls. */
  tokens: TokenSource;
  /** The tenant's subscription fan-out, inside the DeliveryHub object only. */
  pubsub: PubSub<{ delivery: [DeliveryUpdate] }> | null;
}

/** The caller, who must hold one of `roles`; UNAUTHENTICATED / FORBIDDEN GraphQL errors otherwise. */
export function requireRole(ctx: Context, ...roles: Role[]): Principal {
  if (!ctx.principal) {
    throw new GraphQLError(ctx.authError ?? 'Not authenticated', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } },
    });
  }
  if (!roles.includes(ctx.principal.role)) {
    throw new GraphQLError(`This needs role ${roles.join(' or ')}`, {
      extensions: { code: 'FORBIDDEN' },
    });
  }
  return ctx.principal;
}

export function forbidden(message = 'Not allowed'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}
