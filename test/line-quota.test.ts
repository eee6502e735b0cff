// Integration: LINE's monthly message quota (PROVIDERS.md, v2 facts › LINE) through the Worker's
// fetch / queue / scheduled handlers, the real D1 and queue, and the LINE fake on 127.0.0.1:
// read on verifyIntegration, after sending and by the cron; the 80 % warning; pushes stopped
// at the limit (by Renkei's count and by LINE's 429) until the month turns or a verification
// shows room. Every test has its own channel, so the shared fake's other channels stay untouched.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fake, gql, tenantD1, tenantId, token, tokens } from './helpers.ts';
import { byUser, EMIT, waitFor } from './pipeline.ts';

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);
const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));

const QUOTA = `{ integrations { line { status lastError quota { limit used checkedAt } } } }`;
const VERIFY = `mutation { verifyIntegration(kind: LINE) { ok errors { code message }
  integration { status lastError ... on LineMessenger { quota { limit used checkedAt } } } } }`;
const TEST = `mutation { sendTestNotification(channel: LINE) {
  delivery { id status reason event { id } } errors { code message } } }`;
const USED_UP = 'LINE monthly message quota used up';

interface QuotaSetup {
  tenant: string;
  admin: string;
  service: string;
  channelToken: string;
  channelId: string;
  members: string[];
  lineUserIds: string[];
}

/** A tenant with LINE on (long-lived token), `members` LINKED members, and the fake's quota. */
async function setup(
  quota: { limit: number | null; used?: number },
  memberCount = 1,
): Promise<QuotaSetup> {
  const tenant = tenantId('lq');
  const { admin, service } = await tokens(tenant);
  const channelToken = `line-token-${crypto.randomUUID()}`;
  const channelId = digits();
  const basicId = `@${hex(8)}`;
  await fake(env.LINE_API_BASE, '/__fake/state', {
    bots: {
      [channelToken]: { userId: `U${hex(32)}`, basicId, displayName: 'Acme', channelId },
    },
    quotas: {
      [channelId]:
        quota.limit === null ? { type: 'none' } : { type: 'limited', value: quota.limit },
    },
    consumption: { [channelId]: { totalUsage: quota.used ?? 0 } },
  });
  const configured = await gql(
    `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { code message } } }`,
    {
      i: {
        enabled: true,
        loginChannelId: digits(),
        loginChannelSecret: `login-${hex(16)}`,
        messagingChannelSecret: `messaging-${hex(16)}`,
        channelAccessToken: channelToken,
        friendUrl: `https://line.me/R/ti/p/${basicId}`,
      },
    },
    admin,
  );
  expect(configured.data?.configureLine.errors).toEqual([]);
  const members = Array.from({ length: memberCount }, (_, i) => `m${i}-${tenant}`);
  await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: members.map((userId) => ({ userId })) },
    service,
  );
  // Arrange: the members finished LINE Login and added the friend (line.test.ts walks that).
  const lineUserIds = members.map(() => `U${hex(32)}`);
  const d1 = await tenantD1(tenant);
  await d1.batch(
    members.map((userId, i) =>
      d1
        .prepare(
          "update users set line_user_id = ?, line_status = 'LINKED' where tenant_id = ? and user_id = ?",
        )
        .bind(lineUserIds[i], tenant, userId),
    ),
  );
  await gql(
    `mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE, enabled: true }]) { errors { code } } }`,
    {},
    admin,
  );
  return { tenant, admin, service, channelToken, channelId, members, lineUserIds };
}

async function emit(s: QuotaSetup, recipients = s.members): Promise<string> {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId: 'WF-2026-0101',
        title: '稟議 (LINE quota)',
        url: 'https://workplace.example/wf/0101',
        recipients,
      },
    },
    s.service,
  );
  expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
  return r.data?.emitWorkflowEvent.event.id as string;
}

/** Waits until every LINE delivery of the event is SENT, FAILED or SKIPPED. */
async function settled(s: QuotaSetup, eventId: string) {
  const e = await waitFor({ admin: s.admin } as never, eventId, (x) =>
    x?.deliveries.edges.every((d: any) => ['SENT', 'FAILED', 'SKIPPED'].includes(d.node.status)),
  );
  return s.members.map((m) => byUser(e, m, 'LINE'));
}

