// Integration: tenants on different D1 shards (docs/sharding.md), through the Worker's fetch,
// queue and scheduled handlers; the shards are read directly through env.DB / env.DB_1.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
} from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { placementOf, SHARD_COUNT, shardBindings } from '../src/db/shards.ts';
import worker from '../src/workers/index.ts';
import { fake, gql, tenantD1, tenantId, token, tokens } from './helpers.ts';
import { byUser, emit, type Setup, setup, waitFor } from './pipeline.ts';

const UPSERT = 'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }';
const USERS = '{ users(first: 50) { edges { node { userId } } } }';

async function directoryRows(tenant: string): Promise<{ shard: number }[]> {
  const rows = await env.DB.prepare('select shard from tenant_directory where tenant_id = ?')
    .bind(tenant)
    .all<{ shard: number }>();
  return rows.results;
}

/** How many `users` rows of `tenant` each shard holds, in shard order. */
async function usersPerShard(tenant: string): Promise<number[]> {
  return Promise.all(
    [env.DB, env.DB_1].map(
      async (d1) =>
        (
          await d1
            .prepare('select count(*) as n from users where tenant_id = ?')
            .bind(tenant)
            .first<{ n: number }>()
        )?.n ?? -1,
    ),
  );
}

describe('tenants on shards', () => {
  it('runs with at least two shards', () => {
    expect(SHARD_COUNT).toBeGreaterThanOrEqual(2);
    expect(shardBindings(env)).toEqual([env.DB, env.DB_1]);
  });

  it("keeps each tenant's rows on its own shard only, and serves them from there", async () => {
    const a = tenantId('sa');
    const b = tenantId('sb');
    const ta = await tokens(a);
    const tb = await tokens(b);
    for (const [tenant, t] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const r = await gql(
        UPSERT,
        { u: [{ userId: `u1-${tenant}` }, { userId: `u2-${tenant}` }] },
        t.service,
      );
      expect(r.data?.upsertUsers.errors).toEqual([]);
    }
    const [shardA] = await directoryRows(a);
    const [shardB] = await directoryRows(b);
    expect(shardA?.shard).not.toBe(shardB?.shard);
    const expected = (shard: number | undefined) => [0, 1].map((i) => (i === shard ? 2 : 0));
    expect(await usersPerShard(a)).toEqual(expected(shardA?.shard));
    expect(await usersPerShard(b)).toEqual(expected(shardB?.shard));
    const listed = async (admin: string) =>
      (await gql(USERS, {}, admin)).data?.users.edges.map((e: any) => e.node.userId).sort();
    expect(await listed(ta.admin)).toEqual([`u1-${a}`, `u2-${a}`]);
    expect(await listed(tb.admin)).toEqual([`u1-${b}`, `u2-${b}`]);
  });

  it('follows the directory, not the hash, for a tenant placed elsewhere', async () => {
    const t = tenantId('moved');
    const planted = (placementOf(t) + 1) % SHARD_COUNT;
    await env.DB.prepare('insert into tenant_directory (tenant_id, shard) values (?, ?)')
      .bind(t, planted)
      .run();
    const r = await gql(UPSERT, { u: [{ userId: 'only-here' }] }, await token(t, 'service'));
    expect(r.data?.upsertUsers.errors).toEqual([]);
    expect(await usersPerShard(t)).toEqual([0, 1].map((i) => (i === planted ? 1 : 0)));
    expect(await directoryRows(t)).toEqual([{ shard: planted }]);
  });

  it('places a new tenant once when its first requests race', async () => {
    const t = tenantId('race');
    const service = await token(t, 'service');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => gql(UPSERT, { u: [{ userId: `r${i}` }] }, service)),
    );
    expect(results.map((r) => r.data?.upsertUsers.errors)).toEqual(results.map(() => []));
    expect(await directoryRows(t)).toHaveLength(1);
    const users = await gql(USERS, {}, await token(t, 'admin'));
    expect(users.data?.users.edges).toHaveLength(6);
  });

  it('adds no tenant for unauthenticated requests, webhooks or callbacks', async () => {
    const t = tenantId('ghost');
    const forged = await token(t, 'admin', 'a', { secret: 'another-secret-of-enough-length!!' });
    const denied = await gql(USERS, {}, forged);
    expect(denied.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const hook = await exports.default.fetch(`https://renkei.test/line/webhook/${t}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': 'c2lnbmF0dXJl' },
      body: JSON.stringify({ destination: 'U0', events: [] }),
    });
    expect(hook.status).toBe(401);
    const state = `${btoa(t).replace(/=+$/, '')}.${'A'.repeat(43)}`;
    const callback = await exports.default.fetch(
      `https://renkei.test/line/callback?state=${state}&code=c`,
    );
    expect(callback.status).toBeLessThan(500);
    expect(await directoryRows(t)).toEqual([]);
  });
});

