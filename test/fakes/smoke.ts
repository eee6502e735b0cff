/**
 * Smoke check of the provider fakes (not part of the vitest suite):
 *   node test/fakes/smoke.ts
 * Starts every fake and exercises each endpoint and the control API with fetch.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { importPKCS8, jwtVerify, SignJWT } from 'jose';
import { controlOrigin, demoSeed, demoState, startFakes } from './index.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const fakes = await startFakes({ seed: demoState(publicPem) });
const b = fakes.bases;
let checks = 0;

async function call(
  url: string,
  init: RequestInit & { json?: unknown; form?: Record<string, string>; token?: string } = {},
) {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json; charset=utf-8');
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(url, {
    ...init,
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body,
    redirect: 'manual',
  });
  const text = await res.text();
  let data: any;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  checks++;
  return { status: res.status, headers: res.headers, data };
}
const control = (base: string, path: string, json?: unknown) =>
  call(
    `${controlOrigin(base)}/__fake/${path}`,
    json !== undefined ? { json } : path === 'reset' ? { method: 'POST' } : {},
  );

try {
  // ---------------------------------------------------------------- Slack
  {
    const token = demoSeed.slack.token;
    const s = b.slackApiBase;
    // Limits on by default at the documented values; off here until tested below.
    let st = (await control(s, 'state')).data;
    assert.deepEqual(st.rateLimit, { perChannelPerSecond: 1 });
    assert.equal(st.limits.methods['conversations.open'], 50);
    assert.equal(st.limits.messagesPerMinute, 525);
    await control(s, 'state', { rateLimit: null });
    let r = await call(`${s}/auth.test`, { method: 'POST', token });
    assert.equal(r.data.ok, true);
    assert.equal(r.data.team_id, 'T0DEMO');
    assert.equal(r.data.bot_id, 'B0DEMO');
    r = await call(`${s}/auth.test`, { method: 'POST' });
    assert.deepEqual(r.data, { ok: false, error: 'not_authed' });
    r = await call(`${s}/auth.test`, { method: 'POST', token: 'nope' });
    assert.equal(r.data.error, 'invalid_auth');
    r = await call(`${s}/conversations.open`, { token, json: {} });
    assert.equal(r.data.error, 'users_list_not_supplied');
    await control(s, 'state', { unknownMembers: ['U404'] });
    r = await call(`${s}/conversations.open`, { token, json: { users: 'U404' } });
    assert.equal(r.data.error, 'user_not_found');
    r = await call(`${s}/conversations.open`, { token, json: { users: 'U123' } });
    const dm = r.data.channel.id as string;
    assert.match(dm, /^D/);
    r = await call(`${s}/conversations.open`, { token, form: { users: 'U123' } });
    assert.equal(r.data.channel.id, dm, 'deterministic');
    r = await call(`${s}/chat.postMessage`, {
      token,
      json: {
        channel: dm,
        text: 'hi',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
      },
    });
    assert.equal(r.data.ok, true);
    assert.match(r.data.ts, /^\d+\.\d{6}$/);
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm } });
    assert.equal(r.data.error, 'no_text');
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, blocks: [{}] } });
    assert.equal(r.data.error, 'invalid_blocks');
    r = await call(`${s}/chat.postMessage`, { token, json: { text: 'x' } });
    assert.equal(r.data.error, 'channel_not_found');
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: 'DNOPE', text: 'x' } });
    assert.equal(r.data.error, 'channel_not_found');
    r = await call(`${s}/chat.postMessage`, { token, form: { channel: dm, text: 'form' } });
    assert.equal(r.data.ok, true);
    r = await call(`${s}/chat.postMessage`, {
      token,
      headers: { 'content-type': 'application/json' },
      body: '{bad',
    });
    assert.equal(r.data.error, 'invalid_json');
    // JSON without application/json content type: Slack cannot see the arguments.
    r = await call(`${s}/chat.postMessage`, {
      token,
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ channel: dm, text: 'x' }),
    });
    assert.equal(r.data.ok, false);
    // Rate limit.
    await control(s, 'state', { rateLimit: { perChannelPerSecond: 1 } });
    await new Promise((res) => setTimeout(res, 1100));
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: '1' } });
    assert.equal(r.status, 200);
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: '2' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.data.error, 'ratelimited');
    let stats = (await control(s, 'stats')).data;
    assert.equal(stats.rateLimited, 1);
    assert.equal(stats.accepted, 3);
    // Tiers per method per workspace, and the workspace's message budget (scaled to 1 s).
    await control(s, 'state', {
      rateLimit: null,
      teamLimits: {
        T0DEMO: { windowMs: 1000, methods: { 'conversations.open': 2 }, messagesPerMinute: 3 },
      },
    });
    await new Promise((res) => setTimeout(res, 1100));
    for (const u of ['U1', 'U2']) {
      r = await call(`${s}/conversations.open`, { token, json: { users: u } });
      assert.equal(r.data.ok, true);
    }
    r = await call(`${s}/conversations.open`, { token, json: { users: 'U3' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    r = await call(`${s}/auth.test`, { method: 'POST', token });
    assert.equal(r.data.ok, true, 'another method is not limited by conversations.open');
    for (let i = 0; i < 3; i++) {
      r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: `w${i}` } });
      assert.equal(r.status, 200);
    }
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: 'w3' } });
    assert.equal(r.status, 429);
    st = (await control(s, 'rate-limited?team=T0DEMO')).data;
    assert.deepEqual(st, { 'conversations.open': 1, 'chat.postMessage': 2 });
    await control(s, 'state?replace=1', { teamLimits: {} });
    stats = (await control(s, 'stats')).data;
    assert.equal(stats.rateLimited, 3);
    assert.equal(stats.accepted, 6);
    // Scripts.
    await control(s, 'state', { rateLimit: null });
    await control(s, 'script', {
      match: { path: 'chat.postMessage' },
      responses: [
        { status: 500, json: { ok: false, error: 'internal_error' } },
        { acceptThenDrop: true },
      ],
    });
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: 'a' } });
    assert.equal(r.status, 500);
    await assert.rejects(
      call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: 'b' } }),
    );
    await control(s, 'script', { match: { contains: 'hang-me' }, responses: [{ hang: true }] });
    await assert.rejects(
      call(`${s}/chat.postMessage`, {
        token,
        json: { channel: dm, text: 'hang-me' },
        signal: AbortSignal.timeout(200),
      }),
    );
    await control(s, 'script', { match: {}, responses: [{ reset: true }] });
    await assert.rejects(call(`${s}/auth.test`, { method: 'POST', token }));
    const accepted = (await control(s, 'accepted')).data;
    assert.deepEqual(accepted, [{ key: dm, count: 7 }]);
    const reqs = (
      await call(`${controlOrigin(s)}/__fake/requests?path=postMessage&contains=hang-me`)
    ).data;
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].json.text, 'hang-me');
    assert.equal(reqs[0].status, 0);
    // Random faults with a seed.
    await control(s, 'config', { faultRate: 1, faults: ['429'], retryAfterSeconds: 3, seed: 7 });
    r = await call(`${s}/auth.test`, { method: 'POST', token });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '3');
    await control(s, 'reset');
    stats = (await control(s, 'stats')).data;
    assert.equal(stats.requests, 0);
    assert.equal((await control(s, 'requests')).data.length, 0);
    assert.ok((await control(s, 'state')).data.tokens[token], 'seed survives reset');
    r = await call(`${s}/chat.postMessage`, { token, json: { channel: dm, text: 'x' } });
    assert.equal(r.data.error, 'channel_not_found', 'opened channels are cleared by reset');
  }

  // ---------------------------------------------------------------- Google Chat
  {
    const g = b.googleChatOrigin;
    const url = (space: string, extra = '') =>
      `${g}/v1/spaces/${space}/messages?key=k1&token=t1${extra}`;
    let r = await call(url('AAA'), { json: { text: 'hello' } });
    assert.equal(r.status, 200);
    assert.match(r.data.name, /^spaces\/AAA\/messages\//);
    const opt = '&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD';
    const t1 = await call(url('AAA', opt), { json: { text: 'a', thread: { threadKey: 'doc-1' } } });
    const t2 = await call(url('AAA', opt), { json: { text: 'b', thread: { threadKey: 'doc-1' } } });
    assert.equal(t1.data.thread.name, t2.data.thread.name);
    assert.equal(t1.data.thread.threadKey, 'doc-1');
    r = await call(url('AAA'), { json: { cardsV2: [{ cardId: 'c', card: { header: {} } }] } });
    assert.equal(r.status, 200);
    r = await call(url('AAA'), { json: {} });
    assert.equal(r.status, 400);
    assert.equal(r.data.error.status, 'INVALID_ARGUMENT');
    r = await call(url('AAA'), { json: { text: 'x'.repeat(32_001) } });
    assert.equal(r.status, 400);
    r = await call(url('AAA'), { headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(r.status, 400);
    await control(g, 'state', {
      webhooks: { AAA: { key: 'k1', token: 't1' } },
      deletedSpaces: ['DEL'],
    });
    r = await call(url('BBB'), { json: { text: 'x' } });
    assert.equal(r.status, 403);
    assert.equal(r.data.error.status, 'PERMISSION_DENIED');
    await control(g, 'state', { webhooks: null });
    r = await call(url('DEL'), { json: { text: 'x' } });
    assert.equal(r.status, 404);
    await control(g, 'state', { rateLimit: { perSpacePerSecond: 1 } });
    await call(url('RL'), { json: { text: '1' } });
    r = await call(url('RL'), { json: { text: '2' } });
    assert.equal(r.status, 429);
    assert.equal(r.data.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(r.headers.get('retry-after'), null);
    const acc = (await control(g, 'accepted')).data;
    assert.deepEqual(
      acc.map((a: { key: string; count: number }) => [a.key, a.count]),
      [
        ['AAA', 4],
        ['RL', 1],
      ],
    );
    await control(g, 'config', { faultRate: 1, faults: ['429'] });
    r = await call(url('AAA'), { json: { text: 'x' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
    await control(g, 'reset');
  }

  // ---------------------------------------------------------------- LINE WORKS
  {
    const lw = demoSeed.lineWorks;
    const auth = b.lineWorksAuthBase;
    const api = b.lineWorksApiBase;
    const key = await importPKCS8(privatePem, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = (claims: Record<string, unknown> = {}) =>
      new SignJWT({
        iss: lw.clientId,
        sub: lw.serviceAccount,
        iat: now,
        exp: now + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .sign(key);
    const form = async (claims?: Record<string, unknown>, over: Record<string, string> = {}) => ({
      assertion: await assertion(claims),
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: lw.clientId,
      client_secret: lw.clientSecret,
      scope: 'bot calendar',
      ...over,
    });
    let r = await call(`${auth}/oauth2/v2.0/token`, { form: await form() });
    assert.equal(r.status, 200, JSON.stringify(r.data));
    assert.equal(r.data.expires_in, '3600');
    assert.equal(r.data.token_type, 'Bearer');
    const token = r.data.access_token as string;
    r = await call(`${auth}/oauth2/v2.0/token`, { form: await form({}, { client_secret: 'x' }) });
    assert.equal(r.status, 401);
    r = await call(`${auth}/oauth2/v2.0/token`, { form: await form({ sub: 'other' }) });
    assert.equal(r.data.error, 'invalid_grant');
    r = await call(`${auth}/oauth2/v2.0/token`, { form: await form({ exp: now - 10 }) });
    assert.equal(r.data.error, 'invalid_grant');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = await new SignJWT({
      iss: lw.clientId,
      sub: lw.serviceAccount,
      iat: now,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(other);
    r = await call(`${auth}/oauth2/v2.0/token`, { form: { ...(await form()), assertion: forged } });
    assert.equal(r.data.error, 'invalid_grant');
    r = await call(`${auth}/oauth2/v2.0/token`, { form: await form({}, { scope: 'calendar' }) });
    const calOnly = r.data.access_token as string;

    r = await call(`${api}/bots/${lw.botId}`, {});
    assert.equal(r.status, 401);
    assert.equal(r.data.code, 'UNAUTHORIZED');
    r = await call(`${api}/bots/${lw.botId}`, { token: calOnly });
    assert.equal(r.status, 403);
    r = await call(`${api}/bots/${lw.botId}`, { token });
    assert.equal(r.status, 200);
    // Bot management, including a concurrent pair.
    const [c1, c2] = await Promise.all([
      call(`${api}/bots`, { token, json: { botName: 'A', administrators: [lw.adminEmail] } }),
      call(`${api}/bots`, { token, json: { botName: 'B', administrators: [lw.adminEmail] } }),
    ]);
    assert.equal(c1.status, 201);
    assert.equal(c2.status, 201);
    assert.notEqual(c1.data.botId, c2.data.botId);
    r = await call(`${api}/bots/${c1.data.botId}/domains/${lw.domainId}`, {
      token,
      json: { visible: true },
    });
    assert.equal(r.status, 201);
    r = await call(`${api}/bots/999/domains/${lw.domainId}`, { token, json: { visible: true } });
    assert.equal(r.status, 404);
    r = await call(`${api}/bots`, { token, json: { botName: '' } });
    assert.equal(r.status, 400);
    let stats = (await control(api, 'stats')).data;
    assert.equal(stats.concurrentBotManagement, 1);
    // Messages.
    const user = encodeURIComponent('taro@renkei-demo.example');
    const msg = `${api}/bots/${lw.botId}/users/${user}/messages`;
    r = await call(msg, { token, json: { content: { type: 'text', text: 'hi' } } });
    assert.equal(r.status, 201);
    r = await call(msg, {
      token,
      json: {
        content: {
          type: 'button_template',
          contentText: 'x',
          actions: [{ type: 'uri', label: 'Open', uri: 'https://x' }],
        },
      },
    });
    assert.equal(r.status, 201);
    r = await call(msg, { token, json: { content: { type: 'text', text: 'x'.repeat(2001) } } });
    assert.equal(r.status, 400);
    assert.equal(r.data.code, 'INVALID_PARAMETER');
    r = await call(msg, { token, json: { content: { type: 'link', contentText: 'x' } } });
    assert.equal(r.status, 400);
    r = await call(`${api}/bots/999/users/${user}/messages`, {
      token,
      json: { content: { type: 'text', text: 'x' } },
    });
    assert.equal(r.status, 404);
    await control(api, 'state', { users: ['someone'] });
    r = await call(msg, { token, json: { content: { type: 'text', text: 'x' } } });
    assert.equal(r.status, 404);
    await control(api, 'state', { users: null });
    const acc = (await control(api, 'accepted')).data;
    assert.deepEqual(acc, [{ key: 'taro@renkei-demo.example', count: 2 }]);
    // Calendar.
    const ev = {
      eventComponents: [
        {
          summary: '不在',
          start: { date: '2026-12-24' },
          end: { date: '2026-12-25' },
          transparency: 'OPAQUE',
          visibility: 'PUBLIC',
        },
      ],
      sendNotification: false,
    };
    const cal = `${api}/users/${user}/calendar/events`;
    r = await call(cal, { token, json: ev });
    assert.equal(r.status, 201, JSON.stringify(r.data));
    const eventId = r.data.eventComponents[0].eventId as string;
    assert.ok(eventId);
    r = await call(cal, {
      token,
      json: {
        eventComponents: [
          {
            summary: 'x',
            start: { date: '2026-12-24' },
            end: { dateTime: '2026-12-24T10:00:00', timeZone: 'Asia/Tokyo' },
          },
        ],
      },
    });
    assert.equal(r.status, 400);
    r = await call(cal, {
      token: calOnly,
      json: {
        eventComponents: [
          {
            summary: 'timed',
            start: { dateTime: '2026-12-24T09:00:00', timeZone: 'Asia/Tokyo' },
            end: { dateTime: '2026-12-24T18:00:00', timeZone: 'Asia/Tokyo' },
          },
        ],
      },
    });
    assert.equal(r.status, 201);
    r = await call(`${cal}/${eventId}`, { token });
    assert.equal(r.data.eventComponents[0].summary, '不在');
    r = await call(`${cal}/${eventId}`, {
      token,
      method: 'PUT',
      json: { eventComponents: [{ ...ev.eventComponents[0], summary: '変更' }] },
    });
    assert.equal(r.status, 200);
    const st = (await control(api, 'state')).data;
    assert.equal(st.events['taro@renkei-demo.example'][eventId].eventComponents[0].summary, '変更');
    r = await call(`${cal}/nope`, { token, method: 'PUT', json: ev });
    assert.equal(r.status, 404);
    r = await call(`${cal}/${eventId}`, { token, method: 'DELETE' });
    assert.equal(r.status, 204);
    r = await call(`${cal}/${eventId}`, { token, method: 'DELETE' });
    assert.equal(r.status, 404);
    // Rate limit headers.
    await control(api, 'state', { rateLimit: { perMinute: 2 } });
    r = await call(`${api}/bots/${lw.botId}`, { token });
    assert.equal(r.headers.get('ratelimit-limit'), '2');
    assert.equal(r.headers.get('ratelimit-remaining'), '1');
    await call(`${api}/bots/${lw.botId}`, { token });
    r = await call(`${api}/bots/${lw.botId}`, { token });
    assert.equal(r.status, 429);
    assert.equal(r.data.code, 'TOO_MANY_REQUESTS');
    assert.ok(Number(r.headers.get('ratelimit-reset')) > 0);
    r = await call(msg, { token, json: { content: { type: 'text', text: 'other api' } } });
    assert.equal(r.status, 201, 'limits are per API');
    stats = (await control(auth, 'stats')).data;
    assert.equal(stats.rateLimited, 1);
    // Token expiry.
    await control(api, 'state', { tokenTtlSeconds: 1, rateLimit: null });
    r = await call(`${auth}/oauth2/v2.0/token`, { form: await form() });
    const shortLived = r.data.access_token as string;
    assert.equal(r.data.expires_in, '1');
    await new Promise((res) => setTimeout(res, 1100));
    r = await call(`${api}/bots/${lw.botId}`, { token: shortLived });
    assert.equal(r.status, 401);
    r = await call(`${api}/bots`, {
      token,
      headers: { 'content-type': 'application/json' },
      body: '{bad',
    });
    assert.equal(r.status, 400);
    await control(api, 'reset');
  }

  // ---------------------------------------------------------------- LINE
  {
    const line = demoSeed.line;
    const api = b.lineApiBase;
    const token = line.channelToken;
    let r = await call(`${api}/v2/bot/info`, { token });
    assert.equal(r.data.basicId, '@renkei-demo');
    assert.equal(r.data.chatMode, 'chat');
    r = await call(`${api}/v2/bot/info`, { token: 'bad' });
    assert.equal(r.status, 401);
    const to = line.userId;
    const retryKey = randomUUID();
    const push = (body: unknown, key?: string) =>
      call(`${api}/v2/bot/message/push`, {
        token,
        json: body,
        ...(key ? { headers: { 'x-line-retry-key': key } } : {}),
      });
    r = await push({ to, messages: [{ type: 'text', text: 'hi' }] }, retryKey);
    assert.equal(r.status, 200);
    assert.match(r.data.sentMessages[0].id, /^\d+$/);
    const reqId = r.headers.get('x-line-request-id');
    assert.ok(reqId);
    r = await push({ to, messages: [{ type: 'text', text: 'hi' }] }, retryKey);
    assert.equal(r.status, 409);
    assert.equal(r.headers.get('x-line-accepted-request-id'), reqId);
    r = await push({ to, messages: [{ type: 'text', text: 'hi' }] }, 'not-a-uuid');
    assert.equal(r.status, 400);
    r = await push({ to: 'Ubad', messages: [{ type: 'text', text: 'hi' }] });
    assert.equal(r.status, 400);
    r = await push({ to, messages: [] });
    assert.equal(r.status, 400);
    assert.ok(r.data.details.length);
    r = await push({ to, messages: [{ type: 'flex', contents: { type: 'bubble' } }] });
    assert.equal(r.status, 400);
    r = await push({
      to,
      messages: [{ type: 'flex', altText: 'a', contents: { type: 'bubble' } }],
    });
    assert.equal(r.status, 200);
    await control(api, 'state', { monthlyQuotaExceeded: true });
    r = await push({ to, messages: [{ type: 'text', text: 'q' }] });
    assert.equal(r.status, 429);
    assert.equal(r.data.message, 'You have reached your monthly limit.');
    await control(api, 'state', { monthlyQuotaExceeded: false, rateLimit: { perSecond: 1 } });
    await new Promise((res) => setTimeout(res, 1100));
    await push({ to, messages: [{ type: 'text', text: '1' }] });
    r = await push({ to, messages: [{ type: 'text', text: '2' }] });
    assert.equal(r.status, 429);
    assert.equal(r.data.message, 'Too many requests');
    await control(api, 'state', { rateLimit: null });
    const acc = (await control(api, 'accepted')).data;
    assert.equal(acc[0].key, to);
    assert.equal(acc[0].count, 3);
    assert.equal(acc[0].idempotencyKey, retryKey);
    // Reply.
    const { replyToken } = (await control(api, 'reply-token', { userId: to })).data;
    const reply = () =>
      call(`${api}/v2/bot/message/reply`, {
        token,
        json: { replyToken, messages: [{ type: 'text', text: 'welcome' }] },
      });
    assert.equal((await reply()).status, 200);
    r = await reply();
    assert.equal(r.status, 400);
    assert.equal(r.data.message, 'Invalid reply token');
    // Stateless token.
    r = await call(`${api}/oauth2/v3/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: line.messagingChannelId,
        client_secret: line.messagingChannelSecret,
      },
    });
    assert.equal(r.data.expires_in, 900);
    r = await call(`${api}/v2/bot/info`, { token: r.data.access_token });
    assert.equal(r.data.basicId, '@renkei-demo');
    r = await call(`${api}/oauth2/v3/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: line.messagingChannelId,
        client_secret: 'x',
      },
    });
    assert.equal(r.status, 400);
    assert.equal(r.data.error, 'invalid_client');
    // Login: authorize → token (PKCE) → id_token → friendship.
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'https://renkei.test/line/callback';
    const authUrl = new URL(`${b.lineAccessBase}/oauth2/v2.1/authorize`);
    const params = {
      response_type: 'code',
      client_id: line.loginChannelId,
      redirect_uri: redirect,
      state: 'st-1',
      scope: 'profile openid',
      nonce: 'n-1',
      bot_prompt: 'aggressive',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) authUrl.searchParams.set(k, v);
    r = await call(authUrl.toString());
    assert.equal(r.status, 302);
    const cb = new URL(r.headers.get('location') as string);
    assert.equal(cb.origin + cb.pathname, redirect);
    assert.equal(cb.searchParams.get('state'), 'st-1');
    assert.equal(cb.searchParams.get('friendship_status_changed'), 'true');
    const code = cb.searchParams.get('code') as string;
    const tokenForm = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      client_id: line.loginChannelId,
      client_secret: line.loginChannelSecret,
      code_verifier: verifier,
    };
    r = await call(`${api}/oauth2/v2.1/token`, {
      form: { ...tokenForm, code_verifier: 'w'.repeat(50) },
    });
    assert.equal(r.data.error, 'invalid_grant');
    r = await call(`${api}/oauth2/v2.1/token`, { form: tokenForm });
    assert.equal(r.status, 200, JSON.stringify(r.data));
    const { payload } = await jwtVerify(
      r.data.id_token,
      new TextEncoder().encode(line.loginChannelSecret),
      { issuer: 'https://access.line.me', audience: line.loginChannelId },
    );
    assert.equal(payload.sub, line.userId);
    assert.equal(payload.nonce, 'n-1');
    const userToken = r.data.access_token as string;
    r = await call(`${api}/oauth2/v2.1/token`, { form: tokenForm });
    assert.equal(r.status, 400, 'code is single use');
    r = await call(`${api}/friendship/v1/status`, { token: userToken });
    assert.deepEqual(r.data, { friendFlag: true });
    r = await call(`${api}/v2/profile`, { token: userToken });
    assert.equal(r.data.displayName, line.userDisplayName);
    r = await call(`${api}/friendship/v1/status`, { token: 'bad' });
    assert.equal(r.status, 401);
    await control(api, 'state', { authorize: { deny: true } });
    r = await call(authUrl.toString());
    const denied = new URL(r.headers.get('location') as string);
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 'st-1');
    authUrl.searchParams.set('code_challenge_method', 'plain');
    r = await call(authUrl.toString());
    assert.equal(r.status, 400);
    await control(b.lineAccessBase, 'reset');
    r = await call(`${api}/friendship/v1/status`, { token: userToken });
    assert.equal(r.status, 401, 'reset forgets issued tokens');
  }

  // ---------------------------------------------------------------- throughput
  {
    const g = b.googleChatOrigin;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        call(`${g}/v1/spaces/S${i % 50}/messages?key=k&token=t`, { json: { text: `m${i}` } }),
      ),
    );
    const ms = performance.now() - t0;
    const stats = (await control(g, 'stats')).data;
    assert.equal(stats.accepted, 2000);
    console.log(`2000 Google Chat posts in ${ms.toFixed(0)} ms`);
    await control(g, 'config', {
      faultRate: 0.5,
      faults: ['5xx', 'reset', 'acceptThenDrop'],
      seed: 1,
    });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(`${g}/v1/spaces/F/messages`, { json: { text: `f${i}` } }).then(
          (r) => String(r.status),
          () => 'error',
        ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
    console.log('faults', counts, (await control(g, 'stats')).data.faults);
  }
  console.log(`smoke OK (${checks} requests)`);
} finally {
  await fakes.close();
}
