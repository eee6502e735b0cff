/** `node(id)`: opaque global ids, checked against the caller's tenant and role. */
import { getAuditEntry } from '../../domain/audit.ts';
import { fromGlobalId } from '../../domain/ids.ts';
import { getUserByRowId } from '../../domain/users.ts';
import { builder } from '../builder.ts';
import { type Context, requireRole } from '../context.ts';
import { NodeRef } from './common.ts';

type Loader = (ctx: Context, rowId: string) => Promise<object | null | undefined>;

/** Per node type: who may read it and how it is loaded within the caller's tenant. */
const LOADERS: Partial<Record<string, Loader>> = {
  User: async (ctx, rowId) => {
    const p = requireRole(ctx, 'admin', 'user', 'service');
    const user = await getUserByRowId(ctx.db, p.tenantId, rowId);
    if (user && p.role === 'user' && user.userId !== p.subject) return null;
    return user;
  },
  AuditEntry: (ctx, rowId) => getAuditEntry(ctx.db, requireRole(ctx, 'admin').tenantId, rowId),
};

/** Lets later modules add loaders for their node types. */
export function registerNodeLoader(type: string, loader: Loader) {
  LOADERS[type] = loader;
}

builder.queryField('node', (t) =>
  t.field({
    type: NodeRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      requireRole(ctx, 'admin', 'user', 'service');
      const parsed = fromGlobalId(args.id);
      const loader = parsed ? LOADERS[parsed.type] : undefined;
      if (!parsed || !loader) return null;
      return ((await loader(ctx, parsed.rowId)) ?? null) as { id: string } | null;
    },
  }),
);
