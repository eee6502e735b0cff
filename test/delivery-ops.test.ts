// Integration: test notifications, the cron sweeper and Slack pacing, through the Worker's
// fetch / queue / scheduled handlers and the Slack fake on 127.0.0.1.
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/workers/index.ts';
import { fake, gql, tenantD1, token } from './helpers.ts';
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
    const audited = async () =>
      (await gql('{ auditLog { totalCount } }', {}, s.admin)).data?.auditLog.totalCount;
    const before = await audited();
    const nobody = await gql(TEST, { channel: 'SLACK', userId: 'ghost' }, s.admin);
    expect(nobody.data?.sendTestNotification.errors[0]).toMatchObject({ code: 'NOT_FOUND' });
    const huge = await gql(TEST, { channel: 'SLACK', userId: 'x'.repeat(100_000) }, s.admin);
    expect(huge.data?.sendTestNotification).toMatchObject({
      delivery: null,
      errors: [{ code: 'INVALID', field: ['userId'] }],
    });
    // Neither refused call was counted as a test (an audit entry, the throttle's record).
    expect(await audited()).toBe(before);
    const service = await gql(TEST, { channel: 'SLACK' }, s.service);
    expect(service.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('sendTestNotification throttling', () => {
  it('lets a member send 3 tests per channel per 10 minutes, even all at once', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    const member = await token(s.tenant, 'user', m1);
    // A burst of concurrent calls: exactly the limit gets through.
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => gql(TEST, { channel: 'SLACK' }, member)),
    );
    const payloads = burst.map((r) => r.data?.sendTestNotification);
    expect(payloads.filter((p) => p.delivery !== null)).toHaveLength(3);
    const refused = payloads.filter((p) => p.delivery === null);
    expect(refused).toHaveLength(5);
    for (const p of refused) {
      expect(p.errors).toEqual([
        {
          code: 'RATE_LIMITED',
          message: expect.stringMatching(
            /^At most 3 test notifications per 10 minutes on SLACK; try again after \d{4}-\d{2}-\d{2}T/,
          ),
          field: ['channel'],
        },
      ]);
      const retryAt = Date.parse(p.errors[0].message.split('try again after ')[1]);
      expect(retryAt).toBeGreaterThan(Date.now() + 9 * 60_000);
      expect(retryAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
    }
    const posts = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    expect(posts.length).toBeLessThanOrEqual(3);
    // Another channel has its own allowance; another member too.
    const chat = await gql(TEST, { channel: 'GOOGLE_CHAT' }, member);
    expect(chat.data?.sendTestNotification.errors).toEqual([]);
    const other = await gql(TEST, { channel: 'SLACK' }, await token(s.tenant, 'user', m0));
    expect(other.data?.sendTestNotification.errors).toEqual([]);
    // An admin's limit is looser, but there is one (LINE is off here: nothing is sent).
    const admin = [];
    for (let i = 0; i < 21; i++) {
      admin.push((await gql(TEST, { channel: 'LINE', userId: m0 }, s.admin)).data);
    }
    expect(admin.slice(0, 20).every((d) => d?.sendTestNotification.errors.length === 0)).toBe(true);
    expect(admin[20]?.sendTestNotification.errors[0].code).toBe('RATE_LIMITED');
    // Ten minutes later the member may test again.
    await (await tenantD1(s.tenant))
      .prepare("update audit_log set at = ? where tenant_id = ? and action = 'notification.test'")
      .bind(new Date(Date.now() - 11 * 60_000).toISOString(), s.tenant)
      .run();
    const later = await gql(TEST, { channel: 'SLACK' }, member);
    expect(later.data?.sendTestNotification.errors).toEqual([]);
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
    const d1 = await tenantD1(s.tenant);
    await d1
      .prepare(
        "update deliveries set status = 'QUEUED', sent_at = null, due_at = ? where tenant_id = ?",
      )
      .bind(old, s.tenant)
      .run();
    // An event and delivery past the retention period.
    const ancient = new Date(Date.now() - 100 * 86_400_000).toISOString();
    await d1.batch([
      d1
        .prepare(
          "insert into workflow_events (id, tenant_id, idempotency_key, type, document_id, title, url, created_at) values ('e0000000000000000000000000000001', ?, 'old', 'APPROVED', 'd', 't', 'https://w.example', ?)",
        )
        .bind(s.tenant, ancient),
      d1
        .prepare(
          "insert into deliveries (id, tenant_id, event_id, user_row_id, channel, status, created_at, updated_at, due_at) values ('d0000000000000000000000000000001', ?, 'e0000000000000000000000000000001', 'x', 'SLACK', 'SENT', ?, ?, ?)",
        )
        .bind(s.tenant, ancient, ancient, ancient),
    ]);
    // Audit entries: one past the retention, one recent; and a backlog of old deliveries
    // larger than one prune statement takes.
    const recent = new Date().toISOString();
    await d1.batch([
      d1
        .prepare(
          "insert into audit_log (id, tenant_id, at, actor, action) values ('a0000000000000000000000000000001', ?, ?, 'admin-1', 'integration.configure'), ('a0000000000000000000000000000002', ?, ?, 'admin-1', 'integration.configure')",
        )
        .bind(s.tenant, ancient, s.tenant, recent),
      d1
        .prepare(
          `with recursive n(i) as (select 1 union all select i + 1 from n where i < 1200)
         insert into deliveries (id, tenant_id, event_id, user_row_id, channel, status, created_at, updated_at, due_at)
         select 'old-' || ?1 || '-' || i, ?1, 'e0000000000000000000000000000001', 'x', 'SLACK', 'SENT', ?2, ?2, ?2 from n`,
        )
        .bind(s.tenant, ancient),
    ]);
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    const audit = await d1
      .prepare(
        "select id from audit_log where tenant_id = ? and id like 'a000000000000000000000000000000%'",
      )
      .bind(s.tenant)
      .all<{ id: string }>();
    expect(audit.results.map((r) => r.id)).toEqual(['a0000000000000000000000000000002']);
    const backlog = await d1
      .prepare("select count(*) as n from deliveries where tenant_id = ? and id like 'old-%'")
      .bind(s.tenant)
      .first<{ n: number }>();
    expect(backlog?.n).toBe(0);
    const e = await waitFor(
      s,
      out.event.id,
      (x) => x.summary.sent === 1 && byUser(x, s.members[0] as string, 'SLACK').attempts === 2,
    );
    expect(byUser(e, s.members[0] as string, 'SLACK')).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
    const gone = await d1
      .prepare(
        "select (select count(*) from workflow_events where id = 'e0000000000000000000000000000001') + (select count(*) from deliveries where id = 'd0000000000000000000000000000001') as n",
      )
      .first<{ n: number }>();
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
