// Integration: test notifications, the cron sweeper and Slack pacing, through the Worker's
// fetch / queue / scheduled handlers and the Slack fake on 127.0.0.1.
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/workers/index.ts';
import { fake, gql, token } from './helpers.ts';
import { byUser, EVENT, emit, setup, waitFor } from './pipeline.ts';

const TEST = `mutation ($channel: Channel!, $userId: String) {
  sendTestNotification(channel: $channel, userId: $userId) {
    delivery { id status reason channel user { userId } event { id } } errors { code message field }
  }
}`;

async function waitForDelivery(admin: string, eventId: string, status: string) {
  const until = Date.now() + 20_000;
  for (;;) {
    const r = await gql(EVENT, { id: eventId }, admin);
    const d = r.data?.workflowEvent.deliveries.edges[0]?.node;
    if (d?.status === status || Date.now() > until) return d;
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe('sendTestNotification', () => {
  it('sends a localized test message to a member (admin) or to oneself (user)', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    const r = await gql(TEST, { channel: 'SLACK', userId: m0 }, s.admin);
    expect(r.data?.sendTestNotification.errors).toEqual([]);
    const d = r.data?.sendTestNotification.delivery;
    expect(d).toMatchObject({ status: 'QUEUED', channel: 'SLACK', user: { userId: m0 } });
    expect(await waitForDelivery(s.admin, d.event.id, 'SENT')).toMatchObject({ status: 'SENT' });
    const posts = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    // m0's locale is EN: the test message says so in English.
    expect(posts.at(-1).json.text).toMatch(/test/i);

    const self = await gql(TEST, { channel: 'SLACK' }, await token(s.tenant, 'user', m1));
    expect(self.data?.sendTestNotification.delivery).toMatchObject({ user: { userId: m1 } });
    const other = await gql(
      TEST,
      { channel: 'SLACK', userId: m0 },
      await token(s.tenant, 'user', m1),
    );
    expect(other.data?.sendTestNotification).toMatchObject({
      delivery: null,
      errors: [{ code: 'INVALID', field: ['userId'] }],
    });
  });

  it('reports why a test cannot be delivered', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const line = await gql(TEST, { channel: 'LINE', userId: m0 }, s.admin);
    expect(line.data?.sendTestNotification.delivery).toMatchObject({
      status: 'SKIPPED',
      reason: 'LINE integration is disabled',
    });
    const nobody = await gql(TEST, { channel: 'SLACK', userId: 'ghost' }, s.admin);
    expect(nobody.data?.sendTestNotification.errors[0]).toMatchObject({ code: 'NOT_FOUND' });
    const service = await gql(TEST, { channel: 'SLACK' }, s.service);
    expect(service.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('sweeper', () => {
  it('re-enqueues deliveries stuck QUEUED and prunes old ones', async () => {
    const s = await setup(1);
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    const out = await emit(s, s.members);
    await waitFor(s, out.event.id, (e) => e.summary.sent === 1);
    // As if the worker died between the D1 commit and the queue send.
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await env.DB.prepare(
      "update deliveries set status = 'QUEUED', sent_at = null, due_at = ? where tenant_id = ?",
    )
      .bind(old, s.tenant)
      .run();
    // An event and delivery past the retention period.
    const ancient = new Date(Date.now() - 100 * 86_400_000).toISOString();
    await env.DB.batch([
      env.DB.prepare(
        "insert into workflow_events (id, tenant_id, idempotency_key, type, document_id, title, url, created_at) values ('e0000000000000000000000000000001', ?, 'old', 'APPROVED', 'd', 't', 'https://w.example', ?)",
      ).bind(s.tenant, ancient),
      env.DB.prepare(
        "insert into deliveries (id, tenant_id, event_id, user_row_id, channel, status, created_at, updated_at, due_at) values ('d0000000000000000000000000000001', ?, 'e0000000000000000000000000000001', 'x', 'SLACK', 'SENT', ?, ?, ?)",
      ).bind(s.tenant, ancient, ancient, ancient),
    ]);
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    const e = await waitFor(
      s,
      out.event.id,
      (x) => x.summary.sent === 1 && byUser(x, s.members[0] as string, 'SLACK').attempts === 2,
    );
    expect(byUser(e, s.members[0] as string, 'SLACK')).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
    const gone = await env.DB.prepare(
      "select (select count(*) from workflow_events where id = 'e0000000000000000000000000000001') + (select count(*) from deliveries where id = 'd0000000000000000000000000000001') as n",
    ).first<{ n: number }>();
    expect(gone?.n).toBe(0);
  });
});

describe('pacing', () => {
  it('keeps Slack DMs to one member at 1/s, so a fake enforcing it never answers 429', async () => {
    const s = await setup(1);
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    // The fake enforces 1 post per second per channel by default (every test shares it).
    const events = await Promise.all([1, 2, 3, 4].map(() => emit(s, s.members)));
    for (const e of events) await waitFor(s, e.event.id, (x) => x.summary.sent === 1, 30_000);
    const posts = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    expect(posts.map((p: any) => p.status)).toEqual([200, 200, 200, 200]);
    const gaps = posts.slice(1).map((p: any, i: number) => p.at - posts[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  }, 60_000);
});
