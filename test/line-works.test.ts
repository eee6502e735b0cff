// Integration: LINE WORKS through the Worker's own fetch and queue, against the fake LINE WORKS
// auth and API servers on 127.0.0.1 (test/fakes/line-works.ts): service-account tokens,
// bot registration on save, bot messages, pacing under a burst, absence calendar sync.
import { createMessageBatch, createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import worker from '../src/workers/index.ts';
import type { TokenVault } from '../src/workers/token-vault.ts';
import { fake, gql, rsaKeyPair, tenantD1, tenantId, tokens } from './helpers.ts';
import { EMIT, EVENT } from './pipeline.ts';

const CONFIGURE = `mutation ($input: ConfigureLineWorksInput!) { configureLineWorks(input: $input) {
  integration { enabled status lastError botId domainId rateLimitPerMinute privateKey { configured } }
  errors { code message field } } }`;
const CALENDAR = `mutation ($input: ConfigureLineWorksCalendarInput!) {
  configureLineWorksCalendar(input: $input) { integration { enabled status } errors { code field } } }`;
const VERIFY = `mutation ($kind: IntegrationKind!) { verifyIntegration(kind: $kind) {
  ok errors { code message } integration { status lastError } } }`;
const UPSERT = `mutation ($input: AbsenceInput!) { upsertAbsence(input: $input) {
  absence { id absenceId syncStatus calendarEventId reason allDay startTime endTime timeZone user { userId } }
  errors { code message field } } }`;
const CANCEL = `mutation ($id: String!) { cancelAbsence(absenceId: $id) {
  absence { absenceId syncStatus calendarEventId reason } errors { code field } } }`;
const ABSENCES = `query ($u: String, $from: Date, $to: Date) { absences(userId: $u, from: $from, to: $to) {
  id absenceId syncStatus calendarEventId reason title startDate endDate user { userId } } }`;

const AUTH = () => env.LINE_WORKS_AUTH_BASE;
const API = () => env.LINE_WORKS_API_BASE;

interface App {
  tenant: string;
  admin: string;
  service: string;
  clientId: string;
  clientSecret: string;
  serviceAccount: string;
  domainId: string;
  privatePem: string;
}

/** A tenant and a LINE WORKS app registered in the fake (its public key, its domain). */
async function newApp(): Promise<App> {
  const tenant = tenantId('lw');
  const { admin, service } = await tokens(tenant);
  const { privatePem, publicPem } = await rsaKeyPair();
  const clientId = `client-${crypto.randomUUID()}`;
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const domainId = String(100_000_000 + Math.floor(Math.random() * 800_000_000));
  const serviceAccount = `sa-${tenant}.serviceaccount@works-${domainId}.example`;
  await fake(AUTH(), '/__fake/state', {
    apps: { [clientId]: { clientSecret, serviceAccount, publicKeyPem: publicPem, domainId } },
  });
  return { tenant, admin, service, clientId, clientSecret, serviceAccount, domainId, privatePem };
}

function configureInput(a: App, extra: Record<string, unknown> = {}) {
  return {
    enabled: true,
    domainId: a.domainId,
    adminEmail: 'admin@works.example',
    clientId: a.clientId,
    clientSecret: a.clientSecret,
    serviceAccount: a.serviceAccount,
    privateKey: a.privatePem,
    ...extra,
  };
}

async function tokenRequests(a: App) {
  return fake(AUTH(), `/__fake/requests?path=/oauth2/v2.0/token&contains=${a.clientId}`);
}

/** Token requests for the messenger (`bot`): verify also asks for `user.read` (findBindings). */
async function botTokenRequests(a: App) {
  return (await tokenRequests(a)).filter((r: any) => r.form?.scope === 'bot');
}

/** Access tokens the fake issued to this app. */
async function issuedTokens(a: App): Promise<string[]> {
  const state = await fake(AUTH(), '/__fake/state');
  return Object.entries(state.tokens as Record<string, { clientId: string }>)
    .filter(([, t]) => t.clientId === a.clientId)
    .map(([tok]) => tok);
}

/** A configured tenant with its bot, LINE WORKS rules on and `count` members. */
async function messengerTenant(count: number, extra: Record<string, unknown> = {}) {
  const a = await newApp();
  const saved = await gql(CONFIGURE, { input: configureInput(a, extra) }, a.admin);
  expect(saved.data?.configureLineWorks.errors).toEqual([]);
  const botId = saved.data?.configureLineWorks.integration.botId as string;
  await gql(
    'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE_WORKS, enabled: true }]) { errors { code } } }',
    {},
    a.admin,
  );
  const members = Array.from({ length: count }, (_, i) => `m${i}-${a.tenant}`);
  for (let i = 0; i < members.length; i += 1000) {
    const r = await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code message } } }',
      { u: members.slice(i, i + 1000).map((userId) => ({ userId })) },
      a.service,
    );
    expect(r.data?.upsertUsers.errors).toEqual([]);
  }
  return { ...a, botId, members };
}

