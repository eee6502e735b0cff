// Unit: the LINE adapter functions (push, bot info, stateless tokens, LINE Login, webhook
// signatures, reply) against the LINE fake on 127.0.0.1. Every test uses its own channel
// token, channel ids and LINE user ids, and scripts only requests that contain them: the fake
// is shared, so its global switches (monthlyQuotaExceeded, rateLimit, authorize) stay untouched.
import { env } from 'cloudflare:workers';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  buildAuthorizeUrl,
  exchangeLoginCode,
  getFriendship,
  issueStatelessToken,
  lineAdapter,
  lineBotInfo,
  lineFlexMessage,
  lineRetryKey,
  pkceChallenge,
  pkcePair,
  pushText,
  replyMessage,
  signLineBody,
  verifyLineIdToken,
  verifyLineSignature,
} from '../../src/adapters/line/index.ts';
import type { Notification } from '../../src/adapters/types.ts';
import { fake, type FakeRequest as Recorded } from '../helpers.ts';

const control = (path: string, body?: unknown) => fake(env.LINE_API_BASE, path, body);
const API = env.LINE_API_BASE;
const ACCESS = env.LINE_ACCESS_BASE;

const requests = (path: string, contains: string): Promise<Recorded[]> =>
  control(
    `/__fake/requests?path=${encodeURIComponent(path)}&contains=${encodeURIComponent(contains)}`,
  );

const script = (match: { path?: string; contains?: string }, responses: unknown[]) =>
  control('/__fake/script', { match, responses });

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
const lineUserId = () => `U${hex(16)}`;
const uid = (prefix: string) => `${prefix}${hex(6)}`;
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A channel access token the fake knows, with its bot and one friend. */
async function newChannel() {
  const token = uid('chtoken-');
  const bot = { userId: lineUserId(), basicId: `@${hex(4)}`, displayName: 'Renkei Bot' };
  const friend = lineUserId();
  await control('/__fake/state', {
    bots: { [token]: bot },
    users: { [friend]: { displayName: 'Hanako', friend: true } },
  });
  return { token, bot, friend };
}

const notification = (over: Partial<Notification> = {}): Notification => ({
  type: 'APPROVED',
  locale: 'JA',
  documentId: 'doc-9',
  title: '出張申請',
  url: 'https://workplace.test/docs/doc-9',
  actorName: '佐藤 花子',
  comment: null,
  ...over,
});

describe('lineRetryKey', () => {
  it('is a v5-shaped UUID derived only from the delivery id', async () => {
    const a = await lineRetryKey('delivery-1');
    expect(a).toMatch(UUID_V5);
    expect(await lineRetryKey('delivery-1')).toBe(a);
    expect(await lineRetryKey('delivery-2')).not.toBe(a);
  });
});

describe('lineFlexMessage', () => {
  it('renders a bubble with heading, lines and a uri button; altText ≤ 400', () => {
    const m = lineFlexMessage(notification({ comment: 'x'.repeat(3000) }));
    expect(m.type).toBe('flex');
    expect(m.altText.length).toBeLessThanOrEqual(400);
    expect(m.altText.startsWith('承認: 出張申請')).toBe(true);
    const bubble = m.contents as any;
    expect(bubble.type).toBe('bubble');
    expect(bubble.body.contents[0]).toMatchObject({
      type: 'text',
      text: '承認: 出張申請',
      weight: 'bold',
    });
    expect(bubble.body.contents.map((c: { text: string }) => c.text)).toContain(
      '承認者: 佐藤 花子',
    );
    expect(bubble.footer.contents[0].action).toEqual({
      type: 'uri',
      label: '文書を開く',
      uri: 'https://workplace.test/docs/doc-9',
    });
  });
});