/** Sent once already; put back to QUEUED (as if never sent) with `dueAt`. */
async function requeueRow(s: Setup, dueAt: string): Promise<string> {
  const d1 = await tenantD1(s.tenant);
  const row = await d1
    .prepare(
      "update deliveries set status = 'QUEUED', sent_at = null, due_at = ? where tenant_id = ? and channel = 'SLACK' returning id",
    )
    .bind(dueAt, s.tenant)
    .first<{ id: string }>();
  return row?.id as string;
}

async function slackPosts(s: Setup): Promise<number> {
  const posts = await fake(
    env.SLACK_API_BASE,
    `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
  );
  return posts.length;
}

/** Two tenants on different shards, each with one Slack delivery sent. */
async function twoShards(): Promise<{ s: Setup; eventId: string }[]> {
  const out = [];
  for (let i = 0; i < 2; i++) {
    const s = await setup(1);
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    const emitted = await emit(s, s.members);
    await waitFor(s, emitted.event.id, (e) => e.summary.sent === 1);
    out.push({ s, eventId: emitted.event.id as string });
  }
  const shards = await Promise.all(out.map(async ({ s }) => (await directoryRows(s.tenant))[0]));
  expect(shards[0]?.shard).not.toBe(shards[1]?.shard);
  // Slack paces DMs to one member at 1/s: let the next send go out at once.
  await new Promise((r) => setTimeout(r, 1_100));
  return out;
}

describe('work that spans shards', () => {
  it('delivers a queue batch that mixes tenants of different shards', async () => {
    const both = await twoShards();
    const now = new Date().toISOString();
    const ids = await Promise.all(both.map(({ s }) => requeueRow(s, now)));
    const before = await Promise.all(both.map(({ s }) => slackPosts(s)));
    const batch = createMessageBatch('renkei-deliveries', [
      {
        id: 'mix-a',
        timestamp: new Date(),
        attempts: 1,
        body: { tenantId: both[0]?.s.tenant, deliveryId: ids[0] },
      },
      {
        id: 'mix-b',
        timestamp: new Date(),
        attempts: 1,
        body: { tenantId: both[1]?.s.tenant, deliveryId: ids[1] },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['mix-a', 'mix-b']);
    expect(await Promise.all(both.map(({ s }) => slackPosts(s)))).toEqual(before.map((n) => n + 1));
    for (const { s, eventId } of both) {
      const e = await waitFor(
        s,
        eventId,
        (x) => byUser(x, s.members[0] as string, 'SLACK').status === 'SENT',
      );
      expect(byUser(e, s.members[0] as string, 'SLACK')).toMatchObject({
        status: 'SENT',
        attempts: 2,
      });
    }
  });

  it('sweeps stuck deliveries on every shard', async () => {
    const both = await twoShards();
    const old = new Date(Date.now() - 3_600_000).toISOString();
    for (const { s } of both) await requeueRow(s, old);
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    for (const { s, eventId } of both) {
      const e = await waitFor(
        s,
        eventId,
        (x) => byUser(x, s.members[0] as string, 'SLACK').attempts === 2 && x.summary.sent === 1,
      );
      expect(byUser(e, s.members[0] as string, 'SLACK')).toMatchObject({
        status: 'SENT',
        attempts: 2,
      });
    }
  });
});