async function emit(a: App, recipients: string[]) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId: 'WF-2026-0042',
        title: '出張申請 (大阪)',
        url: 'https://workplace.example/wf/0042',
        actorName: '山田 太郎',
        recipients,
      },
    },
    a.service,
  );
  expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
  return r.data?.emitWorkflowEvent.event.id as string;
}

const EVENT_SUMMARY = `query ($id: ID!) { workflowEvent(id: $id) {
  summary { queued sending retrying sent failed skipped } } }`;

async function waitForEvent(a: App, id: string, done: (s: any) => boolean, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const s = (await gql(EVENT_SUMMARY, { id }, a.admin)).data?.workflowEvent.summary;
    if (done(s) || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('LINE WORKS service-account token and bot registration', () => {
  it('signs the JWT the fake verifies, registers the bot on save and stores the Bot ID', async () => {
    const a = await newApp();
    const saved = await gql(CONFIGURE, { input: configureInput(a) }, a.admin);
    expect(saved.data?.configureLineWorks.errors).toEqual([]);
    const integration = saved.data?.configureLineWorks.integration;
    expect(integration).toMatchObject({
      enabled: true,
      status: 'ACTIVE',
      lastError: null,
      botId: expect.stringMatching(/^\d+$/),
      rateLimitPerMinute: 240,
    });

    const [tokenCall, ...more] = await tokenRequests(a);
    expect(more).toEqual([]);
    expect(tokenCall.form).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: a.clientId,
      client_secret: a.clientSecret,
      scope: 'bot',
    });
    expect(tokenCall.status).toBe(200);
    const claims = decodeJwt(tokenCall.form.assertion);
    expect(claims).toMatchObject({ iss: a.clientId, sub: a.serviceAccount });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);

    const [issued] = await issuedTokens(a);
    const bots = await fake(API(), `/__fake/requests?path=/v1.0/bots&contains=${issued}`);
    expect(bots.map((r: any) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1.0/bots',
      `POST /v1.0/bots/${integration.botId}/domains/${a.domainId}`,
    ]);
    expect(bots[0].json).toEqual({
      botName: 'WORKPLACE 通知',
      description: expect.stringContaining('WORKPLACE'),
      administrators: ['admin@works.example'],
    });
    expect(bots[1].json).toEqual({ visible: true });
    expect(bots[0].headers.authorization).toBe(`Bearer ${issued}`);

    // Saving again with the Bot ID known registers nothing; verify reads the bot.
    const again = await gql(CONFIGURE, { input: { enabled: true } }, a.admin);
    expect(again.data?.configureLineWorks.integration.botId).toBe(integration.botId);
    const verified = await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin);
    expect(verified.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: { status: 'ACTIVE' },
    });
    const all = await fake(API(), `/__fake/requests?path=/v1.0/bots&contains=${issued}`);
    expect(all.map((r: any) => `${r.method} ${r.path}`)).toHaveLength(2);
    // Verify checks the stored credentials: it issues a token of its own (never the cached
    // one) and reads the bot with it.
    expect(await botTokenRequests(a)).toHaveLength(2);
    const fresh = (await issuedTokens(a)).find((t) => t !== issued) as string;
    const read = await fake(API(), `/__fake/requests?path=/v1.0/bots&contains=${fresh}`);
    expect(read.map((r: any) => `${r.method} ${r.path}`)).toEqual([
      `GET /v1.0/bots/${integration.botId}`,
    ]);
  });

  it('never runs two bot registrations at once for a tenant; names the bot in its locale', async () => {
    const a = await newApp();
    const before = (await fake(API(), '/__fake/stats')).concurrentBotManagement;
    const input = configureInput(a, { locale: 'EN' });
    const [one, two] = await Promise.all([
      gql(CONFIGURE, { input }, a.admin),
      gql(CONFIGURE, { input }, a.admin),
    ]);
    expect(one.data?.configureLineWorks.errors).toEqual([]);
    expect(two.data?.configureLineWorks.errors).toEqual([]);
    expect((await fake(API(), '/__fake/stats')).concurrentBotManagement).toBe(before);
    const [issued] = await issuedTokens(a);
    const posts = await fake(
      API(),
      `/__fake/requests?path=/v1.0/bots&method=POST&contains=${issued}`,
    );
    const registrations = posts.filter((r: any) => r.path === '/v1.0/bots');
    expect(registrations).toHaveLength(1);
    expect(registrations[0].json.botName).toBe('WORKPLACE Notifications');
    expect(two.data?.configureLineWorks.integration.botId).toBe(
      one.data?.configureLineWorks.integration.botId,
    );
  });

  it('a key the app does not know is refused by the token endpoint: saved, ERROR, no bot', async () => {
    const a = await newApp();
    const other = await rsaKeyPair();
    const r = await gql(
      CONFIGURE,
      { input: configureInput(a, { privateKey: other.privatePem }) },
      a.admin,
    );
    expect(r.data?.configureLineWorks.errors).toEqual([
      { code: 'PROVIDER_REJECTED', message: expect.stringContaining('400'), field: null },
    ]);
    expect(r.data?.configureLineWorks.integration).toMatchObject({
      enabled: true,
      status: 'ERROR',
      botId: null,
      privateKey: { configured: true },
    });
    const lastError = r.data?.configureLineWorks.integration.lastError as string;
    expect(lastError).toMatch(/invalid_grant/);
    expect(lastError).not.toContain(a.clientSecret);
    const [call] = await tokenRequests(a);
    expect(call.status).toBe(400);
    // Nothing can be delivered without a bot: the route says why.
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE_WORKS, enabled: true }]) { errors { code } } }',
      {},
      a.admin,
    );
    await gql(
      'mutation { upsertUsers(users: [{ userId: "m0" }]) { errors { code } } }',
      {},
      a.service,
    );
    const id = await emit(a, ['m0']);
    const e = (await gql(EVENT, { id }, a.admin)).data?.workflowEvent;
    expect(e.deliveries.edges[0].node).toMatchObject({
      channel: 'LINE_WORKS',
      status: 'SKIPPED',
      reason: expect.stringContaining('LINE WORKS integration in ERROR'),
    });
  });
});