describe('lineAdapter.send', () => {
  const send = (
    ch: { token: string },
    to: string,
    deliveryId: string,
    timeoutMs = 5000,
    message = notification(),
  ) =>
    lineAdapter.send({
      base: API,
      credentials: { channelAccessToken: ch.token },
      target: { lineUserId: to },
      message,
      deliveryId,
      timeoutMs,
    });

  it('pushes a flex message with a retry key derived from the delivery (200 → sent)', async () => {
    const ch = await newChannel();
    const deliveryId = uid('dlv-');
    expect(lineAdapter.channel).toBe('LINE');
    const r = await send(ch, ch.friend, deliveryId);
    expect(r).toMatchObject({ kind: 'sent', providerMessageId: expect.stringMatching(/^\d+$/) });

    const [req] = await requests('/v2/bot/message/push', ch.friend);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v2/bot/message/push');
    expect(req?.headers.authorization).toBe(`Bearer ${ch.token}`);
    expect(req?.headers['content-type']).toContain('application/json');
    expect(req?.headers['x-line-retry-key']).toBe(await lineRetryKey(deliveryId));
    expect(req?.json).toEqual({ to: ch.friend, messages: [lineFlexMessage(notification())] });
    expect(req?.status).toBe(200);
  });

  it('reuses the retry key on every attempt; 409 (already accepted) counts as sent', async () => {
    const ch = await newChannel();
    const deliveryId = uid('dlv-');
    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      { status: 500, json: { message: 'An error occurred in the server.' } },
    ]);
    expect(await send(ch, ch.friend, deliveryId)).toMatchObject({ kind: 'retry' });
    expect((await send(ch, ch.friend, deliveryId)).kind).toBe('sent');
    // The fake accepted the key already: the third attempt is a 409 with the first request id.
    const again = await send(ch, ch.friend, deliveryId);
    const all = await requests('/v2/bot/message/push', ch.friend);
    expect(all.map((x) => x.status)).toEqual([500, 200, 409]);
    const keys = new Set(all.map((x) => x.headers['x-line-retry-key']));
    expect([...keys]).toEqual([await lineRetryKey(deliveryId)]);
    expect(again).toMatchObject({ kind: 'sent', providerMessageId: expect.any(String) });
  });

  it('takes the message id from x-line-accepted-request-id on 409', async () => {
    const ch = await newChannel();
    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      {
        status: 409,
        headers: { 'x-line-request-id': 'req-new', 'x-line-accepted-request-id': 'req-first' },
        json: { message: 'The retry key is already accepted' },
      },
    ]);
    expect(await send(ch, ch.friend, uid('dlv-'))).toEqual({
      kind: 'sent',
      providerMessageId: 'req-first',
    });
  });

  it('429: monthly quota is a permanent quota failure, rate limit is a retry', async () => {
    const ch = await newChannel();
    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      { status: 429, json: { message: 'You have reached your monthly limit.' } },
      { status: 429, headers: { 'retry-after': '3' }, json: { message: 'Too many requests' } },
      { status: 429, json: { message: 'Too many requests' } },
    ]);
    expect(await send(ch, ch.friend, uid('dlv-'))).toEqual({
      kind: 'failed',
      scope: 'quota',
      reason: 'LINE monthly message quota reached; resumes when the quota resets',
    });
    expect(await send(ch, ch.friend, uid('dlv-'))).toMatchObject({
      kind: 'retry',
      afterSeconds: 3,
    });
    const bare = await send(ch, ch.friend, uid('dlv-'));
    expect(bare).toMatchObject({ kind: 'retry' });
    expect(bare).not.toHaveProperty('afterSeconds');
  });

  it('401: bad channel token fails the integration, without the token in the reason', async () => {
    const r = await send({ token: 'not-a-channel-token-xyz' }, lineUserId(), uid('dlv-'));
    // Failed for the integration; the flag lets a caller holding a stateless token drop it.
    expect(r).toMatchObject({
      kind: 'failed',
      scope: 'integration',
      learned: { tokenRejected: 'true' },
    });
    expect(JSON.stringify(r)).not.toContain('not-a-channel-token-xyz');
  });

  it('400: invalid recipient → recipient, invalid message → message; 403 → integration', async () => {
    const ch = await newChannel();
    expect(await send(ch, 'not-a-user-id', uid('dlv-'))).toMatchObject({
      kind: 'failed',
      scope: 'recipient',
    });
    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      {
        status: 400,
        json: {
          message: 'The request body has 1 error(s)',
          details: [{ message: 'Must be specified', property: 'messages[0].altText' }],
        },
      },
      { status: 403, json: { message: 'Access to this API is not available for your account' } },
    ]);
    expect(await send(ch, ch.friend, uid('dlv-'))).toMatchObject({
      kind: 'failed',
      scope: 'message',
      reason: expect.stringContaining('messages[0].altText'),
    });
    expect(await send(ch, ch.friend, uid('dlv-'))).toMatchObject({
      kind: 'failed',
      scope: 'integration',
    });
  });

  it('5xx, resets and timeouts: retry', async () => {
    const ch = await newChannel();
    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      { status: 503, json: { message: 'unavailable' } },
      { reset: true },
      { hang: true },
    ]);
    expect(await send(ch, ch.friend, uid('dlv-'))).toMatchObject({ kind: 'retry' });
    expect(await send(ch, ch.friend, uid('dlv-'))).toMatchObject({ kind: 'retry' });
    expect(await send(ch, ch.friend, uid('dlv-'), 300)).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('timed out'),
    });
  });
});

