import SchemaBuilder, {
  BasePlugin,
  type PothosOutputFieldConfig,
  type PothosTypeConfig,
  type SchemaTypes,
} from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { Principal } from '../domain/auth.ts';
import { type Context, selfRowId } from './context.ts';

/** The context of a field whose scopes passed: the caller is known. */
export type SignedIn = Context & { principal: Principal };

/**
 * Who may read what, declared with each type and root field (`authScopes`, checked by
 * @pothos/plugin-scope-auth before a resolver runs):
 * - `signedIn`, `admin`, `user`, `service`: the caller's token and role;
 * - `self`: the caller is the member whose `users.id` row this is (own rows).
 */
export interface AuthScopes {
  signedIn: boolean;
  admin: boolean;
  user: boolean;
  service: boolean;
  self: string;
}

/** The one Pothos builder; types register themselves in src/graph/schema/*.ts. */
export interface Types {
  Context: Context;
  DefaultFieldNullability: false;
  AuthScopes: AuthScopes;
  AuthContexts: {
    signedIn: SignedIn;
    admin: SignedIn;
    user: SignedIn;
    service: SignedIn;
    self: SignedIn;
  };
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    Date: { Input: string; Output: string };
  };
}

/** A member's row (their user, deliveries, absences): admins, services, and the member. */
export const memberRow = (userRowId: string) => ({ admin: true, service: true, self: userRowId });

/** What a field or type that declares no scopes gets: admins only. */
export const DEFAULT_SCOPES = { admin: true } as const;

const ROOT_KINDS = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * The safe default: an object or interface type without `authScopes`, and a root field
 * without `authScopes`, are readable by admins only, so a field added without a thought about
 * who may read it leaks to nobody else.
 */
class DefaultScopesPlugin<T extends SchemaTypes> extends BasePlugin<T> {
  override onTypeConfig(typeConfig: PothosTypeConfig): PothosTypeConfig {
    if (
      (typeConfig.kind === 'Object' || typeConfig.kind === 'Interface') &&
      !typeConfig.pothosOptions.authScopes
    ) {
      return {
        ...typeConfig,
        pothosOptions: { ...typeConfig.pothosOptions, authScopes: DEFAULT_SCOPES },
      } as PothosTypeConfig;
    }
    return typeConfig;
  }

  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<T>) {
    const parent = this.buildCache.getTypeConfig(fieldConfig.parentType);
    if (!ROOT_KINDS.has(parent.kind) || fieldConfig.pothosOptions.authScopes) return fieldConfig;
    return {
      ...fieldConfig,
      pothosOptions: { ...fieldConfig.pothosOptions, authScopes: DEFAULT_SCOPES },
    } as PothosOutputFieldConfig<T>;
  }
}

SchemaBuilder.registerPlugin('renkeiDefaultScopes', DefaultScopesPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      renkeiDefaultScopes: DefaultScopesPlugin<Types>;
    }
  }
}

/** A builder with Renkei's scopes; the schema uses the one `builder` below. */
export function createBuilder() {
  return new SchemaBuilder<Types>({
    defaultFieldNullability: false,
    plugins: [ScopeAuthPlugin, 'renkeiDefaultScopes'],
    scopeAuth: {
      authorizeOnSubscribe: true,
      authScopes: (ctx) => {
        const role = ctx.principal?.role;
        return {
          signedIn: ctx.principal != null,
          admin: role === 'admin',
          user: role === 'user',
          service: role === 'service',
          self: async (rowId) => role !== 'service' && (await selfRowId(ctx)) === rowId,
        };
      },
      unauthorizedError: (_parent, ctx, info) =>
        ctx.principal
          ? new GraphQLError(`Not allowed: ${info.parentType.name}.${info.fieldName}`, {
              extensions: { code: 'FORBIDDEN' },
            })
          : new GraphQLError(ctx.authError ?? 'Not authenticated', {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 200 } },
            }),
    },
  });
}

export const builder = createBuilder();

builder.queryType({});
builder.mutationType({});

/** The builder's resolved type parameters, for helpers that take refs. */
export type BuilderTypes = PothosSchemaTypes.ExtendDefaultTypes<Types>;
