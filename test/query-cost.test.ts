// Integration: nested queries cost a bounded number of D1 statements (dataloaders; counted by
// the D1 binding wrapper and reported in Server-Timing), nested pages are capped, and an
// over-cost document is refused with a 400 naming the limit before anything runs.
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { gql, tenantId, token, tokens } from './helpers.ts';

const MEMBERS = 30;
const EVENTS = 4;

async function post(query: string, bearer: string, variables: Record<string, unknown> = {}) {
  const res = await exports.default.fetch('https://renkei.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const timing = res.headers.get('server-timing') ?? '';
  const statements = Number(/d1;desc="(\d+) statements/.exec(timing)?.[1] ?? Number.NaN);
  return { status: res.status, statements, body: (await res.json()) as any };
}

const DEEP = `query ($n: Int) { deliveries(first: 100) { totalCount edges { node {
  id status reason user { userId email bindings { line { status } } }
  event { title summary { skipped } deliveries(first: $n) { totalCount pageInfo { hasNextPage }
    edges { node { id user { userId displayName } event { id } } } } }
} } } }`;

describe('query cost', () => {
  let admin = '';
  let member = '';
  beforeAll(async () => {
    const tenant = tenantId('cost');
    const t = await tokens(tenant);
    admin = t.admin;
    const members = Array.from({ length: MEMBERS }, (_, i) => `m${String(i).padStart(2, '0')}`);
    member = await token(tenant, 'user', members[0] as string);
    await gql(
      'mutation { configureGoogleChat(input: { enabled: true }) { errors { code } } }',
      {},
      admin,
    );
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }]) { errors { code } } }',
      {},
      admin,
    );
    await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
      { u: members.map((userId) => ({ userId, email: `${userId}@example.test` })) },
      t.service,
    );
    for (let i = 0; i < EVENTS; i++) {
      const r = await gql(
        'mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) { errors { code } } }',
        {
          input: {
            idempotencyKey: `cost-${i}`,
            type: 'APPROVAL_REQUESTED',
            documentId: `doc-${i}`,
            title: `Document ${i}`,
            url: 'https://workplace.test/doc',
            recipients: members,
          },
        },
        t.service,
      );
      expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
    }
  });

  it('a page of 100 deliveries with their events, members and each event’s deliveries is a handful of D1 statements', async () => {
    const r = await post(DEEP, admin, { n: 100 });
    expect(r.body.errors).toBeUndefined();
    const edges = r.body.data.deliveries.edges;
    expect(edges).toHaveLength(100);
    for (const e of edges) {
      // Nested pages are capped at 20 whatever `first` asks.
      expect(e.node.event.deliveries.edges).toHaveLength(20);
      expect(e.node.event.deliveries.totalCount).toBe(MEMBERS);
      expect(e.node.event.deliveries.pageInfo.hasNextPage).toBe(true);
      expect(e.node.event.summary.skipped).toBe(MEMBERS);
      expect(e.node.user.email).toBe(`${e.node.user.userId}@example.test`);
    }
    // 2 (page + count) + events + members + summaries + 2 (nested pages + totals) + nested
    // members not seen yet: 8. Without batching it was ~2,500.
    expect(r.statements).toBeLessThanOrEqual(10);
    const asMember = await post(DEEP, member, { n: 100 });
    expect(asMember.body.errors).toBeUndefined();
    expect(asMember.body.data.deliveries.totalCount).toBe(EVENTS);
    expect(asMember.statements).toBeLessThanOrEqual(10);
  });

  it('refuses an over-cost document with 400 QUERY_TOO_COSTLY naming the limit, running nothing', async () => {
    const half = `deliveries(first: $n) { edges { node { event { deliveries(first: 20) {
      edges { node { user { userId } } } } } } } }`;
    for (const [query, vars] of [
      [`query ($n: Int) { a: ${half} b: ${half} }`, { n: 100 }],
      [`query ($n: Int) { a: ${half} }`, { n: 100 }],
    ] as const) {
      const r = await post(query, admin, vars);
      if (query.includes('b:')) {
        expect(r.status).toBe(400);
        expect(r.body.data).toBeUndefined();
        expect(r.body.errors).toHaveLength(1);
        expect(r.body.errors[0].extensions).toMatchObject({
          code: 'QUERY_TOO_COSTLY',
          cost: 12_802,
          limit: 10_000,
        });
        expect(r.body.errors[0].message).toMatch(/Query cost 12802 exceeds the limit of 10000/);
        expect(r.statements).toBe(0);
      } else {
        expect(r.status).toBe(200);
        expect(r.body.errors).toBeUndefined();
      }
    }
    // The same document with small pages is fine: the cost follows `first`, variables included.
    const small = await post(`query ($n: Int) { a: ${half} b: ${half} }`, admin, { n: 10 });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });
});
