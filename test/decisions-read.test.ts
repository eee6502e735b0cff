// Integration: who reads which decisions, through exports.default.fetch() (GraphQL) over the real
// D1 shards: admins and services the tenant's, a member only their own (root, nested, node).
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/db/client.ts';
import { recordDecision } from '../src/domain/decisions/store.ts';
import { fromGlobalId, toGlobalId } from '../src/domain/ids.ts';
import { gql, tenantD1, token, tokens } from './helpers.ts';
import { EMIT, type Setup, setup } from './pipeline.ts';

const LIST = `query ($filter: DecisionFilter, $first: Int, $after: String) {
  decisions(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id action status user { userId } event { id documentId } } }
  }
}`;
const NODE = 'query ($id: ID!) { node(id: $id) { id ... on Decision { action status } } }';

async function emitTo(s: Setup, recipients: string[], documentId: string) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId,
        title: '稟議',
        url: 'https://workplace.example/wf/9',
        recipients,
      },
    },
    s.service,
  );
  return r.data?.emitWorkflowEvent.event.id as string;
}

/** Tenant with members m0..m2; event A to all (m0 and m1 decided), event B to m0 (decided). */
async function world() {
  const s = await setup(3);
  const [m0, m1] = s.members as [string, string, string];
  const d1 = await tenantD1(s.tenant);
  const db = openDb(d1);
  const rows = await d1
    .prepare('select id, user_id from users where tenant_id = ?')
    .bind(s.tenant)
    .all<{ id: string; user_id: string }>();
  const rowOf = (u: string) => rows.results.find((r) => r.user_id === u)?.id as string;
  const a = await emitTo(s, s.members, 'DOC-A');
  const b = await emitTo(s, [m0], 'DOC-B');
  const record = async (eventId: string, userId: string, action: 'APPROVE' | 'REJECT') => {
    const { decision } = await recordDecision(db, {
      tenantId: s.tenant,
      eventId: fromGlobalId(eventId)?.rowId as string,
      userRowId: rowOf(userId),
      action,
      channel: 'LINE',
    });
    return toGlobalId('Decision', decision.id);
  };
  const m0OnA = await record(a, m0, 'APPROVE');
  const m1OnA = await record(a, m1, 'REJECT');
  const m0OnB = await record(b, m0, 'APPROVE');
  return { s, a, b, m0, m1, m0OnA, m1OnA, m0OnB, user: (u: string) => token(s.tenant, 'user', u) };
}

const ids = (r: any) => r.data?.decisions.edges.map((e: any) => e.node.id).sort();