describe('LINE WORKS bot messages', () => {
  it('sends a localized button template to the member id, URL-encoded, with the token', async () => {
    const a = await messengerTenant(2);
    const [m0, m1] = a.members as [string, string];
    await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
      { u: [{ userId: m0, lineWorksUserId: 'taro.yamada@works.example', locale: 'EN' }] },
      a.service,
    );
    const id = await emit(a, [m0, m1]);
    const summary = await waitForEvent(a, id, (s) => s.sent === 2);
    expect(summary).toMatchObject({ sent: 2, failed: 0, skipped: 0 });

    const [issued] = await issuedTokens(a);
    const sent = await fake(
      API(),
      `/__fake/requests?path=/v1.0/bots/${a.botId}/users/&method=POST`,
    );
    expect(sent).toHaveLength(2);
    const byPath = new Map(sent.map((r: any) => [r.path, r]));
    const encoded = byPath.get(
      `/v1.0/bots/${a.botId}/users/${encodeURIComponent('taro.yamada@works.example')}/messages`,
    ) as any;
    expect(encoded).toBeTruthy();
    expect(encoded.headers.authorization).toBe(`Bearer ${issued}`);
    expect(encoded.json).toEqual({
      content: {
        type: 'button_template',
        contentText: expect.stringContaining('出張申請 (大阪)'),
        actions: [
          { type: 'uri', label: expect.any(String), uri: 'https://workplace.example/wf/0042' },
        ],
      },
    });
    const plain = byPath.get(
      `/v1.0/bots/${a.botId}/users/${encodeURIComponent(m1)}/messages`,
    ) as any;
    expect(plain.status).toBe(201);
    // Localized: the EN member and the JA member get different button labels.
    expect(encoded.json.content.actions[0].label).not.toBe(plain.json.content.actions[0].label);
  });

  it('a token expiring mid-run leads to one new token, not one per delivery', async () => {
    const a = await messengerTenant(6);
    const first = await emit(a, [a.members[0] as string]);
    expect(await waitForEvent(a, first, (s) => s.sent === 1)).toMatchObject({ sent: 1 });
    const before = await tokenRequests(a);
    const [old] = await issuedTokens(a);
    // The provider expires the token early; Renkei still believes it valid.
    await fake(AUTH(), '/__fake/state', { tokens: { [old as string]: { expiresAt: 0 } } });
    const id = await emit(a, a.members.slice(1));
    expect(await waitForEvent(a, id, (s) => s.sent === 5)).toMatchObject({ sent: 5, failed: 0 });
    expect(await tokenRequests(a)).toHaveLength(before.length + 1);
    const rejected = await fake(
      API(),
      `/__fake/requests?path=/v1.0/bots/${a.botId}/users/&contains=${old}`,
    );
    // One send before the expiry, then at most one 401 per delivery of the second event.
    const statuses = rejected.map((r: any) => r.status);
    expect(statuses[0]).toBe(201);
    expect(statuses.slice(1).every((s: number) => s === 401)).toBe(true);
    expect(statuses.length - 1).toBeLessThanOrEqual(5);
  });

  it('paces a burst of 500 deliveries under a limit the fake enforces: no 429', async () => {
    const perMinute = 400;
    const a = await messengerTenant(500, { rateLimitPerMinute: perMinute });
    const before = (await fake(API(), '/__fake/stats')).rateLimited;
    await fake(API(), '/__fake/state', { rateLimit: { perMinute } });
    try {
      const id = await emit(a, a.members);
      const summary = await waitForEvent(a, id, (s) => s.sent + s.failed === 500, 270_000);
      expect(summary).toMatchObject({ sent: 500, failed: 0, retrying: 0 });
      expect((await fake(API(), '/__fake/stats')).rateLimited).toBe(before);
      const sends = await fake(API(), `/__fake/requests?path=/v1.0/bots/${a.botId}/users/`);
      expect(sends).toHaveLength(500);
      expect(sends.every((r: any) => r.status === 201)).toBe(true);
      // 500 > perMinute: only pacing kept the fake from answering 429.
      const span = (sends.at(-1).at - sends[0].at) / 1000;
      expect(span).toBeGreaterThan(60);
    } finally {
      await fake(API(), '/__fake/state?replace=1', { rateLimit: null });
    }
  }, 300_000);
});

