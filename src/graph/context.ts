/** Per-request GraphQL context: the verified caller (or why not), D1, config and logging. */
import { GraphQLError } from 'graphql';
import type { PubSub } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import type { Principal } from '../domain/auth.ts';
import type { DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import type { LineAuthStore } from '../domain/line-link/types.ts';
import type { Logger } from '../domain/log.ts';
import type { TokenSource } from '../domain/tokens.ts';
import type { Loaders } from './loaders.ts';

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
  /** Batched reads within the caller's tenant, for this request. */
  loaders: Loaders;
}

/** The caller's own member row id (`users.id`), or null: service tokens are no member. */
export async function selfRowId(ctx: Context): Promise<string | null> {
  const p = ctx.principal;
  if (!p || p.role === 'service') return null;
  return (await ctx.loaders.userByUserId.load(p.subject))?.id ?? null;
}

/** A row id no member has: a `user` without a member row reads nothing. */
const NOBODY = '';

/**
 * Whose rows a read is narrowed to: a `user` reads their own deliveries only (contract: "a
 * user sees their own only"); admins and services read the whole tenant (null).
 */
export async function readerRowId(ctx: Context): Promise<string | null> {
  if (ctx.principal?.role !== 'user') return null;
  return (await selfRowId(ctx)) ?? NOBODY;
}

export function forbidden(message = 'Not allowed'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}