describe('reading decisions', () => {
  it('admins and services read the tenant’s decisions, with filters and pages', async () => {
    const w = await world();
    const all = await gql(LIST, {}, w.s.admin);
    expect(all.data?.decisions.totalCount).toBe(3);
    expect(ids(all)).toEqual([w.m0OnA, w.m1OnA, w.m0OnB].sort());
    expect((await gql(LIST, {}, w.s.service)).data?.decisions.totalCount).toBe(3);
    expect(ids(await gql(LIST, { filter: { eventId: w.a } }, w.s.admin))).toEqual(
      [w.m0OnA, w.m1OnA].sort(),
    );
    expect(ids(await gql(LIST, { filter: { documentId: 'DOC-B' } }, w.s.admin))).toEqual([w.m0OnB]);
    expect(ids(await gql(LIST, { filter: { userId: w.m1 } }, w.s.admin))).toEqual([w.m1OnA]);
    expect(ids(await gql(LIST, { filter: { userId: 'nobody' } }, w.s.admin))).toEqual([]);
    expect(
      (await gql(LIST, { filter: { status: 'ACCEPTED' } }, w.s.admin)).data?.decisions.totalCount,
    ).toBe(0);
    const first = await gql(LIST, { first: 2 }, w.s.admin);
    expect(first.data?.decisions.pageInfo.hasNextPage).toBe(true);
    const rest = await gql(
      LIST,
      { first: 2, after: first.data?.decisions.pageInfo.endCursor },
      w.s.admin,
    );
    expect([...ids(first), ...ids(rest)].sort()).toEqual([w.m0OnA, w.m1OnA, w.m0OnB].sort());
    const nested = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { decisions { totalCount edges { node { id } } } } }',
      { id: w.a },
      w.s.admin,
    );
    expect(nested.data?.workflowEvent.decisions.totalCount).toBe(2);
    const bad = await gql(LIST, { filter: { eventId: w.m0OnA } }, w.s.admin);
    expect(bad.data).toBeNull();
    expect(bad.errors?.[0]?.message).toMatch(/Not a WorkflowEvent id/);
  });

  it('a member reads only their own, at the root, nested under an event and by node(id)', async () => {
    const w = await world();
    const m0 = await w.user(w.m0);
    const own = await gql(LIST, {}, m0);
    expect(own.data?.decisions.totalCount).toBe(2);
    expect(ids(own)).toEqual([w.m0OnA, w.m0OnB].sort());
    expect(ids(await gql(LIST, { filter: { userId: w.m1 } }, m0))).toEqual([]);
    expect(ids(await gql(LIST, { filter: { eventId: w.a } }, m0))).toEqual([w.m0OnA]);

    // Through their own delivery's event, and through their decision's event: own rows only.
    const viaDeliveries = await gql(
      `{ deliveries(first: 10) { edges { node { event { id decisions(first: 20) {
          totalCount edges { node { id user { userId } } } } } } } } }`,
      {},
      m0,
    );
    expect(viaDeliveries.errors).toBeUndefined();
    const seen = viaDeliveries.data?.deliveries.edges.flatMap((e: any) =>
      e.node.event.decisions.edges.map((x: any) => x.node.user.userId),
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([w.m0]));
    for (const e of viaDeliveries.data?.deliveries.edges ?? []) {
      expect(e.node.event.decisions.totalCount).toBe(1);
    }
    const viaDecision = await gql(
      '{ decisions { edges { node { event { decisions { totalCount edges { node { id } } } } } } } }',
      {},
      m0,
    );
    expect(viaDecision.errors).toBeUndefined();
    for (const e of viaDecision.data?.decisions.edges ?? []) {
      expect(e.node.event.decisions.totalCount).toBe(1);
    }

    expect((await gql(NODE, { id: w.m0OnA }, m0)).data?.node).toEqual({
      id: w.m0OnA,
      action: 'APPROVE',
      status: 'PENDING',
    });
    expect((await gql(NODE, { id: w.m1OnA }, m0)).data?.node).toBeNull();
    // A member with no decision sees none; a member may not read events at the root.
    const m2 = await w.user(w.s.members[2] as string);
    expect((await gql(LIST, {}, m2)).data?.decisions.totalCount).toBe(0);
    const denied = await gql('query ($id: ID!) { workflowEvent(id: $id) { id } }', { id: w.a }, m2);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('another tenant sees nothing: not in lists, not by node(id)', async () => {
    const w = await world();
    const other = await setup(1);
    const { admin, service } = await tokens(other.tenant);
    expect((await gql(LIST, {}, admin)).data?.decisions.totalCount).toBe(0);
    expect(
      (await gql(LIST, { filter: { eventId: w.a } }, service)).data?.decisions.totalCount,
    ).toBe(0);
    expect((await gql(NODE, { id: w.m0OnA }, admin)).data?.node).toBeNull();
    const retry = await gql(
      'mutation ($id: ID!) { retryDecision(id: $id) { decision { id } errors { code } } }',
      { id: w.m0OnA },
      admin,
    );
    expect(retry.data?.retryDecision).toEqual({ decision: null, errors: [{ code: 'NOT_FOUND' }] });
    // Same member id in the other tenant: still nothing of the first tenant's.
    const sameName = await token(other.tenant, 'user', w.m0);
    expect((await gql(LIST, {}, sameName)).data?.decisions.totalCount).toBe(0);
  });
});
