// Integration: LINE member linking (startLineLogin → fake LINE authorize → /line/callback),
// the signed webhook, unbindLine and push delivery, through the Worker's own fetch and the real
// D1, queue and LineAuth bindings; the LINE fakes run on 127.0.0.1.
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { pkceChallenge, signLineBody } from '../src/adapters/line/index.ts';
import { fake, gql, tenantD1, tenantId, token, tokens } from './helpers.ts';
import { byUser, EMIT, waitFor } from './pipeline.ts';

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);
const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));

const CONFIGURE = `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) {
  integration { status friendUrl callbackUrl webhookUrl channelAccessToken { configured } }
  errors { code message field } } }`;
const START = `mutation { startLineLogin { authorizeUrl expiresAt errors { code message } } }`;
const ME = `{ me { userId bindings { line { status displayName linkedAt } } } }`;
const UNBIND = `mutation { unbindLine { user { bindings { line { status displayName linkedAt } } } errors { code } } }`;

interface LineSetup {
  tenant: string;
  admin: string;
  service: string;
  member: string;
  memberToken: string;
  channelToken: string;
  loginChannelId: string;
  loginSecret: string;
  messagingSecret: string;
  lineUserId: string;
  basicId: string;
  friendUrl: string;
}

/** A tenant with LINE configured against fresh fake channels, and one member. */
async function setup(
  options: { locale?: 'JA' | 'EN' | 'KO'; stateless?: boolean } = {},
): Promise<LineSetup> {
  const tenant = tenantId('line');
  const { admin, service } = await tokens(tenant);
  const s = {
    tenant,
    admin,
    service,
    member: `m-${tenant}`,
    memberToken: await token(tenant, 'user', `m-${tenant}`),
    channelToken: `line-token-${crypto.randomUUID()}`,
    loginChannelId: digits(),
    loginSecret: `login-secret-${hex(16)}`,
    messagingSecret: `messaging-secret-${hex(16)}`,
    lineUserId: `U${hex(32)}`,
    basicId: `@${hex(8)}`,
    friendUrl: '',
  };
  s.friendUrl = `https://line.me/R/ti/p/${s.basicId}`;
  const messagingChannelId = digits();
  await fake(env.LINE_API_BASE, '/__fake/state', {
    bots: {
      [s.channelToken]: {
        userId: `U${hex(32)}`,
        basicId: s.basicId,
        displayName: 'Acme',
        channelId: messagingChannelId,
      },
    },
    statelessChannels: {
      [messagingChannelId]: { secret: s.messagingSecret, botToken: s.channelToken },
    },
    loginChannels: { [s.loginChannelId]: { secret: s.loginSecret } },
    users: { [s.lineUserId]: { displayName: 'Hanako', friend: false } },
  });
  const configured = await gql(
    CONFIGURE,
    {
      i: {
        enabled: true,
        loginChannelId: s.loginChannelId,
        loginChannelSecret: s.loginSecret,
        messagingChannelSecret: s.messagingSecret,
        friendUrl: s.friendUrl,
        ...(options.stateless ? { messagingChannelId } : { channelAccessToken: s.channelToken }),
      },
    },
    admin,
  );
  expect(configured.data?.configureLine.errors).toEqual([]);
  await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: [{ userId: s.member, locale: options.locale ?? 'JA' }] },
    service,
  );
  await gql(
    `mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE, enabled: true }]) { errors { code } } }`,
    {},
    admin,
  );
  return s;
}

async function start(s: LineSetup): Promise<URL> {
  const r = await gql(START, {}, s.memberToken);
  expect(r.data?.startLineLogin.errors).toEqual([]);
  return new URL(r.data?.startLineLogin.authorizeUrl);
}

/** Follows the fake authorize page's redirect; returns the callback URL it sends the browser to. */
async function authorize(
  s: LineSetup,
  url: URL,
  how: { addFriend?: boolean; deny?: boolean } = {},
): Promise<string> {
  await fake(env.LINE_API_BASE, '/__fake/state?replace=1', {
    authorize: { userId: s.lineUserId, ...how },
  });
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location') as string;
}

