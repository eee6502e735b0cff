// Unit: the LINE WORKS adapter functions against the LINE WORKS fake on 127.0.0.1
// (token endpoint, bot messages, bot registration, calendar). Every test uses its own app,
// bot and member ids, and scripts only paths that contain them: the fake is shared.
import { env } from 'cloudflare:workers';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addBotToDomain,
  createCalendarEvent,
  deleteCalendarEvent,
  fetchLineWorksToken,
  getBot,
  isPkcs8Pem,
  type LineWorksAbsence,
  lineWorksAdapter,
  readRateLimitHeaders,
  registerBot,
  signServiceAccountJwt,
  updateCalendarEvent,
  validatePrivateKey,
} from '../../src/adapters/line-works/index.ts';
import type { Notification } from '../../src/adapters/types.ts';
import { fake, type FakeRequest as Recorded, rsaKeyPair, toPem } from '../helpers.ts';

const AUTH = env.LINE_WORKS_AUTH_BASE;
const control = (path: string, body?: unknown) => fake(env.LINE_WORKS_API_BASE, path, body);
const API = env.LINE_WORKS_API_BASE;

const requests = (path: string): Promise<Recorded[]> =>
  control(`/__fake/requests?path=${encodeURIComponent(path)}`);

const script = (
  match: { path?: string; contains?: string; method?: string },
  responses: unknown[],
) => control('/__fake/script', { match, responses });

const uid = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;

let keys: { privatePem: string; publicPem: string };
let otherKeys: { privatePem: string; publicPem: string };

beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);
});

interface App {
  clientId: string;
  clientSecret: string;
  serviceAccount: string;
  domainId: string;
}

/** Registers a fresh app in the fake (its public key = `keys.publicPem`). */
async function newApp(publicKeyPem = keys.publicPem): Promise<App> {
  const app = {
    clientId: uid('client-'),
    clientSecret: uid('SECRET-'),
    serviceAccount: `${uid('sa')}.serviceaccount@example.test`,
    domainId: String(10_000_000 + Math.floor(Math.random() * 1_000_000)),
  };
  await control('/__fake/state', {
    apps: {
      [app.clientId]: {
        clientSecret: app.clientSecret,
        serviceAccount: app.serviceAccount,
        publicKeyPem,
        domainId: app.domainId,
      },
    },
  });
  return app;
}