describe('LINE WORKS: changed credentials', () => {
  it('a new private key gets no cached token: the send fails and verify says so', async () => {
    const a = await messengerTenant(1);
    const member = a.members[0] as string;
    const ok = await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin);
    expect(ok.data?.verifyIntegration).toMatchObject({ ok: true, errors: [] });
    const first = await emit(a, [member]);
    expect(await waitForEvent(a, first, (s) => s.sent === 1)).toMatchObject({ sent: 1 });
    const sends = () => fake(API(), `/__fake/requests?path=/v1.0/bots/${a.botId}/users/`);
    const [sent] = await sends();
    const oldToken = sent.headers.authorization;

    // The admin saves a new key that the LINE WORKS app does not know (yet).
    const next = await rsaKeyPair();
    const saved = await gql(
      CONFIGURE,
      { input: { enabled: true, privateKey: next.privatePem } },
      a.admin,
    );
    expect(saved.data?.configureLineWorks.errors).toEqual([]);
    const second = await emit(a, [a.members[0] as string]);
    expect(await waitForEvent(a, second, (s) => s.sent + s.failed === 1)).toMatchObject({
      sent: 0,
      failed: 1,
    });
    expect(await sends()).toHaveLength(1);
    const refused = await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin);
    expect(refused.data?.verifyIntegration).toMatchObject({
      ok: false,
      errors: [{ code: 'PROVIDER_REJECTED' }],
      integration: { status: 'ERROR' },
    });

    // The key is registered in LINE WORKS: verify passes, the next send uses a new token.
    await fake(AUTH(), '/__fake/state', {
      apps: { [a.clientId]: { publicKeyPem: next.publicPem } },
    });
    expect(
      (await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin)).data?.verifyIntegration,
    ).toMatchObject({ ok: true, integration: { status: 'ACTIVE' } });
    const third = await emit(a, [member]);
    expect(await waitForEvent(a, third, (s) => s.sent === 1)).toMatchObject({ sent: 1 });
    const after = await sends();
    expect(after).toHaveLength(2);
    expect(after[1].headers.authorization).not.toBe(oldToken);
  });

  it('verify asks the token endpoint every time, never the cache', async () => {
    const a = await messengerTenant(1);
    const before = (await botTokenRequests(a)).length;
    for (let i = 0; i < 2; i++) {
      expect((await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin)).data?.verifyIntegration.ok).toBe(
        true,
      );
    }
    expect(await botTokenRequests(a)).toHaveLength(before + 2);
    // Saving the integration, whatever changed, drops the tenant's cached LINE WORKS tokens.
    const vault = (env.TOKEN_VAULT as unknown as DurableObjectNamespace<TokenVault>).getByName(
      `${a.tenant}:LINE_WORKS`,
    );
    expect((await vault.stats()).cached).toBeGreaterThan(0);
    const saved = await gql(
      CONFIGURE,
      { input: { enabled: true, rateLimitPerMinute: 200 } },
      a.admin,
    );
    expect(saved.data?.configureLineWorks.errors).toEqual([]);
    expect((await vault.stats()).cached).toBe(0);
    // The app's secret is changed in the console: the next verify notices at once.
    await fake(AUTH(), '/__fake/state', { apps: { [a.clientId]: { clientSecret: 'rotated' } } });
    expect(
      (await gql(VERIFY, { kind: 'LINE_WORKS' }, a.admin)).data?.verifyIntegration,
    ).toMatchObject({ ok: false, errors: [{ code: 'PROVIDER_REJECTED' }] });
  });
});

