/** Scalars, enums and small types shared by the whole schema (contract.graphql). */
import type { ObjectRef } from '@pothos/core';
import { GraphQLError, Kind } from 'graphql';
import { DECISION_ACTIONS } from '../../domain/decisions/store.ts';
import type { UserError } from '../../domain/errors.ts';
import { INTEGRATION_KINDS } from '../../domain/integrations.ts';
import { CHANNELS, NOTIFICATION_TYPES } from '../../domain/rules.ts';
import { type BuilderTypes, builder } from '../builder.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO-8601 instant such as 2026-11-28T09:00:00Z');
  }
  return new Date(value).toISOString();
}

/** A real calendar date (2026-02-30 is refused). */
export function isCalendarDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isCalendarDate(value)) {
    throw new GraphQLError('Date must be an ISO-8601 calendar date such as 2026-12-24');
  }
  return value;
}

builder.scalarType('DateTime', {
  description: 'ISO-8601 instant, e.g. 2026-11-28T09:00:00Z',
  serialize: (v) => String(v),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});

builder.scalarType('Date', {
  description: 'ISO-8601 calendar date, e.g. 2026-12-24',
  serialize: (v) => String(v),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

export const RoleEnum = builder.enumType('Role', { values: ['ADMIN', 'USER', 'SERVICE'] as const });
export const ChannelEnum = builder.enumType('Channel', { values: CHANNELS });
export const IntegrationKindEnum = builder.enumType('IntegrationKind', {
  values: INTEGRATION_KINDS,
});
export const IntegrationStatusEnum = builder.enumType('IntegrationStatus', {
  values: ['DISABLED', 'UNVERIFIED', 'ACTIVE', 'ERROR'] as const,
});
export const DecisionActionEnum = builder.enumType('DecisionAction', {
  description: 'What an approver may answer from the chat: 承認 / 却下 / 差し戻し.',
  values: DECISION_ACTIONS,
});
export const LocaleEnum = builder.enumType('Locale', { values: ['JA', 'EN', 'KO'] as const });
export const NotificationTypeEnum = builder.enumType('NotificationType', {
  description: "The workflow notification items of WORKPLACE's notification management (通知管理).",
  values: NOTIFICATION_TYPES,
});
export const LineLinkStatusEnum = builder.enumType('LineLinkStatus', {
  values: ['NOT_LINKED', 'PENDING_FRIEND', 'LINKED', 'BLOCKED'] as const,
});

export interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfoRef = builder.objectRef<PageInfoShape>('PageInfo').implement({
  authScopes: { signedIn: true },
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

export const UserErrorRef = builder.objectRef<UserError>('UserError').implement({
  description:
    'A user-correctable problem with the input. Authorization problems are GraphQL errors instead.',
  authScopes: { signedIn: true },
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    field: t.exposeStringList('field', { nullable: true }),
  }),
});

// Each node type declares who may read it; `node(id)` applies the same declaration.
export const NodeRef = builder.interfaceRef<{ id: string }>('Node').implement({
  authScopes: { signedIn: true },
  fields: (t) => ({ id: t.exposeID('id') }),
});

/** A page of `rows` as a Relay connection; `cursorOf` makes each row's cursor. */
export function connection<T>(
  page: { rows: T[]; hasNextPage: boolean; totalCount: number },
  cursorOf: (row: T) => string,
  hadAfter: boolean,
) {
  const edges = page.rows.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: hadAfter,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * Declares `<Name>Edge` and `<Name>Connection` for a node type, as contract.graphql names them.
 * They carry no data of their own: the field returning the connection and the node type decide
 * who reads what.
 */
export function connectionType<T extends object>(
  name: string,
  nodeRef: ObjectRef<BuilderTypes, T>,
) {
  const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    authScopes: { signedIn: true },
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: nodeRef, resolve: (e) => e.node as never }),
    }),
  });
  return builder
    .objectRef<{
      edges: { cursor: string; node: T }[];
      pageInfo: PageInfoShape;
      totalCount: number;
    }>(`${name}Connection`)
    .implement({
      authScopes: { signedIn: true },
      fields: (t) => ({
        edges: t.field({ type: [Edge], resolve: (c) => c.edges }),
        pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
        totalCount: t.exposeInt('totalCount'),
      }),
    });
}
