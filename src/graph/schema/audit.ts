/** The audit log of settings, rule and binding changes. */
import { type AuditRow, listAudit } from '../../domain/audit.ts';
import { toGlobalId } from '../../domain/ids.ts';
import { decodeCursor, encodeCursor, pageSize } from '../../domain/pagination.ts';
import { builder } from '../builder.ts';
import { connection, connectionType, NodeRef } from './common.ts';

export const AuditEntryRef = builder.objectRef<AuditRow>('AuditEntry').implement({
  interfaces: [NodeRef],
  authScopes: { admin: true },
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'action' in v && 'actor' in v,
  fields: (t) => ({
    id: t.id({ resolve: (a) => toGlobalId('AuditEntry', a.id) }),
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
    actor: t.exposeString('actor', { description: 'sub of the caller' }),
    action: t.exposeString('action', { description: 'e.g. integration.configure, rules.set' }),
    target: t.exposeString('target', { nullable: true }),
    detail: t.exposeString('detail', { nullable: true, description: 'Never a secret' }),
  }),
});

const AuditConnectionRef = connectionType('AuditEntry', AuditEntryRef);

builder.queryField('auditLog', (t) =>
  t.authField({
    type: AuditConnectionRef,
    description: 'Admin. Newest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    authScopes: { admin: true },
    resolve: async (_r, args, ctx) => {
      const admin = ctx.principal;
      const after = decodeCursor(args.after, ['at', 'id']);
      const page = await listAudit(ctx.db, admin.tenantId, pageSize(args.first), after);
      return connection(page, (a) => encodeCursor({ at: a.at, id: a.id }), after != null);
    },
  }),
);