describe('lineBotInfo and stateless tokens', () => {
  it('reads the official account behind a channel token', async () => {
    const ch = await newChannel();
    expect(
      await lineBotInfo({ apiBase: API, channelAccessToken: ch.token, timeoutMs: 5000 }),
    ).toEqual({
      ok: true,
      ...ch.bot,
    });
    const [req] = await requests('/v2/bot/info', ch.token);
    expect(req?.method).toBe('GET');
    expect(req?.headers.authorization).toBe(`Bearer ${ch.token}`);
    const bad = await lineBotInfo({
      apiBase: API,
      channelAccessToken: 'nope-token',
      timeoutMs: 5000,
    });
    expect(bad).toMatchObject({ ok: false, status: 401, retryable: false });
  });

  it('issues a stateless token that the Messaging API accepts', async () => {
    const ch = await newChannel();
    const channelId = String(1_600_000_000 + Math.floor(Math.random() * 99_999_999));
    const channelSecret = uid('secret-');
    await control('/__fake/state', {
      statelessChannels: { [channelId]: { secret: channelSecret, botToken: ch.token } },
    });
    const before = Date.now();
    const r = await issueStatelessToken({ apiBase: API, channelId, channelSecret });
    expect(r).toMatchObject({ ok: true, accessToken: expect.any(String) });
    if (!r.ok) return;
    expect(r.expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(r.expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    const [req] = await requests('/oauth2/v3/token', channelId);
    expect(req?.form).toEqual({
      grant_type: 'client_credentials',
      client_id: channelId,
      client_secret: channelSecret,
    });
    const info = await lineBotInfo({ apiBase: API, channelAccessToken: r.accessToken });
    expect(info).toMatchObject({ ok: true, basicId: ch.bot.basicId });

    const wrong = await issueStatelessToken({
      apiBase: API,
      channelId,
      channelSecret: 'wrong-secret',
    });
    expect(wrong).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(JSON.stringify(wrong)).not.toContain('wrong-secret');
  });
});

describe('LINE Login', () => {
  it('builds the authorize URL with PKCE and bot_prompt', async () => {
    const { verifier, challenge } = await pkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(challenge).toBe(await pkceChallenge(verifier));
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // RFC 7636 appendix B.
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    const url = buildAuthorizeUrl({
      accessBase: ACCESS,
      channelId: '1650000000',
      redirectUri: 'https://renkei.test/line/callback',
      state: 'st&1',
      nonce: 'n0nce',
      codeChallenge: challenge,
    });
    expect(url).toBe(
      `${ACCESS}/oauth2/v2.1/authorize?response_type=code&client_id=1650000000` +
        '&redirect_uri=https%3A%2F%2Frenkei.test%2Fline%2Fcallback&state=st%261' +
        `&scope=profile%20openid&nonce=n0nce&bot_prompt=aggressive&code_challenge=${challenge}` +
        '&code_challenge_method=S256',
    );
    expect(Object.fromEntries(new URL(url).searchParams)).toMatchObject({
      scope: 'profile openid',
      state: 'st&1',
      redirect_uri: 'https://renkei.test/line/callback',
    });
  });

  /** A Login channel, a member and an authorization code as the fake's authorize would issue. */
  async function loginFixture(friend: boolean) {
    const channelId = String(1_700_000_000 + Math.floor(Math.random() * 99_999_999));
    const channelSecret = uid('login-secret-');
    const userId = lineUserId();
    const nonce = uid('nonce-');
    const code = uid('code-');
    const redirectUri = 'https://renkei.test/line/callback';
    const { verifier, challenge } = await pkcePair();
    await control('/__fake/state', {
      loginChannels: { [channelId]: { secret: channelSecret } },
      users: { [userId]: { displayName: '鈴木 一郎', friend } },
      codes: {
        [code]: {
          clientId: channelId,
          redirectUri,
          nonce,
          codeChallenge: challenge,
          userId,
          expiresAt: Date.now() + 600_000,
          used: false,
        },
      },
    });
    return { channelId, channelSecret, userId, nonce, code, redirectUri, verifier };
  }

  it('exchanges the code, verifies the ID token and reads the friendship', async () => {
    const f = await loginFixture(true);
    const tokens = await exchangeLoginCode({
      apiBase: API,
      code: f.code,
      redirectUri: f.redirectUri,
      channelId: f.channelId,
      channelSecret: f.channelSecret,
      codeVerifier: f.verifier,
    });
    expect(tokens).toMatchObject({
      ok: true,
      accessToken: expect.any(String),
      idToken: expect.any(String),
    });
    if (!tokens.ok) return;
    const [req] = await requests('/oauth2/v2.1/token', f.code);
    expect(req?.method).toBe('POST');
    expect(req?.form).toEqual({
      grant_type: 'authorization_code',
      code: f.code,
      redirect_uri: f.redirectUri,
      client_id: f.channelId,
      client_secret: f.channelSecret,
      code_verifier: f.verifier,
    });

    expect(
      await verifyLineIdToken({
        idToken: tokens.idToken,
        channelId: f.channelId,
        channelSecret: f.channelSecret,
        nonce: f.nonce,
      }),
    ).toEqual({ ok: true, lineUserId: f.userId, displayName: '鈴木 一郎' });

    expect(await getFriendship({ apiBase: API, accessToken: tokens.accessToken })).toEqual({
      ok: true,
      friendFlag: true,
    });
    const [status] = await requests('/friendship/v1/status', tokens.accessToken);
    expect(status?.headers.authorization).toBe(`Bearer ${tokens.accessToken}`);
    expect(await getFriendship({ apiBase: API, accessToken: 'expired' })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('rejects a wrong verifier, a reused code and a foreign nonce or audience', async () => {
    const f = await loginFixture(false);
    const base = {
      apiBase: API,
      code: f.code,
      redirectUri: f.redirectUri,
      channelId: f.channelId,
      channelSecret: f.channelSecret,
    };
    const wrong = await exchangeLoginCode({ ...base, codeVerifier: 'x'.repeat(43) });
    expect(wrong).toMatchObject({ ok: false, status: 400, retryable: false });
    expect(JSON.stringify(wrong)).not.toContain(f.channelSecret);

    const tokens = await exchangeLoginCode({ ...base, codeVerifier: f.verifier });
    if (!tokens.ok) throw new Error(tokens.reason);
    expect(await exchangeLoginCode({ ...base, codeVerifier: f.verifier })).toMatchObject({
      ok: false,
    });

    const input = {
      idToken: tokens.idToken,
      channelId: f.channelId,
      channelSecret: f.channelSecret,
    };
    expect(await verifyLineIdToken({ ...input, nonce: 'other' })).toEqual({
      ok: false,
      reason: 'ID token nonce mismatch',
    });
    expect(await verifyLineIdToken({ ...input, nonce: f.nonce, channelId: '1' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('aud'),
    });
    expect(
      await verifyLineIdToken({ ...input, nonce: f.nonce, channelSecret: 'other' }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature'),
    });
    expect(
      await verifyLineIdToken({ ...input, nonce: f.nonce, now: Date.now() + 2 * 3600_000 }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
  });

  it('pins HS256 and checks the issuer', async () => {
    const secret = new TextEncoder().encode('login-secret');
    const claims = { nonce: 'n', name: 'A' };
    const sign = (alg: string, iss = 'https://access.line.me') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg })
        .setIssuer(iss)
        .setAudience('123')
        .setSubject(lineUserId())
        .setExpirationTime('1h')
        .sign(secret);
    const input = { channelId: '123', channelSecret: 'login-secret', nonce: 'n' };
    expect((await verifyLineIdToken({ ...input, idToken: await sign('HS256') })).ok).toBe(true);
    const hs512 = await sign('HS512');
    expect(decodeProtectedHeader(hs512).alg).toBe('HS512');
    expect(await verifyLineIdToken({ ...input, idToken: hs512 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('HS256 only'),
    });
    const unsigned = `${btoa(JSON.stringify({ alg: 'none' })).replaceAll('=', '')}.${btoa(
      JSON.stringify({ ...claims, iss: 'https://access.line.me', aud: '123', sub: 'U1', exp: 9e9 }),
    ).replaceAll('=', '')}.`;
    expect((await verifyLineIdToken({ ...input, idToken: unsigned })).ok).toBe(false);
    expect(
      await verifyLineIdToken({ ...input, idToken: await sign('HS256', 'https://evil.example') }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('iss') });
    expect((await verifyLineIdToken({ ...input, idToken: 'garbage' })).ok).toBe(false);
  });
});

describe('verifyLineSignature', () => {
  it('accepts the signature over the raw body, as string or bytes', async () => {
    const secret = 'messaging-secret';
    const raw = '{"destination":"U0","events":[{"type":"follow","message":"日本語"}]}';
    const signature = await signLineBody(secret, raw);
    expect(await verifyLineSignature(secret, raw, signature)).toBe(true);
    const bytes = new TextEncoder().encode(raw);
    expect(await verifyLineSignature(secret, bytes.buffer as ArrayBuffer, signature)).toBe(true);
    // An independently computed HMAC gives the same header value.
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes));
    expect(btoa(String.fromCharCode(...mac))).toBe(signature);
  });

  it('rejects a missing, malformed or wrong signature and a changed body', async () => {
    const secret = 'messaging-secret';
    const raw = '{"destination":"U0","events":[]}';
    const signature = await signLineBody(secret, raw);
    expect(await verifyLineSignature(secret, raw, null)).toBe(false);
    expect(await verifyLineSignature(secret, raw, '')).toBe(false);
    expect(await verifyLineSignature(secret, raw, 'not base64 !')).toBe(false);
    expect(await verifyLineSignature(secret, raw, btoa('short'))).toBe(false);
    expect(await verifyLineSignature('other-secret', raw, signature)).toBe(false);
    expect(await verifyLineSignature(secret, `${raw} `, signature)).toBe(false);
    expect(await verifyLineSignature('', raw, signature)).toBe(false);
  });
});

describe('replyMessage and pushText', () => {
  it('replies once with a reply token', async () => {
    const ch = await newChannel();
    const { replyToken } = await control('/__fake/reply-token', { userId: ch.friend });
    const messages = [{ type: 'text' as const, text: '連携が完了しました' }];
    const r = await replyMessage({
      apiBase: API,
      channelAccessToken: ch.token,
      replyToken,
      messages,
    });
    expect(r).toMatchObject({ ok: true });
    const [req] = await requests('/v2/bot/message/reply', replyToken);
    expect(req?.headers.authorization).toBe(`Bearer ${ch.token}`);
    expect(req?.json).toEqual({ replyToken, messages });
    // Reply tokens are single-use.
    expect(
      await replyMessage({ apiBase: API, channelAccessToken: ch.token, replyToken, messages }),
    ).toMatchObject({ ok: false, status: 400, retryable: false });
  });

  it('pushes a text message with a retry key; a repeat is a 409 that counts as done', async () => {
    const ch = await newChannel();
    const retryKey = await lineRetryKey(uid('friend-added-'));
    const input = {
      apiBase: API,
      channelAccessToken: ch.token,
      to: ch.friend,
      text: 'WORKPLACE の通知を LINE で受け取れるようになりました。',
      retryKey,
    };
    expect(await pushText(input)).toMatchObject({ ok: true });
    expect(await pushText(input)).toMatchObject({ ok: true });
    const all = await requests('/v2/bot/message/push', ch.friend);
    expect(all.map((x) => x.status)).toEqual([200, 409]);
    expect(all[0]?.headers['x-line-retry-key']).toBe(retryKey);
    expect(all[0]?.json).toEqual({ to: ch.friend, messages: [{ type: 'text', text: input.text }] });

    await script({ path: '/v2/bot/message/push', contains: ch.friend }, [
      { status: 429, json: { message: 'You have reached your monthly limit.' } },
    ]);
    expect(await pushText({ ...input, retryKey: undefined })).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringContaining('monthly message quota'),
    });
  });
});