async function pushes(s: QuotaSetup) {
  return fake(
    env.LINE_API_BASE,
    `/__fake/requests?path=/v2/bot/message/push&contains=${s.channelToken}`,
  );
}

async function quotaReads(s: QuotaSetup) {
  return fake(
    env.LINE_API_BASE,
    `/__fake/requests?path=/v2/bot/message/quota&contains=${s.channelToken}`,
  );
}

async function line(s: QuotaSetup) {
  return (await gql(QUOTA, {}, s.admin)).data?.integrations.line;
}

async function setFake(
  s: QuotaSetup,
  quota: { limit?: number | null; used?: number; month?: string },
) {
  const patch: Record<string, unknown> = {};
  if (quota.limit !== undefined) {
    patch.quotas = {
      [s.channelId]:
        quota.limit === null ? { type: 'none' } : { type: 'limited', value: quota.limit },
    };
  }
  if (quota.used !== undefined) {
    patch.consumption = {
      [s.channelId]: { totalUsage: quota.used, ...(quota.month ? { month: quota.month } : {}) },
    };
  }
  await fake(env.LINE_API_BASE, '/__fake/state', patch);
}

describe('LINE monthly quota', () => {
  it('is read on verifyIntegration and shown to admins only', async () => {
    const s = await setup({ limit: 200, used: 12 });
    // Null until first read (unless another test file's cron run just read this new tenant).
    const unread = await line(s);
    if (unread.quota !== null) expect(unread.quota).toMatchObject({ limit: 200, used: 12 });
    expect(unread.lastError).toBeNull();
    const before = Date.now();
    const v = await gql(VERIFY, {}, s.admin);
    expect(v.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: { status: 'ACTIVE', lastError: null, quota: { limit: 200, used: 12 } },
    });
    const shown = await line(s);
    expect(shown).toMatchObject({
      status: 'ACTIVE',
      lastError: null,
      quota: { limit: 200, used: 12 },
    });
    expect(Date.parse(shown.quota.checkedAt)).toBeGreaterThanOrEqual(before - 1000);
    const reads = await quotaReads(s);
    expect(reads.map((r: any) => r.path).sort()).toEqual([
      '/v2/bot/message/quota',
      '/v2/bot/message/quota/consumption',
    ]);
    expect(reads[0].headers.authorization).toBe(`Bearer ${s.channelToken}`);

    // An unlimited plan: limit null.
    await setFake(s, { limit: null });
    expect(
      (await gql(VERIFY, {}, s.admin)).data?.verifyIntegration.integration.quota,
    ).toMatchObject({ limit: null, used: 12 });

    // Another channel token may be another official account: its quota is unknown until read
    // (or, should another test file's cron run read it meanwhile, read afresh: limit 300).
    await setFake(s, { limit: 300 });
    await gql(
      `mutation ($t: String) { configureLine(input: { enabled: true, channelAccessToken: $t }) { errors { code } } }`,
      { t: s.channelToken },
      s.admin,
    );
    const forgotten = (await line(s)).quota;
    if (forgotten !== null) expect(forgotten.limit).toBe(300);

    const member = await token(s.tenant, 'user', s.members[0]);
    for (const who of [member, s.service]) {
      const r = await gql('{ integrations { line { quota { limit used } } } }', {}, who);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(r.data?.integrations ?? null).toBeNull();
    }
  });

  it('warns in lastError from 80 % used, without marking the integration ERROR', async () => {
    const s = await setup({ limit: 200, used: 159 });
    const below = (await gql(VERIFY, {}, s.admin)).data?.verifyIntegration.integration;
    expect(below).toMatchObject({ status: 'ACTIVE', lastError: null, quota: { used: 159 } });
    await setFake(s, { used: 170 });
    await gql(VERIFY, {}, s.admin);
    const warned = await line(s);
    expect(warned.status).toBe('ACTIVE');
    expect(warned.lastError).toBe(
      'LINE monthly quota: 170 of 200 messages used (85 %); pushes stop at 200 until the month turns (the 1st, Japan time) or the plan is upgraded in LINE Official Account Manager',
    );
    // Sending still works below the limit; LINE was read a moment ago, so the batch does not
    // read again (at most once a minute) and counts its push instead.
    const reads = (await quotaReads(s)).length;
    const [d] = await settled(s, await emit(s));
    expect(d).toMatchObject({ status: 'SENT' });
    expect((await line(s)).quota.used).toBe(171);
    expect(await quotaReads(s)).toHaveLength(reads);
  });

  it('ends deliveries FAILED without a push once used up, and resumes after a verification shows room', async () => {
    const s = await setup({ limit: 50, used: 50 }, 2);
    await gql(VERIFY, {}, s.admin);
    const full = await line(s);
    expect(full.status).toBe('ACTIVE');
    expect(full.lastError).toContain('LINE monthly quota used up: 50 of 50 messages used (100 %)');
    expect(full.lastError).toContain('verifyIntegration(kind: LINE)');

    const failed = await settled(s, await emit(s));
    for (const d of failed) {
      expect(d).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(d.reason).toContain(USED_UP);
      expect(d.reason).not.toMatch(/\d+ of \d+/);
    }
    expect(await pushes(s)).toHaveLength(0);
    expect(await line(s)).toMatchObject({ status: 'ACTIVE', quota: { limit: 50, used: 50 } });

    // The plan is upgraded; the admin verifies; LINE deliveries go out again.
    await setFake(s, { limit: 500 });
    const v = await gql(VERIFY, {}, s.admin);
    expect(v.data?.verifyIntegration.integration).toMatchObject({
      status: 'ACTIVE',
      lastError: null,
      quota: { limit: 500, used: 50 },
    });
    const sent = await settled(s, await emit(s));
    expect(sent.map((d) => d.status)).toEqual(['SENT', 'SENT']);
    // The quota-failed deliveries can be retried now.
    const retried = await gql(
      'mutation ($id: ID!) { retryDelivery(id: $id) { delivery { status } errors { code } } }',
      { id: failed[0].id },
      s.admin,
    );
    expect(retried.data?.retryDelivery.errors).toEqual([]);
    expect((await pushes(s)).every((p: any) => p.status === 200)).toBe(true);
  });

  it("counts its own pushes between reads and stops at the limit before LINE's 429", async () => {
    const s = await setup({ limit: 4, used: 1 }, 5);
    await gql(VERIFY, {}, s.admin);
    const ds = await settled(s, await emit(s));
    expect(ds.filter((d) => d.status === 'SENT')).toHaveLength(3);
    const failed = ds.filter((d) => d.status === 'FAILED');
    expect(failed).toHaveLength(2);
    for (const d of failed) expect(d.reason).toContain(USED_UP);
    const p = await pushes(s);
    expect(p.map((x: any) => x.status)).toEqual([200, 200, 200]);
    const after = await line(s);
    expect(after.quota).toMatchObject({ limit: 4, used: 4 });
    // Reaching the limit made the batch read LINE's own count at once, despite the verify just
    // before (2 reads each).
    await expect
      .poll(async () => (await quotaReads(s)).length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(4);
    expect(after.lastError).toContain('LINE monthly quota used up: 4 of 4 messages used (100 %)');
    expect(after.status).toBe('ACTIVE');
  });

  it('gives back room a push did not use (a rate-limited push retried)', async () => {
    const s = await setup({ limit: 2, used: 1 });
    await gql(VERIFY, {}, s.admin);
    await fake(env.LINE_API_BASE, '/__fake/script', {
      match: { path: '/v2/bot/message/push', contains: s.lineUserIds[0] },
      responses: [
        { status: 429, headers: { 'retry-after': '1' }, json: { message: 'Too many requests' } },
      ],
    });
    const id = await emit(s);
    const e = await waitFor({ admin: s.admin } as never, id, (x) =>
      ['SENT', 'FAILED'].includes(byUser(x, s.members[0] as string, 'LINE')?.status),
    );
    expect(byUser(e, s.members[0] as string, 'LINE')).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
    expect((await pushes(s)).map((p: any) => p.status)).toEqual([429, 200]);
    expect((await line(s)).quota).toMatchObject({ limit: 2, used: 2 });
  }, 20_000);

  it("takes LINE's 429 monthly limit as used up until a verification shows room", async () => {
    // Renkei has not read the quota yet: the first push learns it from LINE.
    const s = await setup({ limit: 3, used: 3 });
    const [first] = await settled(s, await emit(s));
    expect(first).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(first.reason).toContain('monthly message quota');
    expect((await pushes(s)).map((p: any) => p.status)).toEqual([429]);
    const after429 = await line(s);
    expect(after429.status).not.toBe('ERROR');
    expect(after429.lastError).toContain('You have reached your monthly limit.');

    // Nothing more goes to LINE, even though LINE's count now shows room (usage corrected).
    await setFake(s, { used: 1 });
    const [second] = await settled(s, await emit(s));
    expect(second).toMatchObject({ status: 'FAILED' });
    expect(second.reason).toContain(USED_UP);
    expect(await pushes(s)).toHaveLength(1);

    // A verification that shows room lifts it.
    await gql(VERIFY, {}, s.admin);
    expect(await line(s)).toMatchObject({ lastError: null, quota: { limit: 3, used: 1 } });
    const [third] = await settled(s, await emit(s));
    expect(third).toMatchObject({ status: 'SENT' });
  });

  it('lets pushes through again when the month turns', async () => {
    const s = await setup({ limit: 1, used: 1 });
    await gql(VERIFY, {}, s.admin);
    const [before] = await settled(s, await emit(s));
    expect(before).toMatchObject({ status: 'FAILED' });
    expect(await pushes(s)).toHaveLength(0);

    // As if that reading was taken last month (LINE month: Asia/Tokyo) and LINE has reset since.
    const lastMonth = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await (await tenantD1(s.tenant))
      .prepare(
        "update line_quotas set month = '2000-01', checked_at = ?, attempted_at = ? where tenant_id = ?",
      )
      .bind(lastMonth, lastMonth, s.tenant)
      .run();
    await setFake(s, { used: 1, month: '2000-01' });
    expect((await line(s)).lastError).toBeNull();

    const [after] = await settled(s, await emit(s));
    expect(after).toMatchObject({ status: 'SENT' });
    expect((await pushes(s)).map((p: any) => p.status)).toEqual([200]);
    // The batch that pushed read this month's figures right away.
    const shown = await line(s);
    expect(shown.quota).toMatchObject({ limit: 1, used: 1 });
    expect(Date.parse(shown.quota.checkedAt)).toBeGreaterThan(Date.parse(lastMonth));
  });

  it('is read by the daily cron, once a day per tenant', async () => {
    const s = await setup({ limit: 1000, used: 321 });
    // The loopback's scheduled() is served by workerd but missing from the generated types.
    const worker = exports.default as unknown as {
      scheduled(options: { cron: string }): Promise<unknown>;
    };
    const cron = () => worker.scheduled({ cron: '*/5 * * * *' });
    // Other test files' tenants may be due too; the cron reads a bounded chunk per run.
    for (let i = 0; i < 30 && (await line(s)).quota === null; i++) await cron();
    const first = (await line(s)).quota;
    expect(first).toMatchObject({ limit: 1000, used: 321 });
    const reads = (await quotaReads(s)).length;
    expect(reads).toBe(2);

    await setFake(s, { used: 400 });
    await cron();
    expect((await quotaReads(s)).length).toBe(reads);
    expect((await line(s)).quota.used).toBe(321);

    // A day later it is due again.
    const yesterday = new Date(Date.now() - 25 * 3_600_000).toISOString();
    await (await tenantD1(s.tenant))
      .prepare('update line_quotas set checked_at = ?, attempted_at = ? where tenant_id = ?')
      .bind(yesterday, yesterday, s.tenant)
      .run();
    for (let i = 0; i < 30 && (await line(s)).quota.used === 321; i++) await cron();
    expect((await line(s)).quota).toMatchObject({ limit: 1000, used: 400 });
  });

  it('survives bad quota answers: verify and sends work, lastError says what failed', async () => {
    const s = await setup({ limit: 100, used: 10 });
    const script = (path: string, responses: unknown[]) =>
      fake(env.LINE_API_BASE, '/__fake/script', {
        match: { path, contains: s.channelToken },
        responses,
      });

    await script('/v2/bot/message/quota/consumption', [
      { status: 500, json: { message: 'An error occurred in the server.' } },
    ]);
    const v1 = await gql(VERIFY, {}, s.admin);
    expect(v1.status).toBe(200);
    expect(v1.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: {
        status: 'ACTIVE',
        quota: null,
        lastError: expect.stringContaining('LINE 500'),
      },
    });
    expect((await line(s)).lastError).toMatch(
      /^LINE monthly quota not read: .*LINE 500.*never read/,
    );

    for (const bad of [
      { path: '/v2/bot/message/quota/consumption', body: '{"totalUsage": ' },
      { path: '/v2/bot/message/quota/consumption', json: { totalUsage: -3 } },
      { path: '/v2/bot/message/quota/consumption', json: [] },
      { path: '/v2/bot/message/quota', json: { type: 'limited', value: 'many' } },
      { path: '/v2/bot/message/quota', json: { type: 'unknown' } },
      { path: '/v2/bot/message/quota', body: '<html>oops</html>' },
    ]) {
      await script(bad.path, [
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
          ...(bad.json !== undefined ? { json: bad.json } : { body: bad.body }),
        },
      ]);
      const v = await gql(VERIFY, {}, s.admin);
      expect(v.status).toBe(200);
      expect(v.data?.verifyIntegration).toMatchObject({
        ok: true,
        errors: [],
        integration: {
          status: 'ACTIVE',
          quota: null,
          lastError: expect.stringContaining('unexpected response'),
        },
      });
    }
    expect((await line(s)).lastError).toContain('unexpected response');

    // Sends are unaffected, also when the read after sending fails (the last read attempt is
    // made old, so the batch reads).
    await (await tenantD1(s.tenant))
      .prepare(
        "update line_quotas set attempted_at = '2000-01-01T00:00:00.000Z' where tenant_id = ?",
      )
      .bind(s.tenant)
      .run();
    await script('/v2/bot/message/quota', [{ status: 503, body: 'unavailable' }]);
    const [d] = await settled(s, await emit(s));
    expect(d).toMatchObject({ status: 'SENT' });
    const failedRead = async () => (await quotaReads(s)).some((r: any) => r.status === 503);
    for (let i = 0; i < 50 && !(await failedRead()); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await failedRead()).toBe(true);

    // A good read clears it.
    const ok = await gql(VERIFY, {}, s.admin);
    expect(ok.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: { lastError: null, quota: { limit: 100, used: 11 } },
    });
  });

  it("holds a member's sendTestNotification on LINE to the used-up quota", async () => {
    const s = await setup({ limit: 10, used: 10 });
    await gql(VERIFY, {}, s.admin);
    const member = await token(s.tenant, 'user', s.members[0]);
    const r = await gql(TEST, {}, member);
    expect(r.data?.sendTestNotification.errors).toEqual([]);
    const eventId = r.data?.sendTestNotification.delivery.event.id;
    const [d] = await settled(s, eventId);
    expect(d).toMatchObject({ status: 'FAILED' });
    expect(d.reason).toContain(USED_UP);
    expect(await pushes(s)).toHaveLength(0);
    // The member sees why, but not the company's figures.
    const own = await gql(
      '{ deliveries(first: 5) { edges { node { status reason } } } }',
      {},
      member,
    );
    const mine = own.data?.deliveries.edges.map((e: any) => e.node) ?? [];
    expect(mine).toContainEqual({ status: 'FAILED', reason: expect.stringContaining(USED_UP) });
    expect(JSON.stringify(mine)).not.toContain('10 of 10');
  });
});
