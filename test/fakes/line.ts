/**
 * Fake LINE Platform: Messaging API + LINE Login token/profile endpoints on the API server
 * (`LINE_API_BASE`, listener 'api') and the LINE Login authorize page on the access server
 * (`LINE_ACCESS_BASE`, listener 'access'), sharing one state. Implements
 * /work/shared/design/PROVIDERS.md "LINE (Login v2.1 + Messaging API)":
 * - `GET {ACCESS}/oauth2/v2.1/authorize?response_type=code&client_id&redirect_uri&state&scope
 *   &nonce&bot_prompt&code_challenge&code_challenge_method=S256` → 302 to the callback with
 *   `?code&state&friendship_status_changed` or `?error=access_denied&error_description&state`.
 * - `POST {API}/oauth2/v2.1/token` (authorization_code + PKCE) → `access_token, id_token
 *   (HS256 with the Login channel secret; iss https://access.line.me, aud channel id, sub userId,
 *   nonce), refresh_token, expires_in`; `GET /friendship/v1/status` → `{"friendFlag"}`.
 *   https://developers.line.biz/en/docs/line-login/link-a-bot
 * - `POST {API}/v2/bot/message/push` with `X-Line-Retry-Key` (UUID; 409 + `x-line-accepted-request-id`
 *   when already accepted), 1–5 messages (text ≤5,000 UTF-16 units, flex needs altText),
 *   429 rate limit / monthly quota. https://developers.line.biz/en/docs/messaging-api/retrying-api-request
 * - `POST /v2/bot/message/reply` with single-use reply tokens (issued by `POST /__fake/reply-token`).
 * - Postback clicks (v2 facts › LINE): `POST /__fake/postback` builds the signed webhook of a
 *   `postback` event (with a fresh reply token) and optionally posts it to the app's webhook.
 * - Stateless channel access tokens: `POST {API}/oauth2/v3/token` client_credentials (15 min).
 * - Monthly quota (v2 facts › LINE): `GET /v2/bot/message/quota` → `{"type":"limited","value":N}`
 *   or `{"type":"none"}` per channel (`quotas`, `defaultQuota`), `GET
 *   /v2/bot/message/quota/consumption` → `{"totalUsage":N}` counting this month's pushes
 *   (Asia/Tokyo month); a push past the limit gets 429 "You have reached your monthly limit.".
 *   https://developers.line.biz/en/reference/messaging-api/#get-quota
 * - Bad ID tokens on demand: `state.idTokenFaults[loginChannelId]` makes the token endpoint issue
 *   that channel's ID tokens with another nonce, signing secret, audience or issuer, or already
 *   expired (what a forged or replayed callback would carry), until the entry is removed.
 * Not from PROVIDERS.md but handy: `GET /v2/bot/info`, `GET /v2/profile`, `GET /v2/bot/profile/{id}`,
 * `POST|GET /oauth2/v2.1/verify`.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import {
  type FakeContext,
  FakeProvider,
  type FakeProviderSpec,
  type FakeRequest,
  type FakeResponse,
  isPlainObject,
  json,
  SlidingWindow,
} from './fake-server.ts';

export interface LineBot {
  userId: string;
  basicId: string;
  displayName: string;
  channelId?: string;
  premiumId?: string;
  pictureUrl?: string;
  /** Set for stateless tokens issued by /oauth2/v3/token (ms epoch). */
  expiresAt?: number;
}

