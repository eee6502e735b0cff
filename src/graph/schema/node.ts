/**
 * `node(id)`: opaque global ids, loaded within the caller's tenant and checked against the node
 * type's own `authScopes`. A type the caller's role can never read (AuditEntry for a member) is
 * FORBIDDEN before anything is loaded; a row the caller may not read (another member's delivery)
 * is null, the same answer as for an id that does not exist, so it is not even confirmed.
 */
import { RequestCache } from '@pothos/plugin-scope-auth';
import type { GraphQLResolveInfo } from 'graphql';
import { getAuditEntry } from '../../domain/audit.ts';
import { fromGlobalId } from '../../domain/ids.ts';
import { getUserByRowId } from '../../domain/users.ts';
import { type BuilderTypes, builder } from '../builder.ts';
import { type Context, forbidden } from '../context.ts';
import { NodeRef } from './common.ts';

type Loader = (ctx: Context, tenantId: string, rowId: string) => Promise<object | null | undefined>;

/** Per node type: how it is loaded within the caller's tenant. */
const LOADERS: Partial<Record<string, Loader>> = {
  User: (ctx, tenantId, rowId) => getUserByRowId(ctx.db, tenantId, rowId),
  AuditEntry: (ctx, tenantId, rowId) => getAuditEntry(ctx.db, tenantId, rowId),
};

/** Lets later modules add loaders for their node types. */
export function registerNodeLoader(type: string, loader: Loader) {
  LOADERS[type] = loader;
}

type TypeScopes =
  | Record<string, unknown>
  | ((parent: unknown, ctx: Context) => Record<string, unknown> | boolean);

function declaredScopes(info: GraphQLResolveInfo, typeName: string): TypeScopes | undefined {
  const type = info.schema.getType(typeName);
  return (type?.extensions as { pothosOptions?: { authScopes?: TypeScopes } })?.pothosOptions
    ?.authScopes;
}

async function passes(ctx: Context, info: GraphQLResolveInfo, scopes: unknown) {
  const cache = RequestCache.fromContext<BuilderTypes>(ctx, builder as never);
  return (await cache.evaluateScopeMap(scopes as never, info)) === null;
}

builder.queryField('node', (t) =>
  t.authField({
    type: NodeRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_r, args, ctx, info) => {
      const parsed = fromGlobalId(args.id);
      const loader = parsed ? LOADERS[parsed.type] : undefined;
      const scopes = parsed ? declaredScopes(info, parsed.type) : undefined;
      if (!parsed || !loader || !scopes) return null;
      if (typeof scopes !== 'function' && !(await passes(ctx, info, scopes))) {
        throw forbidden(`Not allowed: ${parsed.type}`);
      }
      const row = await loader(ctx, ctx.principal.tenantId, parsed.rowId);
      if (!row) return null;
      if (typeof scopes === 'function' && !(await passes(ctx, info, await scopes(row, ctx)))) {
        return null;
      }
      return row as { id: string };
    },
  }),
);