async function callback(location: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(location, { headers });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

async function lineStatus(s: LineSetup) {
  return (await gql(ME, {}, s.memberToken)).data?.me.bindings.line;
}

async function webhook(tenant: string, body: unknown, signature: string | null) {
  const raw = JSON.stringify(body);
  return exports.default.fetch(`https://renkei.test/line/webhook/${tenant}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-line-signature': signature }),
    },
    body: raw,
  });
}

function followEvent(s: LineSetup, replyToken: string, type = 'follow', id = `01J${hex(23)}`) {
  return {
    destination: 'U0000000000000000000000000000b07',
    events: [
      {
        type,
        mode: 'active',
        timestamp: Date.now(),
        source: { type: 'user', userId: s.lineUserId },
        webhookEventId: id,
        deliveryContext: { isRedelivery: false },
        ...(type === 'follow' ? { replyToken, follow: { isUnblocked: false } } : {}),
      },
    ],
  };
}

async function signed(s: LineSetup, body: unknown) {
  return webhook(s.tenant, body, await signLineBody(s.messagingSecret, JSON.stringify(body)));
}

async function replyToken(s: LineSetup): Promise<string> {
  return (await fake(env.LINE_API_BASE, '/__fake/reply-token', { userId: s.lineUserId }))
    .replyToken;
}

async function emit(s: LineSetup) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId: 'WF-2026-0077',
        title: '経費精算 (11月)',
        url: 'https://workplace.example/wf/0077',
        actorName: '佐藤 花子',
        recipients: [s.member],
      },
    },
    s.service,
  );
  expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
  return r.data?.emitWorkflowEvent.event.id as string;
}

const wait = (s: LineSetup, id: string, done: (e: any) => boolean, ms?: number) =>
  waitFor({ admin: s.admin } as never, id, done, ms);

describe('LINE member linking', () => {
  it('walks startLineLogin → authorize → callback → follow → push → unfollow → unbind', async () => {
    const s = await setup();
    expect(await lineStatus(s)).toEqual({
      status: 'NOT_LINKED',
      displayName: null,
      linkedAt: null,
    });

    const url = await start(s);
    expect(`${url.origin}${url.pathname}`).toBe(`${env.LINE_ACCESS_BASE}/oauth2/v2.1/authorize`);
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: s.loginChannelId,
      redirect_uri: 'https://renkei.test/line/callback',
      scope: 'profile openid',
      bot_prompt: 'aggressive',
      code_challenge_method: 'S256',
    });
    expect(url.search).toContain('scope=profile%20openid');
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(43);

    const location = await authorize(s, url);
    expect(location.startsWith('https://renkei.test/line/callback?')).toBe(true);
    const page = await callback(location);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).toContain('<html lang="ja">');
    expect(page.html).toContain('data-status="PENDING_FRIEND"');
    expect(page.html).toContain('友だち追加すると連携が完了します');
    expect(page.html).toContain(`href="${s.friendUrl}"`);
    expect(page.html).toMatch(/<img id="friend-qr"[^>]+src="data:image\/svg\+xml;base64,/);
    const callbackQuery = new URL(location).searchParams;
    for (const secret of [
      s.loginSecret,
      s.messagingSecret,
      s.channelToken,
      callbackQuery.get('code') as string,
      callbackQuery.get('state') as string,
      q.get('nonce') as string,
    ]) {
      expect(page.html).not.toContain(secret);
    }
    expect(await lineStatus(s)).toEqual({
      status: 'PENDING_FRIEND',
      displayName: 'Hanako',
      linkedAt: null,
    });

    // The code was exchanged with the PKCE verifier of this state's challenge.
    const exchanges = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/oauth2/v2.1/token&contains=${s.loginChannelId}`,
    );
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0].status).toBe(200);
    expect(exchanges[0].form).toMatchObject({
      grant_type: 'authorization_code',
      code: callbackQuery.get('code'),
      redirect_uri: 'https://renkei.test/line/callback',
      client_id: s.loginChannelId,
    });
    expect(await pkceChallenge(exchanges[0].form.code_verifier)).toBe(q.get('code_challenge'));

    // Replaying the callback: the state is gone, nothing changes, nothing is exchanged.
    const replay = await callback(location);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain('data-status="EXPIRED"');
    expect(
      await fake(
        env.LINE_API_BASE,
        `/__fake/requests?path=/oauth2/v2.1/token&contains=${s.loginChannelId}`,
      ),
    ).toHaveLength(1);

    // follow → LINKED and the completion message by reply.
    const follow = followEvent(s, await replyToken(s));
    const res = await signed(s, follow);
    expect(res.status).toBe(200);
    const linked = await lineStatus(s);
    expect(linked.status).toBe('LINKED');
    expect(linked.linkedAt).toBeTruthy();
    const replies = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/reply&contains=${s.channelToken}`,
    );
    expect(replies).toHaveLength(1);
    expect(replies[0].status).toBe(200);
    expect(replies[0].json.messages[0].text).toContain('友だち追加が完了しました');

    // A redelivered event (same webhookEventId) is handled once.
    expect((await signed(s, follow)).status).toBe(200);
    expect(
      await fake(
        env.LINE_API_BASE,
        `/__fake/requests?path=/v2/bot/message/reply&contains=${s.channelToken}`,
      ),
    ).toHaveLength(1);

    // A workflow event is pushed as a flex message with a UUID retry key.
    const eventId = await emit(s);
    const e = await wait(s, eventId, (x) => byUser(x, s.member, 'LINE')?.status === 'SENT');
    expect(byUser(e, s.member, 'LINE')).toMatchObject({ status: 'SENT', attempts: 1 });
    const pushes = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/push&contains=${s.channelToken}`,
    );
    expect(pushes).toHaveLength(1);
    expect(pushes[0].headers.authorization).toBe(`Bearer ${s.channelToken}`);
    expect(pushes[0].headers['x-line-retry-key']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(pushes[0].json.to).toBe(s.lineUserId);
    expect(pushes[0].json.messages[0]).toMatchObject({
      type: 'flex',
      altText: expect.stringContaining('経費精算 (11月)'),
      contents: { type: 'bubble' },
    });

    // unfollow → BLOCKED; the next delivery is SKIPPED with that reason, never attempted.
    expect((await signed(s, followEvent(s, '', 'unfollow'))).status).toBe(200);
    expect((await lineStatus(s)).status).toBe('BLOCKED');
    const blockedEvent = await emit(s);
    const b = await wait(s, blockedEvent, (x) => byUser(x, s.member, 'LINE')?.status !== 'QUEUED');
    expect(byUser(b, s.member, 'LINE')).toMatchObject({
      status: 'SKIPPED',
      attempts: 0,
      reason: 'the member blocked the LINE account',
    });
    expect(
      await fake(
        env.LINE_API_BASE,
        `/__fake/requests?path=/v2/bot/message/push&contains=${s.channelToken}`,
      ),
    ).toHaveLength(1);

    const unbound = await gql(UNBIND, {}, s.memberToken);
    expect(unbound.data?.unbindLine).toEqual({
      user: { bindings: { line: { status: 'NOT_LINKED', displayName: null, linkedAt: null } } },
      errors: [],
    });
    const audit = await gql(
      '{ auditLog(first: 20) { edges { node { action target } } } }',
      {},
      s.admin,
    );
    expect(audit.data?.auditLog.edges.map((x: any) => x.node.action)).toEqual(
      expect.arrayContaining([
        'binding.line.link',
        'binding.line.follow',
        'binding.line.unfollow',
        'binding.line.unlink',
      ]),
    );
  });

  it('links at once when the friend was added during login, in the member locale', async () => {
    const s = await setup({ locale: 'EN' });
    const page = await callback(await authorize(s, await start(s), { addFriend: true }));
    expect(page.status).toBe(200);
    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain('data-status="LINKED"');
    expect(page.html).toContain('Linked. WORKPLACE notifications will arrive in LINE.');
    expect((await lineStatus(s)).status).toBe('LINKED');

    const ko = await setup({ locale: 'KO' });
    const koPage = await callback(await authorize(ko, await start(ko)));
    expect(koPage.html).toContain('<html lang="ko">');
    expect(koPage.html).toContain('친구 추가하면 연동이 완료됩니다');
  });

  it('refuses a denied login, unknown and expired states, a wrong nonce and a forged ID token', async () => {
    const s = await setup();
    // access_denied: clear page, state consumed, nothing changed.
    const denied = await callback(await authorize(s, await start(s), { deny: true }));
    expect(denied.status).toBe(200);
    expect(denied.html).toContain('data-status="DENIED"');
    expect((await lineStatus(s)).status).toBe('NOT_LINKED');

    // Unknown or malformed states.
    for (const state of ['', 'nope', `${btoa(s.tenant)}.${'A'.repeat(43)}`]) {
      const r = await callback(
        `https://renkei.test/line/callback?code=abc&state=${encodeURIComponent(state)}`,
        { 'accept-language': 'en-US,en;q=0.9' },
      );
      expect(r.status).toBe(400);
      expect(r.html).toContain('<html lang="en">');
    }

    // An expired state (past its 10 minutes) is refused and then removed by the alarm.
    const expiredUrl = await start(s);
    const stub = env.LINE_AUTH.getByName(s.tenant);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('update login_states set expires_at = 1');
    });
    const expired = await callback(await authorize(s, expiredUrl));
    expect(expired.status).toBe(400);
    expect(expired.html).toContain('data-status="EXPIRED"');
    await start(s);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec('update login_states set expires_at = 1');
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(
      stub,
      (_i, state) => state.storage.sql.exec('select count(*) as n from login_states').one().n,
    );
    expect(left).toBe(0);

    // Wrong nonce: the authorize request was tampered with; the ID token's nonce differs.
    const tampered = await start(s);
    tampered.searchParams.set('nonce', 'attacker-nonce');
    const wrongNonce = await callback(await authorize(s, tampered));
    expect(wrongNonce.status).toBe(400);
    expect(wrongNonce.html).toContain('data-status="FAILED"');
    expect((await lineStatus(s)).status).toBe('NOT_LINKED');

    // An ID token signed with another secret.
    const forgedUrl = await start(s);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ nonce: forgedUrl.searchParams.get('nonce') })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://access.line.me')
      .setSubject(s.lineUserId)
      .setAudience(s.loginChannelId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode('not-the-channel-secret'));
    await fake(env.LINE_API_BASE, '/__fake/script', {
      match: { path: '/oauth2/v2.1/token', contains: s.loginChannelId },
      responses: [
        {
          status: 200,
          json: { access_token: 'at', id_token: forged, expires_in: 3600, token_type: 'Bearer' },
        },
      ],
    });
    const forgedPage = await callback(await authorize(s, forgedUrl));
    expect(forgedPage.status).toBe(400);
    expect(forgedPage.html).toContain('data-status="FAILED"');
    expect(forgedPage.html).not.toContain(forged);
    expect((await lineStatus(s)).status).toBe('NOT_LINKED');

    // One LINE account cannot be linked to two members of a company.
    await callback(await authorize(s, await start(s)));
    expect((await lineStatus(s)).status).toBe('PENDING_FRIEND');
    const second = {
      ...s,
      member: `m2-${s.tenant}`,
      memberToken: await token(s.tenant, 'user', `m2-${s.tenant}`),
    };
    const taken = await callback(await authorize(second, await start(second)));
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('data-status="TAKEN"');
    expect((await lineStatus(second)).status).toBe('NOT_LINKED');
  });

  it('links one LINE account to one member when two members finish their logins at once', async () => {
    const s = await setup();
    const second = {
      ...s,
      member: `m2-${s.tenant}`,
      memberToken: await token(s.tenant, 'user', `m2-${s.tenant}`),
    };
    // Both authorized with the same LINE account; both callbacks arrive together, each past the
    // "taken" read before the other has written.
    const locations = [
      await authorize(s, await start(s)),
      await authorize(second, await start(second)),
    ];
    const pages = await Promise.all(locations.map((l) => callback(l)));
    const statuses = pages.map((p) => /data-status="([A-Z_]+)"/.exec(p.html)?.[1]).sort();
    expect(statuses).toEqual(['PENDING_FRIEND', 'TAKEN']);
    const linked = [(await lineStatus(s)).status, (await lineStatus(second)).status].sort();
    expect(linked).toEqual(['NOT_LINKED', 'PENDING_FRIEND']);
    const d1 = await tenantD1(s.tenant);
    const rows = await d1
      .prepare('select user_id from users where tenant_id = ? and line_user_id = ?')
      .bind(s.tenant, s.lineUserId)
      .all();
    expect(rows.results).toHaveLength(1);
    // The member told "taken" has no link in the audit log either.
    const audit = await d1
      .prepare("select target from audit_log where tenant_id = ? and action = 'binding.line.link'")
      .bind(s.tenant)
      .all<{ target: string }>();
    expect(audit.results.map((r) => r.target)).toEqual([rows.results[0]?.user_id]);
  });

  it('answers a bad ID token with a 4xx page, and only a failing LINE with 502', async () => {
    const s = await setup({ locale: 'EN' });
    const faults: Record<string, Record<string, unknown>> = {
      'wrong nonce': { nonce: 'replayed-nonce' },
      'wrong signature': { secret: 'not-the-channel-secret' },
      'wrong audience': { audience: '1000000001' },
      'wrong issuer': { issuer: 'https://access.line.example' },
      expired: { expiresInSeconds: -600 },
    };
    // Sets (or, with {}, clears) how the fake spoils this Login channel's ID tokens.
    const spoil = async (fault: Record<string, unknown>) => {
      const { idTokenFaults } = await fake(env.LINE_API_BASE, '/__fake/state');
      await fake(env.LINE_API_BASE, '/__fake/state?replace=1', {
        idTokenFaults: { ...idTokenFaults, [s.loginChannelId]: fault },
      });
    };
    try {
      for (const [name, fault] of Object.entries(faults)) {
        await spoil(fault);
        const page = await callback(await authorize(s, await start(s), { addFriend: true }));
        expect({ name, status: page.status }).toEqual({ name, status: 400 });
        expect(page.html).toContain('<html lang="en">');
        expect(page.html).toContain('data-status="FAILED"');
        expect(page.html).toContain('LINE Login could not be confirmed. Nothing was changed.');
        expect((await lineStatus(s)).status).toBe('NOT_LINKED');
      }
    } finally {
      await spoil({});
    }

    // LINE's token endpoint itself fails (5xx): 502, nothing changed.
    for (const scripted of [
      { status: 500, json: { message: 'An error occurred in the server.' } },
      { status: 503, body: 'Service Unavailable' },
    ]) {
      const url = await start(s);
      await fake(env.LINE_API_BASE, '/__fake/script', {
        match: { path: '/oauth2/v2.1/token', contains: s.loginChannelId },
        responses: [scripted],
      });
      const page = await callback(await authorize(s, url));
      expect(page.status).toBe(502);
      expect(page.html).toContain('data-status="FAILED"');
      expect((await lineStatus(s)).status).toBe('NOT_LINKED');
    }

    // The same member with a good token links.
    const good = await callback(await authorize(s, await start(s), { addFriend: true }));
    expect(good.status).toBe(200);
    expect((await lineStatus(s)).status).toBe('LINKED');
  });

  it('needs LINE enabled, a member role and a token', async () => {
    const tenant = tenantId('line');
    const member = await token(tenant, 'user', 'm1');
    const r = await gql(START, {}, member);
    expect(r.data?.startLineLogin).toEqual({
      authorizeUrl: null,
      expiresAt: null,
      errors: [{ code: 'NOT_CONFIGURED', message: expect.stringContaining('LINE') }],
    });
    expect((await gql(START, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const service = await token(tenant, 'service', 'workplace');
    expect((await gql(START, {}, service)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('LINE webhook', () => {
  it('verifies the signature over the raw body before anything else', async () => {
    const s = await setup();
    await callback(await authorize(s, await start(s)));
    const body = followEvent(s, await replyToken(s));
    const raw = JSON.stringify(body);

    expect((await webhook(s.tenant, body, null)).status).toBe(401);
    expect((await webhook(s.tenant, body, await signLineBody('other-secret', raw))).status).toBe(
      401,
    );
    expect((await webhook(s.tenant, body, 'not base64!')).status).toBe(401);
    const tampered = { ...body, destination: 'Uforged' };
    expect(
      (await webhook(s.tenant, tampered, await signLineBody(s.messagingSecret, raw))).status,
    ).toBe(401);
    // Another tenant's URL with this tenant's valid signature.
    const other = await setup();
    expect(
      (await webhook(other.tenant, body, await signLineBody(s.messagingSecret, raw))).status,
    ).toBe(401);
    expect((await lineStatus(s)).status).toBe('PENDING_FRIEND');
    expect(
      await fake(
        env.LINE_API_BASE,
        `/__fake/requests?path=/v2/bot/message/reply&contains=${s.channelToken}`,
      ),
    ).toHaveLength(0);

    // The connectivity check: an empty events list.
    const empty = { destination: 'U0', events: [] };
    expect((await signed(s, empty)).status).toBe(200);

    // A follow from a LINE user nobody linked is ignored politely.
    const stranger = { ...s, lineUserId: `U${hex(32)}` };
    expect((await signed(s, followEvent(stranger, await replyToken(stranger)))).status).toBe(200);
    expect((await lineStatus(s)).status).toBe('PENDING_FRIEND');
  });

  it('falls back to push when the reply token is no good, with a stable retry key', async () => {
    const s = await setup({ locale: 'KO' });
    await callback(await authorize(s, await start(s)));
    expect((await signed(s, followEvent(s, 'expired-reply-token'))).status).toBe(200);
    expect((await lineStatus(s)).status).toBe('LINKED');
    const pushes = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/push&contains=${s.channelToken}`,
    );
    expect(pushes).toHaveLength(1);
    expect(pushes[0].json).toEqual({
      to: s.lineUserId,
      messages: [{ type: 'text', text: expect.stringContaining('친구 추가가 완료되었습니다') }],
    });
    expect(pushes[0].headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('LINE delivery', () => {
  async function linked(options: Parameters<typeof setup>[0] = {}) {
    const s = await setup(options);
    await callback(await authorize(s, await start(s), { addFriend: true }));
    expect((await lineStatus(s)).status).toBe('LINKED');
    return s;
  }

  it('skips members who are not linked, with the reason', async () => {
    const s = await setup();
    const e = await wait(s, await emit(s), (x) => byUser(x, s.member, 'LINE')?.status !== 'QUEUED');
    expect(byUser(e, s.member, 'LINE')).toMatchObject({
      status: 'SKIPPED',
      reason: 'LINE not linked',
    });
  });

  it('retries a rate-limit 429 with the same retry key, then counts a 409 as sent', async () => {
    const s = await linked();
    await fake(env.LINE_API_BASE, '/__fake/script', {
      match: { path: '/v2/bot/message/push', contains: s.lineUserId },
      responses: [
        { status: 429, headers: { 'retry-after': '1' }, json: { message: 'Too many requests' } },
        { status: 409, json: { message: 'The retry key is already accepted' } },
      ],
    });
    const e = await wait(
      s,
      await emit(s),
      (x) => byUser(x, s.member, 'LINE')?.status === 'SENT',
      30_000,
    );
    expect(byUser(e, s.member, 'LINE')).toMatchObject({ status: 'SENT', attempts: 2 });
    const pushes = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/push&contains=${s.lineUserId}`,
    );
    expect(pushes.map((p: any) => p.status)).toEqual([429, 409]);
    expect(pushes[0].headers['x-line-retry-key']).toBe(pushes[1].headers['x-line-retry-key']);
  }, 40_000);

  it('fails on the monthly quota without retries and tells the admin, without ERROR', async () => {
    const s = await linked();
    await fake(env.LINE_API_BASE, '/__fake/script', {
      match: { path: '/v2/bot/message/push', contains: s.lineUserId },
      responses: [{ status: 429, json: { message: 'You have reached your monthly limit.' } }],
    });
    const e = await wait(s, await emit(s), (x) => byUser(x, s.member, 'LINE')?.status === 'FAILED');
    expect(byUser(e, s.member, 'LINE')).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      reason: expect.stringContaining('monthly message quota'),
    });
    // The quota is not a broken integration: it stays as it was, and lastError says why LINE
    // deliveries stop (test/line-quota.test.ts covers the rest).
    const i = await gql('{ integrations { line { status lastError } } }', {}, s.admin);
    expect(i.data?.integrations.line).toEqual({
      status: 'UNVERIFIED',
      lastError: expect.stringContaining('You have reached your monthly limit.'),
    });
  });

  it('issues, caches and uses a stateless channel token when no long-lived token is stored', async () => {
    const s = await linked({ stateless: true });
    for (let i = 0; i < 2; i++) {
      const id = await emit(s);
      await wait(s, id, (x) => byUser(x, s.member, 'LINE')?.status === 'SENT');
    }
    const pushes = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/push&contains=${s.lineUserId}`,
    );
    expect(pushes).toHaveLength(2);
    for (const p of pushes) {
      expect(p.status).toBe(200);
      expect(p.headers.authorization).not.toBe(`Bearer ${s.channelToken}`);
    }
    expect(pushes[0].headers.authorization).toBe(pushes[1].headers.authorization);
    const issued = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/oauth2/v3/token&contains=${s.messagingSecret}`,
    );
    expect(issued).toHaveLength(1);
    expect(issued[0].form).toMatchObject({ grant_type: 'client_credentials' });

    const verified = await gql(
      `mutation { verifyIntegration(kind: LINE) { ok integration { status
        ... on LineMessenger { basicId messagingChannelId channelAccessToken { configured } } } } }`,
      {},
      s.admin,
    );
    expect(verified.data?.verifyIntegration).toMatchObject({
      ok: true,
      integration: {
        status: 'ACTIVE',
        basicId: s.basicId,
        messagingChannelId: expect.stringMatching(/^\d+$/),
        channelAccessToken: { configured: false },
      },
    });
  });
  it('a changed channel secret gets no cached token: the send fails, verify says so', async () => {
    const s = await linked({ stateless: true });
    const VERIFY = `mutation { verifyIntegration(kind: LINE) { ok errors { code message }
      integration { status ... on LineMessenger { messagingChannelId } } } }`;
    const ok = await gql(VERIFY, {}, s.admin);
    expect(ok.data?.verifyIntegration).toMatchObject({ ok: true, errors: [] });
    const channelId = ok.data?.verifyIntegration.integration.messagingChannelId as string;
    const first = await emit(s);
    await wait(s, first, (x) => byUser(x, s.member, 'LINE')?.status === 'SENT');
    const pushes = () =>
      fake(
        env.LINE_API_BASE,
        `/__fake/requests?path=/v2/bot/message/push&contains=${s.lineUserId}`,
      );
    const [sent] = await pushes();
    const oldToken = sent.headers.authorization;

    // The admin saves another Messaging channel secret, which LINE does not accept.
    const changed = `changed-secret-${hex(16)}`;
    const saved = await gql(
      CONFIGURE,
      { i: { enabled: true, messagingChannelSecret: changed } },
      s.admin,
    );
    expect(saved.data?.configureLine.errors).toEqual([]);
    const failed = await wait(s, await emit(s), (x) =>
      ['SENT', 'FAILED'].includes(byUser(x, s.member, 'LINE')?.status),
    );
    expect(byUser(failed, s.member, 'LINE')).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('LINE stateless token'),
    });
    expect(await pushes()).toHaveLength(1);
    const refused = await gql(VERIFY, {}, s.admin);
    expect(refused.data?.verifyIntegration).toMatchObject({
      ok: false,
      errors: [{ code: 'PROVIDER_REJECTED' }],
      integration: { status: 'ERROR' },
    });
    expect(JSON.stringify(refused)).not.toContain(changed);

    // LINE now has that secret: verify issues a token for it and the next send uses a new one.
    await fake(env.LINE_API_BASE, '/__fake/state', {
      statelessChannels: { [channelId]: { secret: changed } },
    });
    expect((await gql(VERIFY, {}, s.admin)).data?.verifyIntegration).toMatchObject({ ok: true });
    await wait(s, await emit(s), (x) => byUser(x, s.member, 'LINE')?.status === 'SENT');
    const after = await pushes();
    expect(after).toHaveLength(2);
    expect(after[1].headers.authorization).not.toBe(oldToken);
  });
});

describe('verifyIntegration(LINE)', () => {
  it("reports the official account's basic id and whether the friend URL matches", async () => {
    const s = await setup();
    const VERIFY = `mutation { verifyIntegration(kind: LINE) { ok errors { code field }
      integration { status ... on LineMessenger { basicId friendUrlMatches } } } }`;
    const ok = await gql(VERIFY, {}, s.admin);
    expect(ok.data?.verifyIntegration).toEqual({
      ok: true,
      errors: [],
      integration: { status: 'ACTIVE', basicId: s.basicId, friendUrlMatches: true },
    });
    await gql(
      CONFIGURE,
      { i: { enabled: true, friendUrl: 'https://line.me/R/ti/p/@other' } },
      s.admin,
    );
    const mismatch = await gql(VERIFY, {}, s.admin);
    expect(mismatch.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [{ code: 'INVALID', field: ['friendUrl'] }],
      integration: { basicId: s.basicId, friendUrlMatches: false },
    });
  });
});