export interface LineState {
  /** Valid channel access tokens → the bot they act as. */
  bots: Record<string, LineBot>;
  statelessChannels: Record<string, { secret: string; botToken?: string }>;
  loginChannels: Record<string, { secret: string }>;
  users: Record<string, { displayName: string; friend: boolean; pictureUrl?: string }>;
  /**
   * How the next authorize request ends: as `userId`, denied, and whether a `bot_prompt` login
   * adds the bot as a friend (`addFriend`; then `friendship_status_changed=true`).
   */
  authorize: { userId: string; deny?: boolean; addFriend?: boolean };
  monthlyQuotaExceeded: boolean;
  rateLimit: { perSecond: number } | null;
  /** Issued authorization codes. */
  codes: Record<
    string,
    {
      clientId: string;
      redirectUri: string;
      nonce?: string;
      codeChallenge?: string;
      userId: string;
      expiresAt: number;
      used: boolean;
    }
  >;
  /** Issued LINE Login user access tokens. */
  userTokens: Record<string, { userId: string; clientId: string; expiresAt: number }>;
  refreshTokens: Record<string, { userId: string; clientId: string }>;
  replyTokens: Record<string, { userId: string; used: boolean }>;
  /** Accepted push retry keys: `${channel}:${retryKey}` → request id. */
  retryKeys: Record<string, { requestId: string; sentMessages: unknown[] }>;
  /** Messages sent (push + reply), all channels together. */
  totalUsage: number;
  /**
   * The monthly message quota per Messaging channel (the bot's `channelId`, else its token), as
   * `GET /v2/bot/message/quota` answers it; channels not listed get `defaultQuota`.
   */
  quotas: Record<string, LineQuota>;
  defaultQuota: LineQuota;
  /**
   * Pushed messages per channel and month (`YYYY-MM`, Asia/Tokyo; omitted = this month), as
   * `GET /v2/bot/message/quota/consumption` answers it; an earlier month counts as 0. Replies do
   * not count (PROVIDERS.md, v2 facts › LINE).
   */
  consumption: Record<string, { month?: string; totalUsage: number }>;
  /** Per LINE Login channel id: how its ID tokens are spoiled (see the header). */
  idTokenFaults: Record<string, IdTokenFault>;
}

/** What is wrong with the ID tokens the fake issues for one Login channel. */
export interface IdTokenFault {
  nonce?: string;
  /** Signs with this secret instead of the channel secret. */
  secret?: string;
  audience?: string;
  issuer?: string;
  /** `exp` this many seconds from now (negative: already expired). */
  expiresInSeconds?: number;
}

/** `{"type":"limited","value":N}` or `{"type":"none"}`. */
export type LineQuota = { type: 'limited'; value: number } | { type: 'none' };

/** The month LINE counts pushes in (Asia/Tokyo, UTC+9). */
export function fakeLineMonth(nowMs = Date.now()): string {
  return new Date(nowMs + 9 * 3_600_000).toISOString().slice(0, 7);
}

export const DEFAULT_LINE_USER_ID = 'U00000000000000000000000000000001';

export const defaultLineState = (): LineState => ({
  bots: {},
  statelessChannels: {},
  loginChannels: {},
  users: {},
  authorize: { userId: DEFAULT_LINE_USER_ID },
  monthlyQuotaExceeded: false,
  rateLimit: null,
  codes: {},
  userTokens: {},
  refreshTokens: {},
  replyTokens: {},
  retryKeys: {},
  totalUsage: 0,
  quotas: {},
  defaultQuota: { type: 'none' },
  consumption: {},
  idTokenFaults: {},
});

