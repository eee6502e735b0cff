// Unit: the safe default of the schema builder: a type or a root field declared without
// `authScopes` is readable by admins only, so a field added later leaks to nobody else.
import { execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Role } from '../src/domain/auth.ts';
import { createBuilder } from '../src/graph/builder.ts';
import type { Context } from '../src/graph/context.ts';

function schemaWithUnscopedFields() {
  const b = createBuilder();
  const Thing = b.objectRef<{ x: string }>('Thing').implement({
    fields: (t) => ({ x: t.exposeString('x') }),
  });
  b.queryType({
    fields: (t) => ({
      unscopedRoot: t.string({ nullable: true, resolve: () => 'root secret' }),
      scopedRootUnscopedType: t.field({
        type: Thing,
        nullable: true,
        authScopes: { signedIn: true },
        resolve: () => ({ x: 'type secret' }),
      }),
      open: t.string({ authScopes: { signedIn: true }, resolve: () => 'hello' }),
    }),
  });
  return b.toSchema();
}

const contextFor = (role: Role | null) =>
  ({
    principal: role ? { tenantId: 't', subject: 's', role } : null,
    authError: role ? null : 'Missing bearer token',
  }) as unknown as Context;

describe('scope defaults', () => {
  const schema = schemaWithUnscopedFields();
  const document = parse('{ unscopedRoot scopedRootUnscopedType { x } open }');

  it.each(['user', 'service'] as const)(
    'a %s reads no unscoped field (FORBIDDEN)',
    async (role) => {
      const r = await execute({ schema, document, contextValue: contextFor(role) });
      expect(r.data).toEqual({ unscopedRoot: null, scopedRootUnscopedType: null, open: 'hello' });
      expect(r.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
      expect(JSON.stringify(r)).not.toContain('secret');
    },
  );

  it('no token is UNAUTHENTICATED everywhere', async () => {
    const r = await execute({ schema, document, contextValue: contextFor(null) });
    expect(new Set(r.errors?.map((e) => e.extensions.code))).toEqual(new Set(['UNAUTHENTICATED']));
  });

  it('an admin reads them', async () => {
    const r = await execute({ schema, document, contextValue: contextFor('admin') });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      unscopedRoot: 'root secret',
      scopedRootUnscopedType: { x: 'type secret' },
      open: 'hello',
    });
  });
});