describe('LINE WORKS calendar: absences', () => {
  async function calendarTenant() {
    const a = await messengerTenant(1);
    const cal = await gql(
      CALENDAR,
      { input: { enabled: true, useMessengerCredentials: true } },
      a.admin,
    );
    expect(cal.data?.configureLineWorksCalendar.errors).toEqual([]);
    return a;
  }

  async function waitForAbsence(a: App, absenceId: string, status: string, ms = 15_000) {
    const until = Date.now() + ms;
    for (;;) {
      const list = (await gql(ABSENCES, {}, a.admin)).data?.absences ?? [];
      const found = list.find((x: any) => x.absenceId === absenceId);
      if (found?.syncStatus === status || Date.now() > until) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('create → update → cancel produce POST → PUT → DELETE with the right bodies', async () => {
    const a = await calendarTenant();
    const member = a.members[0] as string;
    const verified = await gql(VERIFY, { kind: 'LINE_WORKS_CALENDAR' }, a.admin);
    expect(verified.data?.verifyIntegration).toMatchObject({ ok: true, errors: [] });

    const absenceId = `abs-${crypto.randomUUID()}`;
    const allDay = {
      absenceId,
      userId: member,
      title: '年次有給休暇',
      startDate: '2026-12-24',
      endDate: '2026-12-25',
      allDay: true,
      note: '私用のため',
    };
    const up = await gql(UPSERT, { input: allDay }, a.service);
    expect(up.data?.upsertAbsence).toMatchObject({
      errors: [],
      absence: {
        absenceId,
        syncStatus: 'PENDING',
        timeZone: 'Asia/Tokyo',
        user: { userId: member },
      },
    });
    const synced = await waitForAbsence(a, absenceId, 'SYNCED');
    expect(synced).toMatchObject({ syncStatus: 'SYNCED', reason: null });
    const eventId = synced.calendarEventId as string;
    const path = `/v1.0/users/${encodeURIComponent(member)}/calendar/events`;
    const posts = await fake(API(), `/__fake/requests?path=${path}&method=POST`);
    expect(posts).toHaveLength(1);
    expect(posts[0].json).toEqual({
      eventComponents: [
        {
          summary: '年次有給休暇',
          description: '私用のため',
          start: { date: '2026-12-24' },
          end: { date: '2026-12-26' },
          transparency: 'OPAQUE',
          visibility: 'PUBLIC',
        },
      ],
      sendNotification: false,
    });
    const state = await fake(API(), '/__fake/state');
    expect(Object.keys(state.events[member])).toEqual([eventId]);

    // The same absence again: nothing changes, LINE WORKS is not called.
    const same = await gql(UPSERT, { input: allDay }, a.service);
    expect(same.data?.upsertAbsence.absence).toMatchObject({
      syncStatus: 'SYNCED',
      calendarEventId: eventId,
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await fake(API(), `/__fake/requests?path=${path}`)).toHaveLength(1);

    // A change: half a day, a full PUT of the event.
    const partial = {
      ...allDay,
      endDate: '2026-12-24',
      allDay: false,
      startTime: '13:00',
      endTime: '17:30',
    };
    expect((await gql(UPSERT, { input: partial }, a.service)).data?.upsertAbsence.errors).toEqual(
      [],
    );
    const updated = await waitForAbsence(a, absenceId, 'SYNCED');
    expect(updated.calendarEventId).toBe(eventId);
    const puts = await fake(API(), `/__fake/requests?path=${path}/${eventId}&method=PUT`);
    expect(puts).toHaveLength(1);
    expect(puts[0].json).toEqual({
      eventComponents: [
        {
          eventId,
          summary: '年次有給休暇',
          description: '私用のため',
          start: { dateTime: '2026-12-24T13:00:00', timeZone: 'Asia/Tokyo' },
          end: { dateTime: '2026-12-24T17:30:00', timeZone: 'Asia/Tokyo' },
          transparency: 'OPAQUE',
          visibility: 'PUBLIC',
        },
      ],
      sendNotification: false,
    });

    const cancel = await gql(CANCEL, { id: absenceId }, a.service);
    expect(cancel.data?.cancelAbsence.errors).toEqual([]);
    const cancelled = await waitForAbsence(a, absenceId, 'CANCELLED');
    expect(cancelled).toMatchObject({ syncStatus: 'CANCELLED', calendarEventId: null });
    const deletes = await fake(API(), `/__fake/requests?path=${path}/${eventId}&method=DELETE`);
    expect(deletes.map((r: any) => r.status)).toEqual([204]);
    expect((await fake(API(), '/__fake/state')).events[member]).toEqual({});
    // Every calendar call used a `calendar` token.
    const calls = await tokenRequests(a);
    expect(calls.map((c: any) => c.form.scope).sort()).toEqual(['bot', 'calendar']);

    // A member sees their own absences only.
    const mine = await gql(ABSENCES, {}, (await tokens(a.tenant)).user);
    expect(mine.data?.absences).toEqual([]);
  });

  /**
   * Runs the queue consumer on one calendar job for the absence row, as another consumer
   * invocation would (a redelivery, the sweeper's copy), alongside the queue's own deliveries.
   */
  async function consume(tenant: string, absenceId: string) {
    const row = await (await tenantD1(tenant))
      .prepare('select id from absences where tenant_id = ? and absence_id = ?')
      .bind(tenant, absenceId)
      .first<{ id: string }>();
    const absenceRowId = row?.id as string;
    const batch = createMessageBatch('renkei-deliveries', [
      {
        id: `job-${crypto.randomUUID()}`,
        timestamp: new Date(),
        attempts: 1,
        body: { kind: 'absence', tenantId: tenant, absenceRowId },
      },
    ]);
    await worker.queue(batch as MessageBatch<any>, env);
  }

  /** The events the fake holds in `member`'s calendar. */
  async function eventsOf(member: string): Promise<Record<string, any>> {
    return (await fake(API(), '/__fake/state')).events[member] ?? {};
  }

  /** Waits until the absence is settled and no calendar call for `member` is still to come. */
  async function settled(a: App, absenceId: string, status: string, member: string) {
    const path = `/v1.0/users/${encodeURIComponent(member)}/calendar/events`;
    let last = -1;
    for (let i = 0; i < 100; i++) {
      const row = await waitForAbsence(a, absenceId, status);
      const calls = (await fake(API(), `/__fake/requests?path=${path}`)).length;
      if (row?.syncStatus === status && calls === last) return row;
      last = calls;
      await new Promise((r) => setTimeout(r, 1500));
    }
    throw new Error(`absence ${absenceId} never settled as ${status}`);
  }

  it('many concurrent upserts, redeliveries and a cancel of one absence: one event, then none', async () => {
    const a = await calendarTenant();
    const member = a.members[0] as string;
    const absenceId = `abs-${crypto.randomUUID()}`;
    const base = {
      absenceId,
      userId: member,
      title: '年次有給休暇',
      startDate: '2026-12-24',
      endDate: '2026-12-25',
      allDay: true,
    };
    // Calendar creates take a while, so jobs overlap.
    const path = `/v1.0/users/${encodeURIComponent(member)}/calendar/events`;
    await fake(API(), '/__fake/script', {
      match: { path, method: 'POST' },
      responses: Array.from({ length: 3 }, () => ({ delayMs: 700 })),
    });
    // WORKPLACE retries and changes the absence, all at once; the queue redelivers its jobs.
    await gql(UPSERT, { input: base }, a.service);
    const redeliver = () => consume(a.tenant, absenceId);
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        gql(
          UPSERT,
          { input: { ...base, title: `休暇 ${i % 4}`, note: i % 3 ? null : 'x' } },
          a.service,
        ),
      ),
      ...Array.from({ length: 6 }, redeliver),
    ]);
    const synced = await settled(a, absenceId, 'SYNCED', member);
    const events = await eventsOf(member);
    expect(Object.keys(events)).toEqual([synced.calendarEventId]);
    // The event shows the state the absence ended in.
    expect(events[synced.calendarEventId].eventComponents[0].summary).toBe(synced.title);

    // A cancel while a change is being written, a re-upsert and a cancel again, redeliveries.
    await fake(API(), '/__fake/script', {
      match: { path, method: 'PUT' },
      responses: [{ delayMs: 700 }],
    });
    await gql(UPSERT, { input: { ...base, title: '振替休日' } }, a.service);
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([
      gql(CANCEL, { id: absenceId }, a.service),
      gql(UPSERT, { input: { ...base, title: '特別休暇' } }, a.service),
      redeliver(),
    ]);
    await gql(CANCEL, { id: absenceId }, a.service);
    await redeliver();
    const cancelled = await settled(a, absenceId, 'CANCELLED', member);
    expect(cancelled.calendarEventId).toBeNull();
    expect(await eventsOf(member)).toEqual({});
  }, 60_000);

  it('concurrent first upserts of one absence: each caller gets its own change, one event', async () => {
    const a = await calendarTenant();
    const [member] = a.members as [string];
    const absenceId = `abs-${crypto.randomUUID()}`;
    const day = { startDate: '2026-12-21', endDate: '2026-12-21', allDay: true };
    const titles = ['休暇 A', '休暇 B', '休暇 C', '休暇 D'];
    const answers = await Promise.all(
      titles.map((title) =>
        gql(
          'mutation ($input: AbsenceInput!) { upsertAbsence(input: $input) { absence { title } errors { code } } }',
          { input: { absenceId, userId: member, title, ...day } },
          a.service,
        ),
      ),
    );
    // No caller is told its change was stored while another's was kept instead.
    expect(answers.map((r) => r.data?.upsertAbsence.absence?.title)).toEqual(titles);
    const synced = await settled(a, absenceId, 'SYNCED', member);
    expect(titles).toContain(synced.title);
    const events = await eventsOf(member);
    expect(Object.keys(events)).toEqual([synced.calendarEventId]);
    expect(events[synced.calendarEventId].eventComponents[0].summary).toBe(synced.title);
  }, 60_000);

  it('a cancel while the create is in flight leaves no event at LINE WORKS', async () => {
    const a = await calendarTenant();
    const member = a.members[0] as string;
    const absenceId = `abs-${crypto.randomUUID()}`;
    const path = `/v1.0/users/${encodeURIComponent(member)}/calendar/events`;
    await fake(API(), '/__fake/script', {
      match: { path, method: 'POST' },
      responses: [{ delayMs: 1500 }],
    });
    const input = {
      absenceId,
      userId: member,
      title: '年次有給休暇',
      startDate: '2026-12-28',
      endDate: '2026-12-28',
      allDay: true,
    };
    await gql(UPSERT, { input }, a.service);
    // Wait until the create is on its way to LINE WORKS, then cancel; another consumer
    // invocation picks the cancel up at once, while the create is still in flight.
    for (let i = 0; i < 50; i++) {
      if ((await fake(API(), `/__fake/requests?path=${path}&method=POST`)).length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancel = await gql(CANCEL, { id: absenceId }, a.service);
    expect(cancel.data?.cancelAbsence.absence.syncStatus).toBe('PENDING');
    await consume(a.tenant, absenceId);
    const cancelled = await settled(a, absenceId, 'CANCELLED', member);
    expect(cancelled.calendarEventId).toBeNull();
    expect(await eventsOf(member)).toEqual({});
    const calls = await fake(API(), `/__fake/requests?path=${path}`);
    expect(calls.map((c: any) => `${c.method} ${c.status}`)).toEqual(['POST 201', 'DELETE 204']);
  }, 60_000);

  it('the sweeper leaves an absence a job holds, and picks it up once the lease is over', async () => {
    const a = await calendarTenant();
    const member = a.members[0] as string;
    const absenceId = `abs-${crypto.randomUUID()}`;
    const input = {
      absenceId,
      userId: member,
      title: '夏季休暇',
      startDate: '2026-08-10',
      endDate: '2026-08-12',
      allDay: true,
    };
    await gql(UPSERT, { input }, a.service);
    await settled(a, absenceId, 'SYNCED', member);
    const path = `/v1.0/users/${encodeURIComponent(member)}/calendar/events`;
    const before = (await fake(API(), `/__fake/requests?path=${path}`)).length;
    // As if a job had claimed a change and the worker died: PENDING, overdue, still leased.
    const old = new Date(Date.now() - 3_600_000).toISOString();
    const d1 = await tenantD1(a.tenant);
    const hold = (until: string) =>
      d1
        .prepare(
          "update absences set sync_status = 'PENDING', title = ?, version = version + 1, due_at = ?, claim_id = 'dead-job', lease_until = ? where tenant_id = ? and absence_id = ?",
        )
        .bind('夏季休暇 (延長)', old, until, a.tenant, absenceId)
        .run();
    await hold(new Date(Date.now() + 60_000).toISOString());
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    await new Promise((r) => setTimeout(r, 1500));
    const held = await d1
      .prepare(
        'select sync_status, due_at, claim_id from absences where tenant_id = ? and absence_id = ?',
      )
      .bind(a.tenant, absenceId)
      .first();
    expect(held).toEqual({ sync_status: 'PENDING', due_at: old, claim_id: 'dead-job' });
    expect(await fake(API(), `/__fake/requests?path=${path}`)).toHaveLength(before);
    // The lease ran out: the sweeper re-enqueues it and a new job brings the change over.
    await hold(new Date(Date.now() - 1000).toISOString());
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    const synced = await settled(a, absenceId, 'SYNCED', member);
    const events = await eventsOf(member);
    expect(Object.keys(events)).toEqual([synced.calendarEventId]);
    expect(events[synced.calendarEventId].eventComponents[0].summary).toBe('夏季休暇 (延長)');
  }, 60_000);

  it('skips absences when the calendar is disabled, validates input, finds by range', async () => {
    const a = await messengerTenant(1);
    const member = a.members[0] as string;
    const r = await gql(
      UPSERT,
      {
        input: {
          absenceId: 'a1',
          userId: member,
          title: '出張',
          startDate: '2026-12-01',
          endDate: '2026-12-02',
          allDay: true,
        },
      },
      a.service,
    );
    expect(r.data?.upsertAbsence.absence).toMatchObject({
      syncStatus: 'SKIPPED',
      reason: 'LINE WORKS calendar integration is disabled',
    });
    const bad = await gql(
      UPSERT,
      {
        input: {
          absenceId: 'a2',
          userId: member,
          title: 'x',
          startDate: '2026-12-03',
          endDate: '2026-12-02',
          allDay: false,
          startTime: '25:00',
          timeZone: 'Mars/Olympus',
        },
      },
      a.service,
    );
    expect(bad.data?.upsertAbsence.errors.map((e: any) => e.field.join('.')).sort()).toEqual([
      'input.endDate',
      'input.endTime',
      'input.startTime',
      'input.timeZone',
    ]);
    const unknown = await gql(
      UPSERT,
      {
        input: {
          absenceId: 'a3',
          userId: 'ghost',
          title: 'x',
          startDate: '2026-12-03',
          endDate: '2026-12-03',
          allDay: true,
        },
      },
      a.service,
    );
    expect(unknown.data?.upsertAbsence.errors).toEqual([
      { code: 'NOT_FOUND', message: expect.stringContaining('ghost'), field: ['input', 'userId'] },
    ]);
    const asAdmin = await gql(CANCEL, { id: 'a1' }, a.admin);
    expect(asAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const inRange = await gql(
      ABSENCES,
      { u: member, from: '2026-12-02', to: '2026-12-31' },
      a.admin,
    );
    expect(inRange.data?.absences.map((x: any) => x.absenceId)).toEqual(['a1']);
    const outside = await gql(ABSENCES, { from: '2026-12-03' }, a.admin);
    expect(outside.data?.absences).toEqual([]);
    const mine = await gql(ABSENCES, {}, (await tokens(a.tenant)).user);
    expect(mine.data?.absences).toEqual([]);
  });
});