const AUTH_FAILED = {
  message:
    'Authentication failed. Confirm that the access token in the authorization header is valid.',
};
const USER_ID = /^U[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tokenString = (n = 32) => randomBytes(n).toString('base64url');
const enc = new TextEncoder();

const bodyError = (details: { message: string; property: string }[]) =>
  json(400, { message: `The request body has ${details.length} error(s)`, details });

export function createLineFake(initial: Partial<LineState> = {}): FakeProvider<LineState> {
  const windows = new SlidingWindow();
  let messageSeq = 0;
  const nextMessageId = () => String(500_000_000_000_000_000n + BigInt(++messageSeq));

  const spec: FakeProviderSpec<LineState> = {
    name: 'line',
    initialState: { ...defaultLineState(), ...structuredClone(initial) },
    onReset: () => windows.clear(),
    faultResponse: (kind, retryAfter) =>
      kind === '429'
        ? json(429, { message: 'Too many requests' }, { 'retry-after': String(retryAfter) })
        : json(500, { message: 'An error occurred in the server.' }),
    control(req, ctx) {
      if (req.method === 'POST' && req.path === '/__fake/postback') {
        return postbackWebhook(isPlainObject(req.json) ? req.json : {}, ctx);
      }
      if (req.method === 'POST' && req.path === '/__fake/reply-token') {
        const body = isPlainObject(req.json) ? req.json : {};
        const userId = typeof body.userId === 'string' ? body.userId : DEFAULT_LINE_USER_ID;
        const replyToken = randomBytes(16).toString('hex');
        ctx.state.replyTokens[replyToken] = { userId, used: false };
        return json(200, { replyToken });
      }
      return undefined;
    },
    handle(req, ctx) {
      if (req.listener === 'access') {
        if (req.method === 'GET' && req.path === '/oauth2/v2.1/authorize') {
          return authorize(req, ctx);
        }
        return html(404, 'Not Found');
      }
      const route = `${req.method} ${req.path}`;
      switch (route) {
        case 'POST /v2/bot/message/push':
          return push(req, ctx);
        case 'POST /v2/bot/message/reply':
          return reply(req, ctx);
        case 'GET /v2/bot/info':
          return botInfo(req, ctx);
        case 'GET /v2/bot/message/quota':
          return withBot(req, ctx, (bot, token) =>
            json(200, quotaOf(ctx.state, bot.channelId ?? token)),
          );
        case 'GET /v2/bot/message/quota/consumption':
          return withBot(req, ctx, (bot, token) =>
            json(200, { totalUsage: usageOf(ctx.state, bot.channelId ?? token) }),
          );
        case 'POST /oauth2/v3/token':
          return statelessToken(req, ctx);
        case 'POST /oauth2/v2.1/token':
          return loginToken(req, ctx);
        case 'POST /oauth2/v2.1/verify':
          return verifyIdToken(req, ctx);
        case 'GET /oauth2/v2.1/verify':
          return verifyAccessToken(req, ctx);
        case 'GET /friendship/v1/status':
          return withUser(req, ctx, (userId) =>
            json(200, { friendFlag: ctx.state.users[userId]?.friend ?? false }),
          );
        case 'GET /v2/profile':
          return withUser(req, ctx, (userId) => {
            const u = ctx.state.users[userId];
            return json(200, {
              userId,
              displayName: u?.displayName ?? 'LINE User',
              ...(u?.pictureUrl ? { pictureUrl: u.pictureUrl } : {}),
            });
          });
      }
      const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(req.path);
      if (req.method === 'GET' && profile) {
        return withBot(req, ctx, () => {
          const id = decodeURIComponent(profile[1] as string);
          const u = ctx.state.users[id];
          if (!u?.friend) return json(404, { message: 'Not found' });
          return json(200, { userId: id, displayName: u.displayName, language: 'ja' });
        });
      }
      return json(404, { message: 'Not found' });
    },
  };

  function botFor(req: FakeRequest, st: LineState): { token: string; bot: LineBot } | undefined {
    const h = req.headers.authorization;
    const token = h ? /^Bearer\s+(.+)$/i.exec(h.trim())?.[1]?.trim() : undefined;
    const bot = token ? st.bots[token] : undefined;
    if (!token || !bot) return undefined;
    if (bot.expiresAt !== undefined && bot.expiresAt <= Date.now()) return undefined;
    return { token, bot };
  }

  function withBot(
    req: FakeRequest,
    ctx: FakeContext<LineState>,
    fn: (bot: LineBot, token: string) => FakeResponse,
  ): FakeResponse {
    const b = botFor(req, ctx.state);
    return b ? fn(b.bot, b.token) : json(401, AUTH_FAILED);
  }

  function withUser(
    req: FakeRequest,
    ctx: FakeContext<LineState>,
    fn: (userId: string) => FakeResponse,
  ): FakeResponse {
    const h = req.headers.authorization;
    const token = h ? /^Bearer\s+(.+)$/i.exec(h.trim())?.[1]?.trim() : undefined;
    const t = token ? ctx.state.userTokens[token] : undefined;
    if (!t || t.expiresAt <= Date.now()) {
      return json(401, {
        error: 'invalid_token',
        error_description: 'The access token is invalid',
      });
    }
    return fn(t.userId);
  }

  function botInfo(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    return withBot(req, ctx, (bot) =>
      json(200, {
        userId: bot.userId,
        basicId: bot.basicId,
        ...(bot.premiumId ? { premiumId: bot.premiumId } : {}),
        displayName: bot.displayName,
        ...(bot.pictureUrl ? { pictureUrl: bot.pictureUrl } : {}),
        chatMode: 'chat',
        markAsReadMode: 'auto',
      }),
    );
  }

  function quotaOf(st: LineState, channel: string): LineQuota {
    return st.quotas[channel] ?? st.defaultQuota ?? { type: 'none' };
  }

  /** This month's pushed messages of a channel. */
  function usageOf(st: LineState, channel: string): number {
    const c = st.consumption?.[channel];
    if (!c || (c.month !== undefined && c.month !== fakeLineMonth())) return 0;
    return c.totalUsage;
  }

  function countPush(st: LineState, channel: string, messages: number) {
    st.consumption ??= {};
    st.consumption[channel] = {
      month: fakeLineMonth(),
      totalUsage: usageOf(st, channel) + messages,
    };
  }

  function sent(messages: unknown[]) {
    return messages.map(() => ({ id: nextMessageId(), quoteToken: tokenString(48) }));
  }

  function push(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    const st = ctx.state;
    const b = botFor(req, st);
    if (!b) return json(401, AUTH_FAILED);
    const retryKey = req.headers['x-line-retry-key'];
    if (retryKey !== undefined && !UUID.test(retryKey)) {
      return json(400, { message: 'The value of the X-Line-Retry-Key header is invalid' });
    }
    if (!isPlainObject(req.json)) return bodyError([{ message: 'Invalid JSON', property: '' }]);
    const body = req.json;
    if (typeof body.to !== 'string' || !USER_ID.test(body.to)) {
      return json(400, {
        message: "The property, 'to', in the request body is invalid (line: -, column: -)",
      });
    }
    const problems = validateMessages(body.messages);
    if (problems.length) return bodyError(problems);
    const channel = b.bot.channelId ?? b.token;
    const requestId = randomUUID();
    if (retryKey) {
      const prev = st.retryKeys[`${channel}:${retryKey.toLowerCase()}`];
      if (prev) {
        return json(
          409,
          { message: 'The retry key is already accepted', sentMessages: prev.sentMessages },
          { 'x-line-request-id': requestId, 'x-line-accepted-request-id': prev.requestId },
        );
      }
    }
    const limit = st.rateLimit?.perSecond;
    if (limit && limit > 0 && !windows.hit(channel, limit, 1000)) {
      ctx.rateLimited();
      return json(429, { message: 'Too many requests' }, { 'x-line-request-id': requestId });
    }
    const quota = quotaOf(st, channel);
    const pushing = (body.messages as unknown[]).length;
    if (
      st.monthlyQuotaExceeded ||
      (quota.type === 'limited' && usageOf(st, channel) + pushing > quota.value)
    ) {
      return json(
        429,
        { message: 'You have reached your monthly limit.' },
        { 'x-line-request-id': requestId },
      );
    }
    const messages = body.messages as unknown[];
    const sentMessages = sent(messages);
    if (retryKey)
      st.retryKeys[`${channel}:${retryKey.toLowerCase()}`] = { requestId, sentMessages };
    st.totalUsage += messages.length;
    countPush(st, channel, messages.length);
    ctx.accept(body.to, retryKey);
    return json(200, { sentMessages }, { 'x-line-request-id': requestId });
  }

  function reply(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    const st = ctx.state;
    const b = botFor(req, st);
    if (!b) return json(401, AUTH_FAILED);
    if (!isPlainObject(req.json)) return bodyError([{ message: 'Invalid JSON', property: '' }]);
    const body = req.json;
    const problems = validateMessages(body.messages);
    if (problems.length) return bodyError(problems);
    const rt = typeof body.replyToken === 'string' ? st.replyTokens[body.replyToken] : undefined;
    if (!rt || rt.used) return json(400, { message: 'Invalid reply token' });
    rt.used = true;
    const messages = body.messages as unknown[];
    st.totalUsage += messages.length;
    ctx.accept(rt.userId);
    return json(200, { sentMessages: sent(messages) }, { 'x-line-request-id': randomUUID() });
  }

  function statelessToken(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    const st = ctx.state;
    const f = req.form ?? {};
    if (f.grant_type !== 'client_credentials') {
      return json(400, { error: 'unsupported_grant_type', error_description: 'grant_type' });
    }
    const ch = f.client_id ? st.statelessChannels[f.client_id] : undefined;
    if (!ch || ch.secret !== f.client_secret) {
      return json(400, { error: 'invalid_client', error_description: 'invalid client' });
    }
    const channelId = f.client_id as string;
    const template = ch.botToken ? st.bots[ch.botToken] : undefined;
    const bot: LineBot = template
      ? { ...template }
      : {
          userId: `U${createHash('md5').update(channelId).digest('hex')}`,
          basicId: `@${channelId}`,
          displayName: `Fake bot ${channelId}`,
        };
    bot.channelId = channelId;
    bot.expiresAt = Date.now() + 900_000;
    const accessToken = tokenString(64);
    st.bots[accessToken] = bot;
    return json(200, {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: 900,
      key_id: randomBytes(16).toString('hex'),
    });
  }

  function authorize(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    const st = ctx.state;
    const q = req.query;
    if (q.response_type !== 'code') return html(400, 'response_type must be code');
    if (!q.client_id || !st.loginChannels[q.client_id]) return html(400, 'Invalid client_id');
    let redirect: URL;
    try {
      redirect = new URL(q.redirect_uri ?? '');
    } catch {
      return html(400, 'Invalid redirect_uri');
    }
    if (!q.state) return html(400, 'state is required');
    const scopes = (q.scope ?? '').split(/[\s,]+/);
    if (!scopes.includes('openid')) return html(400, 'scope must include openid');
    if (!q.code_challenge || q.code_challenge_method !== 'S256') {
      return html(400, 'code_challenge with code_challenge_method=S256 is required');
    }
    if (q.bot_prompt && q.bot_prompt !== 'normal' && q.bot_prompt !== 'aggressive') {
      return html(400, 'Invalid bot_prompt');
    }
    if (st.authorize.deny) {
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_description', 'The user has denied the consent');
      redirect.searchParams.set('state', q.state);
      return { status: 302, headers: { location: redirect.toString() } };
    }
    const userId = st.authorize.userId;
    let changed = false;
    if (q.bot_prompt && st.authorize.addFriend) {
      st.users[userId] ??= { displayName: 'LINE User', friend: false };
      const u = st.users[userId];
      if (!u.friend) {
        u.friend = true;
        changed = true;
      }
    }
    const code = tokenString(20);
    st.codes[code] = {
      clientId: q.client_id,
      redirectUri: q.redirect_uri as string,
      ...(q.nonce ? { nonce: q.nonce } : {}),
      codeChallenge: q.code_challenge,
      userId,
      expiresAt: Date.now() + 10 * 60_000,
      used: false,
    };
    redirect.searchParams.set('code', code);
    redirect.searchParams.set('state', q.state);
    redirect.searchParams.set('friendship_status_changed', String(changed));
    return { status: 302, headers: { location: redirect.toString() } };
  }

  async function loginToken(req: FakeRequest, ctx: FakeContext<LineState>): Promise<FakeResponse> {
    const st = ctx.state;
    const f = req.form ?? {};
    const invalidGrant = (d: string) => json(400, { error: 'invalid_grant', error_description: d });
    const channel = f.client_id ? st.loginChannels[f.client_id] : undefined;
    if (!channel || channel.secret !== f.client_secret) return invalidGrant('invalid client');
    const clientId = f.client_id as string;
    let userId: string;
    let nonce: string | undefined;
    if (f.grant_type === 'authorization_code') {
      const c = f.code ? st.codes[f.code] : undefined;
      if (!c || c.used) return invalidGrant('invalid authorization code');
      if (c.expiresAt <= Date.now()) return invalidGrant('authorization code expired');
      if (c.clientId !== clientId) return invalidGrant('client_id does not match');
      if (c.redirectUri !== f.redirect_uri) return invalidGrant('redirect_uri does not match');
      if (c.codeChallenge) {
        if (!f.code_verifier) return invalidGrant('code_verifier is required');
        const digest = createHash('sha256').update(f.code_verifier).digest('base64url');
        if (digest !== c.codeChallenge) return invalidGrant('code_verifier does not match');
      }
      c.used = true;
      userId = c.userId;
      nonce = c.nonce;
    } else if (f.grant_type === 'refresh_token') {
      const r = f.refresh_token ? st.refreshTokens[f.refresh_token] : undefined;
      if (!r || r.clientId !== clientId) return invalidGrant('invalid refresh token');
      userId = r.userId;
    } else {
      return json(400, { error: 'unsupported_grant_type', error_description: 'grant_type' });
    }
    const accessToken = tokenString(48);
    const refreshToken = tokenString(24);
    const expiresIn = 2_592_000;
    st.userTokens[accessToken] = { userId, clientId, expiresAt: Date.now() + expiresIn * 1000 };
    st.refreshTokens[refreshToken] = { userId, clientId };
    const now = Math.floor(Date.now() / 1000);
    const u = st.users[userId];
    const claims: Record<string, unknown> = {
      amr: ['linesso'],
      name: u?.displayName ?? 'LINE User',
      ...(u?.pictureUrl ? { picture: u.pictureUrl } : {}),
      ...(nonce ? { nonce } : {}),
    };
    const fault = st.idTokenFaults?.[clientId] ?? {};
    if (fault.nonce !== undefined) claims.nonce = fault.nonce;
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(fault.issuer ?? 'https://access.line.me')
      .setSubject(userId)
      .setAudience(fault.audience ?? clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + (fault.expiresInSeconds ?? 3600))
      .sign(enc.encode(fault.secret ?? channel.secret));
    return json(200, {
      access_token: accessToken,
      expires_in: expiresIn,
      id_token: idToken,
      refresh_token: refreshToken,
      scope: 'profile openid',
      token_type: 'Bearer',
    });
  }

  async function verifyIdToken(req: FakeRequest, ctx: FakeContext<LineState>) {
    const f = req.form ?? {};
    const channel = f.client_id ? ctx.state.loginChannels[f.client_id] : undefined;
    const bad = (d: string) => json(400, { error: 'invalid_request', error_description: d });
    if (!channel || !f.id_token) return bad('Invalid IdToken.');
    try {
      const { payload } = await jwtVerify(f.id_token, enc.encode(channel.secret), {
        issuer: 'https://access.line.me',
        audience: f.client_id,
        algorithms: ['HS256'],
      });
      if (f.nonce && payload.nonce !== f.nonce) return bad('Invalid IdToken Nonce.');
      if (f.user_id && payload.sub !== f.user_id) return bad('Invalid IdToken Subject Identifier.');
      return json(200, payload);
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      return bad(expired ? 'IdToken expired.' : 'Invalid IdToken.');
    }
  }

  function verifyAccessToken(req: FakeRequest, ctx: FakeContext<LineState>): FakeResponse {
    const t = req.query.access_token ? ctx.state.userTokens[req.query.access_token] : undefined;
    if (!t || t.expiresAt <= Date.now()) {
      return json(400, { error: 'invalid_request', error_description: 'access token expired' });
    }
    return json(200, {
      scope: 'profile openid',
      client_id: t.clientId,
      expires_in: Math.floor((t.expiresAt - Date.now()) / 1000),
    });
  }

  return new FakeProvider(spec);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(status: number, message: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html><body><h1>${status}</h1><p>${escapeHtml(message)}</p></body></html>`,
  };
}

/** Validates `messages` of push/reply; returns the error details (empty when valid). */
export function validateMessages(messages: unknown): { message: string; property: string }[] {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) {
    return [{ message: 'Size must be between 1 and 5', property: 'messages' }];
  }
  const out: { message: string; property: string }[] = [];
  for (const [i, m] of messages.entries()) {
    const at = `messages[${i}]`;
    const err = (message: string, prop = '') => {
      out.push({ message, property: `${at}${prop}` });
    };
    if (!isPlainObject(m) || typeof m.type !== 'string') {
      err('Must be specified', '.type');
      continue;
    }
    const str = (v: unknown) => typeof v === 'string' && v.length > 0;
    switch (m.type) {
      case 'text':
        if (!str(m.text)) err('Must be specified', '.text');
        else if ((m.text as string).length > 5000)
          err('Length must be between 0 and 5000', '.text');
        break;
      case 'flex':
        if (!str(m.altText)) err('Must be specified', '.altText');
        else if ((m.altText as string).length > 1500) {
          err('Length must be between 0 and 1500', '.altText');
        }
        if (!isPlainObject(m.contents)) err('Must be specified', '.contents');
        else if (m.contents.type !== 'bubble' && m.contents.type !== 'carousel') {
          err('Must be one of the following values: [bubble, carousel]', '.contents.type');
        }
        break;
      case 'template':
        if (!str(m.altText)) err('Must be specified', '.altText');
        if (!isPlainObject(m.template)) err('Must be specified', '.template');
        break;
      case 'sticker':
        if (!str(m.packageId)) err('Must be specified', '.packageId');
        if (!str(m.stickerId)) err('Must be specified', '.stickerId');
        break;
      case 'image':
        if (!str(m.originalContentUrl)) err('Must be specified', '.originalContentUrl');
        if (!str(m.previewImageUrl)) err('Must be specified', '.previewImageUrl');
        break;
      default:
        err(
          'Must be one of the following values: [text, image, video, audio, location, sticker, imagemap, template, flex]',
          '.type',
        );
    }
  }
  return out;
}

/**
 * A signed Messaging webhook carrying one `postback` event, as LINE sends it when a member taps
 * a postback button (v2 facts › LINE): a fresh reply token (valid for `replyTokenTtlMs`, default
 * one minute), `source.userId`, `postback.data`, `webhookEventId`, `deliveryContext.isRedelivery`;
 * `x-line-signature` = base64(HMAC-SHA256(channel secret, body)). With `url` it is posted there
 * and the answer returned; without, the signed request is returned.
 */
async function postbackWebhook(
  body: Record<string, unknown>,
  ctx: FakeContext<LineState>,
): Promise<FakeResponse> {
  const secret = typeof body.channelSecret === 'string' ? body.channelSecret : '';
  const userId = typeof body.userId === 'string' ? body.userId : DEFAULT_LINE_USER_ID;
  if (!secret) return json(400, { error: 'channelSecret needed' });
  const replyToken = randomBytes(16).toString('hex');
  ctx.state.replyTokens[replyToken] = { userId, used: false };
  const event = {
    type: 'postback',
    mode: 'active',
    timestamp: Date.now(),
    source: { type: 'user', userId },
    webhookEventId:
      typeof body.webhookEventId === 'string'
        ? body.webhookEventId
        : `01${randomBytes(12).toString('hex').toUpperCase()}`,
    deliveryContext: { isRedelivery: body.redelivery === true },
    replyToken,
    postback: { data: typeof body.data === 'string' ? body.data : '' },
  };
  const raw = JSON.stringify({ destination: 'U0000000000000000000000000000b07', events: [event] });
  const signature = createHmac('sha256', secret).update(raw).digest('base64');
  const headers = { 'content-type': 'application/json', 'x-line-signature': signature };
  if (typeof body.url !== 'string') return json(200, { headers, body: raw, event });
  const res = await fetch(body.url, { method: 'POST', headers, body: raw });
  return json(200, { status: res.status, body: await res.text(), event });
}
