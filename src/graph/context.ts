/** Per-request GraphQL context: the verified caller (or why not), D1, config and logging. */
import { GraphQLError } from 'graphql';
import type { Db } from '../db/client.ts';
import type { Principal, Role } from '../domain/auth.ts';
import type { Logger } from '../domain/log.ts';

/** What the graph needs from the Worker environment (a subset of the generated `Env`). */
export type GraphEnv = Pick<
  Env,
  | 'SECRETS_KEY'
  | 'PUBLIC_BASE_URL'
  | 'SLACK_API_BASE'
  | 'GOOGLE_CHAT_WEBHOOK_ORIGIN'
  | 'LINE_API_BASE'
  | 'LINE_ACCESS_BASE'
  | 'LINE_WORKS_AUTH_BASE'
  | 'LINE_WORKS_API_BASE'
  | 'RETENTION_DAYS'
>;

export interface Context {
  env: GraphEnv;
  db: Db;
  principal: Principal | null;
  /** Why there is no principal, when there is none. */
  authError: string | null;
  requestId: string;
  log: Logger;
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