async function accessToken(app: App, scopes = ['bot', 'calendar']): Promise<string> {
  const r = await fetchLineWorksToken({
    authBase: AUTH,
    ...app,
    privateKeyPem: keys.privatePem,
    scopes,
    timeoutMs: 5000,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.accessToken;
}

/** A bot known to the fake, added to the app's domain. */
async function newBot(app: App): Promise<string> {
  const botId = String(5_000_000 + Math.floor(Math.random() * 4_000_000));
  await control('/__fake/state', {
    bots: { [botId]: { botName: 'Renkei', administrators: [], domains: [app.domainId] } },
  });
  return botId;
}

const notification = (over: Partial<Notification> = {}): Notification => ({
  type: 'APPROVAL_REQUESTED',
  locale: 'JA',
  documentId: 'doc-1',
  title: '経費精算 2026年11月',
  url: 'https://workplace.test/docs/doc-1',
  actorName: '山田 太郎',
  comment: 'ご確認ください',
  ...over,
});

describe('service-account JWT', () => {
  it('signs RS256 with iss, sub, iat and exp = iat + 3600', async () => {
    const now = Date.UTC(2026, 10, 28, 3, 0, 0);
    const jwt = await signServiceAccountJwt({
      clientId: 'cid',
      serviceAccount: 'x.serviceaccount@example.test',
      privateKeyPem: keys.privatePem,
      now,
    });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(jwt, await importSPKI(keys.publicPem, 'RS256'), {
      currentDate: new Date(now),
    });
    expect(payload).toEqual({
      iss: 'cid',
      sub: 'x.serviceaccount@example.test',
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    expect(jwt.split('.').every((part) => /^[A-Za-z0-9_-]+$/.test(part))).toBe(true);
  });

  it('accepts a key pasted with CRLF line breaks and surrounding blanks', async () => {
    const pasted = `\n  ${keys.privatePem.replaceAll('\n', '\r\n')}  \n`;
    const jwt = await signServiceAccountJwt({
      clientId: 'c',
      serviceAccount: 's',
      privateKeyPem: pasted,
    });
    await expect(jwtVerify(jwt, await importSPKI(keys.publicPem, 'RS256'))).resolves.toBeTruthy();
  });
});

describe('private key validation', () => {
  it('accepts a PKCS#8 RSA key', async () => {
    expect(isPkcs8Pem(keys.privatePem)).toBe(true);
    expect(await validatePrivateKey(keys.privatePem)).toEqual({ ok: true });
  });

  it('rejects PKCS#1, public keys, garbage and non-RSA keys without echoing them', async () => {
    const body = keys.privatePem.split('\n').slice(1, -2).join('\n');
    const pkcs1 = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
    expect(isPkcs8Pem(pkcs1)).toBe(false);
    const r1 = await validatePrivateKey(pkcs1);
    expect(r1).toMatchObject({ ok: false, reason: expect.stringContaining('PKCS#1') });
    expect(JSON.stringify(r1)).not.toContain(body.slice(0, 40));

    expect(isPkcs8Pem(keys.publicPem)).toBe(false);
    expect((await validatePrivateKey(keys.publicPem)).ok).toBe(false);
    expect(isPkcs8Pem('-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----')).toBe(
      false,
    );
    expect((await validatePrivateKey('hello')).ok).toBe(false);

    const ec = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const ecPem = toPem(
      'PRIVATE KEY',
      (await crypto.subtle.exportKey('pkcs8', ec.privateKey)) as ArrayBuffer,
    );
    expect(isPkcs8Pem(ecPem)).toBe(true);
    expect(await validatePrivateKey(ecPem)).toMatchObject({ ok: false });
  });
});

describe('fetchLineWorksToken', () => {
  it('posts the JWT-bearer form and returns the token with its expiry', async () => {
    const app = await newApp();
    const before = Date.now();
    const r = await fetchLineWorksToken({
      authBase: AUTH,
      ...app,
      privateKeyPem: keys.privatePem,
      scopes: ['bot', 'calendar'],
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: true, scope: 'bot calendar' });
    if (!r.ok) return;
    expect(r.accessToken).toMatch(/^lwat-/);
    // The fake answers expires_in as the string "3600".
    expect(r.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
    expect(r.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);

    const [req] = (await requests('/oauth2/v2.0/token')).filter(
      (x) => x.form?.client_id === app.clientId,
    );
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(Object.keys(req?.form ?? {}).sort()).toEqual([
      'assertion',
      'client_id',
      'client_secret',
      'grant_type',
      'scope',
    ]);
    expect(req?.form).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: 'bot calendar',
    });
    expect(req?.body).toContain('scope=bot+calendar');
    const assertion = req?.form?.assertion as string;
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: app.clientId, sub: app.serviceAccount });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('reports a key the token endpoint rejects as permanent, without secrets', async () => {
    const app = await newApp(otherKeys.publicPem);
    const r = await fetchLineWorksToken({
      authBase: AUTH,
      ...app,
      privateKeyPem: keys.privatePem,
      scopes: ['bot'],
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, retryable: false, status: 400 });
    if (r.ok) return;
    expect(r.reason).toContain('invalid_grant');
    expect(r.reason).not.toContain(app.clientSecret);
    const [req] = (await requests('/oauth2/v2.0/token')).filter(
      (x) => x.form?.client_id === app.clientId,
    );
    expect(r.reason).not.toContain(req?.form?.assertion as string);
  });

  it('reports a wrong client secret as permanent', async () => {
    const app = await newApp();
    const wrong = uid('WRONG-');
    const r = await fetchLineWorksToken({
      authBase: AUTH,
      ...app,
      clientSecret: wrong,
      privateKeyPem: keys.privatePem,
      scopes: ['bot'],
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, retryable: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain(wrong);
  });

  it('does not call the endpoint with an unusable key', async () => {
    const r = await fetchLineWorksToken({
      authBase: AUTH,
      clientId: uid('client-'),
      clientSecret: 's',
      serviceAccount: 'sa',
      privateKeyPem: 'not a key',
      scopes: ['bot'],
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, retryable: false });
  });

  it('treats 5xx and timeouts as retryable', async () => {
    const app = await newApp();
    await script({ path: '/oauth2/v2.0/token', contains: app.clientId }, [
      { status: 503, json: { code: 'SERVICE_UNAVAILABLE', description: 'try later' } },
      { hang: true },
    ]);
    const input = {
      authBase: AUTH,
      ...app,
      privateKeyPem: keys.privatePem,
      scopes: ['bot'],
      timeoutMs: 300,
    };
    expect(await fetchLineWorksToken(input)).toMatchObject({
      ok: false,
      retryable: true,
      status: 503,
    });
    const timedOut = await fetchLineWorksToken(input);
    expect(timedOut).toMatchObject({ ok: false, retryable: true });
    expect(timedOut.ok ? '' : timedOut.reason).toContain('timed out');
  });
});

describe('bot registration', () => {
  it('registers a bot, adds it to the domain and reads it back', async () => {
    const app = await newApp();
    const token = await accessToken(app, ['bot']);
    const botName = uid('Renkei ');
    const reg = await registerBot({
      apiBase: API,
      accessToken: token,
      botName,
      description: 'WORKPLACE notifications',
      adminEmail: 'admin@example.test',
      photoUrl: 'https://renkei.test/bot.png',
    });
    expect(reg).toMatchObject({ ok: true, botName });
    if (!reg.ok) return;
    expect(reg.botId).toMatch(/^\d+$/);
    const [post] = (await requests('/v1.0/bots')).filter(
      (x) => x.method === 'POST' && x.json?.botName === botName,
    );
    expect(post?.path).toBe('/v1.0/bots');
    expect(post?.headers.authorization).toBe(`Bearer ${token}`);
    expect(post?.json).toEqual({
      botName,
      description: 'WORKPLACE notifications',
      administrators: ['admin@example.test'],
      photoUrl: 'https://renkei.test/bot.png',
    });

    const added = await addBotToDomain({
      apiBase: API,
      accessToken: token,
      botId: reg.botId,
      domainId: app.domainId,
    });
    expect(added).toEqual({ ok: true });
    const [domain] = await requests(`/v1.0/bots/${reg.botId}/domains/${app.domainId}`);
    expect(domain?.method).toBe('POST');
    expect(domain?.json).toEqual({ visible: true });

    const got = await getBot({ apiBase: API, accessToken: token, botId: reg.botId });
    expect(got).toMatchObject({ ok: true, botId: reg.botId, botName });
  });

  it('reports an unknown bot and a missing scope', async () => {
    const app = await newApp();
    const token = await accessToken(app, ['bot']);
    const missing = await getBot({ apiBase: API, accessToken: token, botId: '999999999' });
    expect(missing).toMatchObject({ ok: false, status: 404, code: 'NOT_FOUND', retryable: false });

    const calendarOnly = await accessToken(app, ['calendar']);
    const forbidden = await registerBot({
      apiBase: API,
      accessToken: calendarOnly,
      botName: 'x',
      description: 'x',
      adminEmail: 'admin@example.test',
    });
    expect(forbidden).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
    expect(JSON.stringify(forbidden)).not.toContain(calendarOnly);
  });
});

describe('lineWorksAdapter.send', () => {
  async function setup() {
    const app = await newApp();
    const token = await accessToken(app);
    const botId = await newBot(app);
    return { app, token, botId };
  }

  const send = (
    s: { token: string; botId: string },
    userId: string,
    message = notification(),
    timeoutMs = 5000,
  ) =>
    lineWorksAdapter.send({
      base: API,
      credentials: { accessToken: s.token, botId: s.botId },
      target: { userId },
      message,
      deliveryId: uid('dlv-'),
      timeoutMs,
    });

  it('posts a localized button template to the member (201 → sent)', async () => {
    const s = await setup();
    const userId = `${uid('taro+')}@example.test`;
    expect(lineWorksAdapter.channel).toBe('LINE_WORKS');
    expect(await send(s, userId)).toEqual({ kind: 'sent' });

    const [req] = await requests(`/v1.0/bots/${s.botId}/users/`);
    expect(req?.method).toBe('POST');
    // The member id is URL-encoded into the path ('+' and '@' included).
    expect(req?.path).toBe(`/v1.0/bots/${s.botId}/users/${encodeURIComponent(userId)}/messages`);
    expect(req?.path).toContain('%2B');
    expect(req?.path).toContain('%40');
    expect(req?.headers.authorization).toBe(`Bearer ${s.token}`);
    expect(req?.headers['content-type']).toContain('application/json');
    expect(req?.status).toBe(201);
    expect(req?.json).toEqual({
      content: {
        type: 'button_template',
        contentText: expect.stringContaining('承認依頼: 経費精算 2026年11月'),
        actions: [{ type: 'uri', label: '文書を開く', uri: 'https://workplace.test/docs/doc-1' }],
      },
    });
    expect(req?.json.content.contentText).toContain('山田 太郎');
    expect(req?.json.content.contentText).toContain('ご確認ください');
  });

  it('renders other locales and cuts contentText to 1,000 characters', async () => {
    const s = await setup();
    const userId = uid('member-');
    const comment = '😀'.repeat(1200);
    const r = await send(s, userId, notification({ locale: 'EN', comment }));
    expect(r).toEqual({ kind: 'sent' });
    const [req] = await requests(`/users/${userId}/messages`);
    const content = req?.json.content;
    expect(content.actions[0].label).toBe('Open document');
    expect(content.contentText.startsWith('Approval requested: ')).toBe(true);
    expect(content.contentText.length).toBeLessThanOrEqual(1000);
    expect(content.contentText.endsWith('…')).toBe(true);
    // No lone surrogate at the cut.
    expect(content.contentText).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('401: retry, UNAUTHORIZED, and tells the caller to drop the token', async () => {
    const s = await setup();
    const r = await send({ ...s, token: 'lwat-revoked-token' }, uid('m-'));
    expect(r).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('UNAUTHORIZED'),
      learned: { tokenRejected: 'true' },
    });
    expect(JSON.stringify(r)).not.toContain('lwat-revoked-token');
  });

  it('429: retry after rateLimit-reset', async () => {
    const s = await setup();
    const userId = uid('m-');
    await script({ path: `/users/${userId}/messages` }, [
      {
        status: 429,
        headers: { 'rateLimit-limit': '240', 'rateLimit-remaining': '0', 'rateLimit-reset': '17' },
        json: { code: 'TOO_MANY_REQUESTS', description: 'Too many requests' },
      },
      { status: 429, json: { code: 'TOO_MANY_REQUESTS' } },
    ]);
    expect(await send(s, userId)).toMatchObject({ kind: 'retry', afterSeconds: 17 });
    const bare = await send(s, userId);
    expect(bare).toMatchObject({ kind: 'retry' });
    expect(bare).not.toHaveProperty('afterSeconds');
  });

  it('5xx, resets and timeouts: retry', async () => {
    const s = await setup();
    const userId = uid('m-');
    await script({ path: `/users/${userId}/messages` }, [
      { status: 500, json: { code: 'INTERNAL_SERVER_ERROR', description: 'oops' } },
      { reset: true },
      { hang: true },
    ]);
    expect(await send(s, userId)).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('500'),
    });
    expect(await send(s, userId)).toMatchObject({ kind: 'retry' });
    expect(await send(s, userId, notification(), 300)).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('timed out'),
    });
  });

  it('403 (missing scope): failed for the integration', async () => {
    const s = await setup();
    const calendarOnly = await accessToken(s.app, ['calendar']);
    expect(await send({ ...s, token: calendarOnly }, uid('m-'))).toMatchObject({
      kind: 'failed',
      scope: 'integration',
      reason: expect.stringContaining('FORBIDDEN'),
    });
  });

  it('404: unknown bot → integration, unknown member → recipient', async () => {
    const s = await setup();
    expect(await send({ ...s, botId: '999999998' }, uid('m-'))).toMatchObject({
      kind: 'failed',
      scope: 'integration',
    });
    const userId = uid('gone-');
    await script({ path: `/users/${userId}/messages` }, [
      { status: 404, json: { code: 'NOT_FOUND', description: 'The user does not exist' } },
    ]);
    expect(await send(s, userId)).toMatchObject({ kind: 'failed', scope: 'recipient' });
  });

  it('400: failed for the message', async () => {
    const s = await setup();
    const userId = uid('m-');
    await script({ path: `/users/${userId}/messages` }, [
      { status: 400, json: { code: 'INVALID_PARAMETER', description: 'content is required' } },
    ]);
    expect(await send(s, userId)).toMatchObject({
      kind: 'failed',
      scope: 'message',
      reason: expect.stringContaining('INVALID_PARAMETER'),
    });
  });
});

describe('readRateLimitHeaders', () => {
  it('reads the three headers case-insensitively', () => {
    const h = new Headers({
      'RateLimit-Limit': '240',
      'ratelimit-remaining': '3',
      'rateLimit-reset': '42',
    });
    expect(readRateLimitHeaders(h)).toEqual({ limit: 240, remaining: 3, resetSeconds: 42 });
    expect(readRateLimitHeaders(new Headers())).toEqual({});
  });
});

describe('calendar', () => {
  async function setup() {
    const app = await newApp();
    const token = await accessToken(app, ['calendar']);
    return { token, userId: `${uid('hanako')}@example.test` };
  }

  const allDay: LineWorksAbsence = {
    title: '有給休暇',
    startDate: '2026-12-30',
    endDate: '2026-12-31',
    allDay: true,
    timeZone: 'Asia/Tokyo',
    note: '年末休暇',
  };

  it('creates an all-day absence ending the day after its last day', async () => {
    const s = await setup();
    const r = await createCalendarEvent({
      apiBase: API,
      accessToken: s.token,
      userId: s.userId,
      absence: allDay,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: true, eventId: expect.any(String) });
    const [req] = await requests(`/v1.0/users/${encodeURIComponent(s.userId)}/calendar/events`);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1.0/users/${encodeURIComponent(s.userId)}/calendar/events`);
    expect(req?.headers.authorization).toBe(`Bearer ${s.token}`);
    expect(req?.json).toEqual({
      eventComponents: [
        {
          summary: '有給休暇',
          description: '年末休暇',
          start: { date: '2026-12-30' },
          end: { date: '2027-01-01' },
          transparency: 'OPAQUE',
          visibility: 'PUBLIC',
        },
      ],
      sendNotification: false,
    });
  });

  it('creates a partial-day absence, replaces it with PUT and deletes it', async () => {
    const s = await setup();
    const partial: LineWorksAbsence = {
      title: '通院',
      startDate: '2026-12-24',
      endDate: '2026-12-24',
      allDay: false,
      startTime: '09:00',
      endTime: '12:30',
      timeZone: 'Asia/Tokyo',
    };
    const base = { apiBase: API, accessToken: s.token, userId: s.userId, timeoutMs: 5000 };
    const created = await createCalendarEvent({ ...base, absence: partial });
    if (!created.ok) throw new Error(created.reason);
    const path = `/v1.0/users/${encodeURIComponent(s.userId)}/calendar/events`;
    const [post] = await requests(path);
    expect(post?.json.eventComponents[0]).toEqual({
      summary: '通院',
      start: { dateTime: '2026-12-24T09:00:00', timeZone: 'Asia/Tokyo' },
      end: { dateTime: '2026-12-24T12:30:00', timeZone: 'Asia/Tokyo' },
      transparency: 'OPAQUE',
      visibility: 'PUBLIC',
    });

    const updated = await updateCalendarEvent({
      ...base,
      eventId: created.eventId,
      absence: { ...partial, title: '通院（変更）', endTime: '13:00' },
    });
    expect(updated).toEqual({ ok: true });
    const [put] = (await requests(`${path}/${created.eventId}`)).filter((x) => x.method === 'PUT');
    expect(put?.json).toEqual({
      eventComponents: [
        {
          eventId: created.eventId,
          summary: '通院（変更）',
          start: { dateTime: '2026-12-24T09:00:00', timeZone: 'Asia/Tokyo' },
          end: { dateTime: '2026-12-24T13:00:00', timeZone: 'Asia/Tokyo' },
          transparency: 'OPAQUE',
          visibility: 'PUBLIC',
        },
      ],
      sendNotification: false,
    });

    expect(await deleteCalendarEvent({ ...base, eventId: created.eventId })).toEqual({
      ok: true,
      alreadyGone: false,
    });
    // 404 on delete: already gone, which is what was wanted.
    expect(await deleteCalendarEvent({ ...base, eventId: created.eventId })).toEqual({
      ok: true,
      alreadyGone: true,
    });
    const deletes = (await requests(`${path}/${created.eventId}`)).filter(
      (x) => x.method === 'DELETE',
    );
    expect(deletes.map((x) => x.status)).toEqual([204, 404]);
  });

  it('classifies failures like message sends', async () => {
    const s = await setup();
    const base = { apiBase: API, userId: s.userId, timeoutMs: 5000 };
    const rejected = await createCalendarEvent({
      ...base,
      accessToken: 'lwat-nope',
      absence: allDay,
    });
    expect(rejected).toMatchObject({
      ok: false,
      retryable: true,
      tokenRejected: true,
      status: 401,
      reason: expect.stringContaining('UNAUTHORIZED'),
    });

    await script({ path: `/users/${encodeURIComponent(s.userId)}/calendar/events` }, [
      { status: 429, headers: { 'rateLimit-reset': '5' }, json: { code: 'TOO_MANY_REQUESTS' } },
      { status: 502, body: 'bad gateway' },
    ]);
    expect(
      await createCalendarEvent({ ...base, accessToken: s.token, absence: allDay }),
    ).toMatchObject({
      ok: false,
      retryable: true,
      afterSeconds: 5,
    });
    expect(
      await createCalendarEvent({ ...base, accessToken: s.token, absence: allDay }),
    ).toMatchObject({
      ok: false,
      retryable: true,
      status: 502,
    });

    const missing = await updateCalendarEvent({
      ...base,
      accessToken: s.token,
      eventId: 'no-such-event',
      absence: allDay,
    });
    expect(missing).toMatchObject({
      ok: false,
      retryable: false,
      status: 404,
      code: 'NOT_FOUND',
      scope: 'message',
      reason: expect.stringContaining('no longer exists'),
    });

    const gone = `${uid('gone')}@example.test`;
    await script({ path: `/users/${encodeURIComponent(gone)}/calendar/events` }, [
      { status: 404, json: { code: 'NOT_FOUND', description: 'The user does not exist' } },
    ]);
    expect(
      await createCalendarEvent({ ...base, userId: gone, accessToken: s.token, absence: allDay }),
    ).toMatchObject({ ok: false, retryable: false, status: 404, scope: 'recipient' });

    const botToken = await accessToken(await newApp(), ['bot']);
    expect(
      await createCalendarEvent({ ...base, accessToken: botToken, absence: allDay }),
    ).toMatchObject({
      ok: false,
      retryable: false,
      status: 403,
      scope: 'integration',
    });
  });

  it('refuses a malformed absence without calling LINE WORKS', async () => {
    const s = await setup();
    const r = await createCalendarEvent({
      apiBase: API,
      accessToken: s.token,
      userId: s.userId,
      absence: { ...allDay, endDate: '2026-02-30' },
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, retryable: false, code: 'INVALID_ABSENCE' });
    const backwards = await createCalendarEvent({
      apiBase: API,
      accessToken: s.token,
      userId: s.userId,
      absence: {
        ...allDay,
        allDay: false,
        endDate: allDay.startDate,
        startTime: '13:00',
        endTime: '09:00',
      },
      timeoutMs: 5000,
    });
    expect(backwards).toMatchObject({ ok: false, code: 'INVALID_ABSENCE' });
    expect(await requests(`/users/${encodeURIComponent(s.userId)}/`)).toEqual([]);
  });
});
