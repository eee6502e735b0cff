/**
 * Fake LINE WORKS API 2.0: the auth server (`LINE_WORKS_AUTH_BASE`, listener 'auth') and the API
 * server (`LINE_WORKS_API_BASE` = `${origin}/v1.0`, listener 'api'), sharing one state.
 * Implements /work/shared/design/PROVIDERS.md "LINE WORKS (API 2.0)":
 * - `POST /oauth2/v2.0/token` form `assertion, grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
 *   client_id, client_secret, scope`; the assertion is an RS256 JWT (`iss`=Client ID,
 *   `sub`=Service Account, numeric `iat`/`exp`) verified with the app's public key. Response
 *   `access_token, refresh_token, token_type, expires_in` (a string here), `scope`. Scopes may be
 *   separated by spaces or commas (unconfirmed which one LINE WORKS expects; both accepted).
 *   `grant_type=refresh_token` is also supported. https://developers.worksmobile.com/jp/docs/auth-jwt
 * - Errors `{"code","description"}`: 401 UNAUTHORIZED, 403 FORBIDDEN (scope), 404 NOT_FOUND,
 *   400 INVALID_PARAMETER, 429 TOO_MANY_REQUESTS. https://developers.worksmobile.com/jp/docs/error-codes
 * - `POST /bots/{botId}/users/{userId}/messages` → 201 (text ≤2,000, link, button_template, flex).
 *   https://developers.worksmobile.com/jp/docs/bot-user-message-send
 * - `POST /bots` → botId; `POST /bots/{botId}/domains/{domainId}` `{"visible":true}`; bot
 *   management calls get an artificial delay (`botManagementDelayMs`) so that parallel calls for
 *   the same tenant overlap and are counted (`concurrentBotManagement` in /__fake/stats).
 *   https://developers.worksmobile.com/en/docs/bot-create
 * - Calendar (member's default calendar): `POST /users/{userId}/calendar/events`, and `GET`/`PUT`
 *   (full replace)/`DELETE` (204) `/users/{userId}/calendar/events/{eventId}`; events are kept in
 *   `state.events[userId][eventId]`; a created event counts as accepted under the key
 *   `calendar:{userId}`. https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 * - Rate limit (optional `rateLimit.perMinute`): per domain, per API (method + path template), in
 *   a rolling minute; headers `rateLimit-limit`, `rateLimit-remaining`, `rateLimit-reset`.
 *   https://developers.worksmobile.com/jp/docs/rate-limits
 * - v2: the bot callback fields (`enableCallback`, `callbackUrl`, `callbackEvents`) on `POST
 *   /bots` and `PATCH /bots/{botId}`; `GET /users/{userId}` (resource id or email, scope
 *   `user.read`) from `state.directory`; `POST /__fake/callback` builds and signs a button click.
 *   https://developers.worksmobile.com/jp/docs/bot-callback , .../user-get-profile
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
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

export interface LineWorksApp {
  clientSecret: string;
  serviceAccount: string;
  /** SPKI ("BEGIN PUBLIC KEY") PEM of the app's key pair. */
  publicKeyPem: string;
  domainId: string;
  /** When set, the scopes the app may request. */
  scopes?: string[];
}

export interface LineWorksBot {
  botName: string;
  description?: string;
  photoUrl?: string;
  administrators: string[];
  domains: string[];
  /** Tenant (domain) that created the bot. */
  ownerDomainId?: string;
  /** v2: the bot callback (POST /bots or PATCH /bots/{botId}). */
  enableCallback?: boolean;
  callbackUrl?: string;
  callbackEvents?: string[];
}

export interface LineWorksEvent {
  eventComponents: Record<string, unknown>[];
  sendNotification?: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface LineWorksState {
  apps: Record<string, LineWorksApp>;
  tokenTtlSeconds: number;
  bots: Record<string, LineWorksBot>;
  /** Known user ids (user id or login id / email); null accepts any. */
  users: string[] | null;
  /** Per domain and API; `windowMs` (60,000) scales the minute down for a test. */
  rateLimit: { perMinute: number; windowMs?: number } | null;
  /** Per-domain overrides of `rateLimit` (by domainId): a test limits its own domain. */
  domainLimits: Record<string, { perMinute: number; windowMs?: number }>;
  /** Artificial processing time of bot-management calls (ms). */
  botManagementDelayMs: number;
  /** When true, an overlapping bot-management call is answered 409 CONFLICT (else only counted). */
  rejectConcurrentBotManagement: boolean;
  nextBotId: number;
  /** Issued access tokens. */
  tokens: Record<
    string,
    { clientId: string; domainId: string; scopes: string[]; expiresAt: number }
  >;
  refreshTokens: Record<string, { clientId: string; scope: string }>;
  /** Calendar events: userId → eventId → event. */
  events: Record<string, Record<string, LineWorksEvent>>;
  /** Each domain's members (by domainId), for `GET /users` and `GET /users/{userId}`. */
  directory: Record<string, LineWorksDirectoryUser[]>;
}

/** A member as `GET /users/{userId}` describes them. */
export interface LineWorksDirectoryUser {
  /** The permanent resource id (a UUID). */
  userId: string;
  /** The login id. */
  email: string;
  userExternalKey?: string;
  userName?: { lastName?: string; firstName?: string };
  isSuspended?: boolean;
  isDeleted?: boolean;
  isPending?: boolean;
}

export const defaultLineWorksState = (): LineWorksState => ({
  apps: {},
  tokenTtlSeconds: 3600,
  bots: {},
  users: null,
  rateLimit: null,
  botManagementDelayMs: 50,
  rejectConcurrentBotManagement: false,
  nextBotId: 2000001,
  tokens: {},
  refreshTokens: {},
  events: {},
  directory: {},
  domainLimits: {},
});

export const lwError = (status: number, code: string, description: string): FakeResponse =>
  json(status, { code, description });

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

export function createLineWorksFake(
  initial: Partial<LineWorksState> = {},
): FakeProvider<LineWorksState> {
  const windows = new SlidingWindow();
  const inFlight = new Map<string, number>();
  const keys = new Map<string, Promise<CryptoKey>>();
  const publicKey = (pem: string) => {
    let k = keys.get(pem);
    if (!k) {
      k = importSPKI(pem, 'RS256') as Promise<CryptoKey>;
      k.catch(() => keys.delete(pem));
      keys.set(pem, k);
    }
    return k;
  };

  const spec: FakeProviderSpec<LineWorksState> = {
    name: 'line-works',
    counters: ['concurrentBotManagement'],
    initialState: { ...defaultLineWorksState(), ...structuredClone(initial) },
    control(req) {
      if (req.method === 'POST' && req.path === '/__fake/callback') {
        return lineWorksCallbackRequest(isPlainObject(req.json) ? req.json : {});
      }
      return undefined;
    },
    onReset: () => {
      windows.clear();
      inFlight.clear();
    },
    faultResponse: (kind, retryAfter) =>
      kind === '429'
        ? json(
            429,
            { code: 'TOO_MANY_REQUESTS', description: 'Too many requests' },
            {
              'retry-after': String(retryAfter),
              'rateLimit-limit': '240',
              'rateLimit-remaining': '0',
              'rateLimit-reset': String(retryAfter),
            },
          )
        : lwError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
    handle: (req, ctx) => (req.listener === 'auth' ? token(req, ctx) : api(req, ctx)),
  };

  async function token(req: FakeRequest, ctx: FakeContext<LineWorksState>): Promise<FakeResponse> {
    if (req.path !== '/oauth2/v2.0/token') return lwError(404, 'NOT_FOUND', 'Not found');
    if (req.method !== 'POST') return lwError(405, 'METHOD_NOT_ALLOWED', 'Use POST');
    const st = ctx.state;
    const f = req.form ?? {};
    const invalidGrant = (d: string) => json(400, { error: 'invalid_grant', error_description: d });
    const app = f.client_id ? st.apps[f.client_id] : undefined;
    if (!app || app.clientSecret !== f.client_secret) {
      return json(401, {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    }
    const clientId = f.client_id as string;
    let scope: string;
    if (f.grant_type === JWT_BEARER) {
      const assertion = f.assertion;
      if (!assertion) return invalidGrant('assertion is required');
      try {
        const header = decodeProtectedHeader(assertion);
        if (header.alg !== 'RS256') return invalidGrant(`unsupported alg ${String(header.alg)}`);
      } catch {
        return invalidGrant('assertion is not a JWT');
      }
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(assertion, await publicKey(app.publicKeyPem), {
          algorithms: ['RS256'],
        }));
      } catch (err) {
        return invalidGrant(`assertion verification failed: ${(err as Error).message}`);
      }
      if (payload.iss !== clientId) return invalidGrant('iss must be the Client ID');
      if (payload.sub !== app.serviceAccount)
        return invalidGrant('sub must be the Service Account');
      if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number') {
        return invalidGrant('iat and exp must be numeric dates');
      }
      if (payload.exp * 1000 <= Date.now()) return invalidGrant('assertion expired');
      scope = (f.scope ?? '').trim();
      if (!scope) return json(400, { error: 'invalid_scope', error_description: 'scope required' });
    } else if (f.grant_type === 'refresh_token') {
      const rt = f.refresh_token ? st.refreshTokens[f.refresh_token] : undefined;
      if (!rt || rt.clientId !== clientId) return invalidGrant('invalid refresh_token');
      scope = rt.scope;
    } else {
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: String(f.grant_type),
      });
    }
    const scopes = scope.split(/[\s,]+/).filter(Boolean);
    if (app.scopes) {
      const bad = scopes.find((s) => !app.scopes?.includes(s));
      if (bad) return json(400, { error: 'invalid_scope', error_description: `scope ${bad}` });
    }
    const ttl = st.tokenTtlSeconds;
    const accessToken = secret('lwat-');
    st.tokens[accessToken] = {
      clientId,
      domainId: app.domainId,
      scopes,
      expiresAt: Date.now() + ttl * 1000,
    };
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: String(ttl),
      scope,
    };
    if (f.grant_type === JWT_BEARER) {
      const refreshToken = secret('lwrt-');
      st.refreshTokens[refreshToken] = { clientId, scope };
      body.refresh_token = refreshToken;
    }
    return json(200, body);
  }

  async function api(req: FakeRequest, ctx: FakeContext<LineWorksState>): Promise<FakeResponse> {
    if (!req.path.startsWith('/v1.0/')) return lwError(404, 'NOT_FOUND', 'Not found');
    const route = matchRoute(req.method, req.path.slice('/v1.0'.length));
    if (!route) return lwError(404, 'NOT_FOUND', `No API for ${req.method} ${req.path}`);
    const st = ctx.state;

    const auth = req.headers.authorization;
    const bearerToken = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim())?.[1]?.trim() : undefined;
    const tok = bearerToken ? st.tokens[bearerToken] : undefined;
    if (!tok) return lwError(401, 'UNAUTHORIZED', 'Authentication failed: invalid access token');
    if (tok.expiresAt <= Date.now()) {
      return lwError(401, 'UNAUTHORIZED', 'Authentication failed: access token expired');
    }
    const readOnly = req.method === 'GET';
    const ok = route.scope.some(
      (s) => tok.scopes.includes(s) || (readOnly && tok.scopes.includes(`${s}.read`)),
    );
    if (!ok) {
      return lwError(
        403,
        'FORBIDDEN',
        `The access token does not have the scope ${route.scope[0]}`,
      );
    }

    // Rate limit: per domain, per API, rolling minute.
    const own = st.domainLimits[tok.domainId] ?? st.rateLimit;
    const limit = own?.perMinute;
    let rlHeaders: Record<string, string> | undefined;
    if (limit && limit > 0) {
      const key = `${tok.domainId} ${route.template}`;
      const windowMs = own?.windowMs ?? 60_000;
      const allowed = windows.hit(key, limit, windowMs);
      const info = windows.info(key, limit, windowMs);
      rlHeaders = {
        'rateLimit-limit': String(limit),
        'rateLimit-remaining': String(info.remaining),
        'rateLimit-reset': String(info.resetSeconds),
      };
      if (!allowed) {
        ctx.rateLimited();
        return { ...lwError(429, 'TOO_MANY_REQUESTS', 'Too many requests'), headers: rlHeaders };
      }
    }
    let res: FakeResponse;
    if (req.badJson || (req.json === undefined && req.body.trim() && req.method !== 'GET')) {
      res = lwError(400, 'INVALID_PARAMETER', 'Request body is not valid JSON');
    } else if (route.botManagement) {
      res = await botManagement(req, ctx, tok.domainId, route);
    } else if (route.template === 'GET /users' || route.template === 'GET /users/{userId}') {
      res = directory(req, ctx, route, tok.domainId);
    } else {
      res = handleRoute(req, ctx, route);
    }
    if (rlHeaders) res.headers = { ...rlHeaders, ...(res.headers ?? {}) };
    return res;
  }

  async function botManagement(
    req: FakeRequest,
    ctx: FakeContext<LineWorksState>,
    domainId: string,
    route: Route,
  ): Promise<FakeResponse> {
    const n = inFlight.get(domainId) ?? 0;
    if (n > 0) {
      ctx.count('concurrentBotManagement');
      if (ctx.state.rejectConcurrentBotManagement) {
        return lwError(409, 'CONFLICT', 'Another bot management request is in progress');
      }
    }
    inFlight.set(domainId, n + 1);
    try {
      const delay = ctx.state.botManagementDelayMs;
      if (delay > 0) await sleep(delay);
      return handleRoute(req, ctx, route, domainId);
    } finally {
      const left = (inFlight.get(domainId) ?? 1) - 1;
      if (left <= 0) inFlight.delete(domainId);
      else inFlight.set(domainId, left);
    }
  }

  function handleRoute(
    req: FakeRequest,
    ctx: FakeContext<LineWorksState>,
    route: Route,
    domainId?: string,
  ): FakeResponse {
    const st = ctx.state;
    const p = route.params;
    const body = isPlainObject(req.json) ? req.json : {};
    switch (route.template) {
      case 'POST /bots': {
        const { botName, description, photoUrl, administrators } = body;
        if (typeof botName !== 'string' || !botName.trim() || botName.length > 100) {
          return invalid('botName is required and must be at most 100 characters');
        }
        if (description !== undefined && typeof description !== 'string') {
          return invalid('description must be a string');
        }
        if (photoUrl !== undefined && typeof photoUrl !== 'string') {
          return invalid('photoUrl must be a string');
        }
        if (
          administrators !== undefined &&
          (!Array.isArray(administrators) || administrators.some((a) => typeof a !== 'string'))
        ) {
          return invalid('administrators must be an array of user ids');
        }
        const callback = callbackFields(body);
        if (typeof callback === 'string') return invalid(callback);
        const botId = st.nextBotId++;
        const bot: LineWorksBot = {
          ...callback,
          botName,
          administrators: (administrators as string[] | undefined) ?? [],
          domains: [],
          ...(typeof description === 'string' ? { description } : {}),
          ...(typeof photoUrl === 'string' ? { photoUrl } : {}),
          ...(domainId ? { ownerDomainId: domainId } : {}),
        };
        st.bots[String(botId)] = bot;
        return json(201, { botId, ...botView(bot) });
      }
      case 'GET /bots/{botId}': {
        const bot = st.bots[p.botId as string];
        if (!bot) return notFound('bot');
        return json(200, { botId: Number(p.botId), ...botView(bot) });
      }
      case 'PATCH /bots/{botId}': {
        const bot = st.bots[p.botId as string];
        if (!bot) return notFound('bot');
        const callback = callbackFields(body);
        if (typeof callback === 'string') return invalid(callback);
        Object.assign(bot, callback);
        if (typeof body.botName === 'string') bot.botName = body.botName;
        return json(200, { botId: Number(p.botId), ...botView(bot) });
      }
      case 'DELETE /bots/{botId}': {
        if (!st.bots[p.botId as string]) return notFound('bot');
        delete st.bots[p.botId as string];
        return { status: 204 };
      }
      case 'POST /bots/{botId}/domains/{domainId}': {
        const bot = st.bots[p.botId as string];
        if (!bot) return notFound('bot');
        if (body.visible !== undefined && typeof body.visible !== 'boolean') {
          return invalid('visible must be a boolean');
        }
        const d = p.domainId as string;
        if (!bot.domains.includes(d)) bot.domains.push(d);
        return json(201, { domainId: Number(d) || d, visible: body.visible ?? true });
      }
      case 'POST /bots/{botId}/users/{userId}/messages': {
        const bot = st.bots[p.botId as string];
        if (!bot) return notFound('bot');
        const userId = p.userId as string;
        if (st.users && !st.users.includes(userId)) return notFound('user');
        const problem = validateContent(body.content);
        if (problem) return invalid(problem);
        ctx.accept(userId);
        return { status: 201 };
      }
      case 'POST /users/{userId}/calendar/events': {
        const userId = p.userId as string;
        if (st.users && !st.users.includes(userId)) return notFound('user');
        const problem = validateEvent(body);
        if (problem) return invalid(problem);
        const eventId = randomUUID();
        const now = Date.now();
        const event: LineWorksEvent = {
          eventComponents: normalizeComponents(body.eventComponents as unknown[], eventId),
          createdAt: now,
          updatedAt: now,
          ...(typeof body.sendNotification === 'boolean'
            ? { sendNotification: body.sendNotification }
            : {}),
        };
        st.events[userId] ??= {};
        st.events[userId][eventId] = event;
        ctx.accept(`calendar:${userId}`); // kept apart from message counts (key = userId)
        return json(201, eventView(userId, event));
      }
      case 'GET /users/{userId}/calendar/events/{eventId}': {
        const event = st.events[p.userId as string]?.[p.eventId as string];
        if (!event) return notFound('event');
        return json(200, eventView(p.userId as string, event));
      }
      case 'PUT /users/{userId}/calendar/events/{eventId}': {
        const userId = p.userId as string;
        const eventId = p.eventId as string;
        const event = st.events[userId]?.[eventId];
        if (!event) return notFound('event');
        const problem = validateEvent(body);
        if (problem) return invalid(problem);
        const comps = body.eventComponents as Record<string, unknown>[];
        const other = comps.find((c) => c.eventId !== undefined && c.eventId !== eventId);
        if (other) return invalid('eventComponents[].eventId must match the path');
        event.eventComponents = normalizeComponents(comps, eventId);
        event.updatedAt = Date.now();
        if (typeof body.sendNotification === 'boolean') {
          event.sendNotification = body.sendNotification;
        }
        return json(200, eventView(userId, event));
      }
      case 'DELETE /users/{userId}/calendar/events/{eventId}': {
        const events = st.events[p.userId as string];
        if (!events?.[p.eventId as string]) return notFound('event');
        delete events[p.eventId as string];
        return { status: 204 };
      }
    }
    return lwError(404, 'NOT_FOUND', 'Not found');
  }

  // ---- Directory (issue 15): GET /users/{userId}, GET /users -----------------------------------
  // https://developers.worksmobile.com/jp/docs/user-get-profile : the id is the resource id, the
  // login id (email) or `externalKey:{key}` (URL-encoded); 404 when no member matches.
  // https://developers.worksmobile.com/jp/docs/user-list : `domainId`, `count` (≤ 100), `cursor`
  // (URL-encoded); `responseMetaData.nextCursor` is null on the last page. Scope `user.read`.
  function directory(
    req: FakeRequest,
    ctx: FakeContext<LineWorksState>,
    route: Route,
    domainId: string,
  ): FakeResponse {
    const members = ctx.state.directory[domainId] ?? [];
    if (route.template === 'GET /users/{userId}') {
      const id = route.params.userId as string;
      const key = id.startsWith('externalKey:') ? id.slice('externalKey:'.length) : null;
      const lower = id.toLowerCase();
      const user = members.find((u) =>
        key !== null
          ? u.userExternalKey === key
          : u.userId === id || u.email.toLowerCase() === lower,
      );
      if (!user) return notFound('user');
      return json(200, userView(domainId, user));
    }
    const q = req.query;
    if (!q.domainId) return invalid('domainId is required');
    if (q.domainId !== domainId) return lwError(403, 'FORBIDDEN', 'No access to this domain');
    const count = q.count === undefined ? 100 : Number(q.count);
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      return invalid('count must be between 1 and 100');
    }
    let offset = 0;
    if (q.cursor) {
      const m = /^c-(\d+)$/.exec(q.cursor);
      if (!m) return invalid('cursor is invalid');
      offset = Number(m[1]);
    }
    const page = members.slice(offset, offset + count).map((u) => userView(domainId, u));
    const next = offset + count < members.length ? `c-${offset + count}` : null;
    return json(200, { users: page, responseMetaData: { nextCursor: next } });
  }
  // ---- end of directory ----------------------------------------------------------------------

  return new FakeProvider(spec);
}

function userView(domainId: string, u: LineWorksDirectoryUser) {
  return {
    domainId: Number(domainId) || domainId,
    userId: u.userId,
    email: u.email,
    userExternalKey: u.userExternalKey ?? null,
    userName: { lastName: u.userName?.lastName ?? '', firstName: u.userName?.firstName ?? '' },
    isSuspended: u.isSuspended ?? false,
    isDeleted: u.isDeleted ?? false,
    isPending: u.isPending ?? false,
  };
}

interface Route {
  template: string;
  params: Record<string, string>;
  scope: string[];
  botManagement: boolean;
}

const ROUTES: { method: string; re: RegExp; template: string; names: string[] }[] = [
  ['POST', '/bots'],
  ['GET', '/bots/{botId}'],
  ['PATCH', '/bots/{botId}'],
  ['DELETE', '/bots/{botId}'],
  ['GET', '/users/{userId}'],
  ['POST', '/bots/{botId}/domains/{domainId}'],
  ['POST', '/bots/{botId}/users/{userId}/messages'],
  ['POST', '/users/{userId}/calendar/events'],
  ['GET', '/users/{userId}/calendar/events/{eventId}'],
  ['PUT', '/users/{userId}/calendar/events/{eventId}'],
  ['DELETE', '/users/{userId}/calendar/events/{eventId}'],
  ['GET', '/users'],
  ['GET', '/users/{userId}'],
].map(([method, path]) => {
  const names: string[] = [];
  const re = new RegExp(
    `^${(path as string).replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}$`,
  );
  return { method: method as string, re, template: `${method} ${path}`, names };
});

function matchRoute(method: string, path: string): Route | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.re.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1] as string);
      });
    } catch {
      return undefined;
    }
    const isBots = r.template.includes(' /bots');
    const isMessage = r.template.endsWith('/messages');
    const isDirectory = r.template === 'GET /users' || r.template === 'GET /users/{userId}';
    return {
      template: r.template,
      params,
      scope: isDirectory
        ? ['user']
        : isBots
          ? isMessage
            ? ['bot', 'bot.message']
            : ['bot']
          : ['calendar'],
      botManagement: isBots && !isMessage && method !== 'GET',
    };
  }
  return undefined;
}

const invalid = (description: string) => lwError(400, 'INVALID_PARAMETER', description);
const notFound = (what: string) => lwError(404, 'NOT_FOUND', `The ${what} does not exist`);

function botView(bot: LineWorksBot) {
  return {
    botName: bot.botName,
    photoUrl: bot.photoUrl ?? '',
    description: bot.description ?? '',
    administrators: bot.administrators,
    subadministrators: [],
    allowDomains: bot.domains.map((d) => Number(d) || d),
    enableCallback: false,
    callbackEvents: [],
    callbackUrl: '',
  };
}

function eventView(userId: string, event: LineWorksEvent) {
  return {
    eventComponents: event.eventComponents,
    organizerCalendarId: `default-${userId}`,
  };
}

function normalizeComponents(comps: unknown[], eventId: string): Record<string, unknown>[] {
  return comps.map((c) => ({ ...(c as Record<string, unknown>), eventId }));
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Validates a bot message `content` per PROVIDERS.md; returns a problem or undefined. */
export function validateContent(content: unknown): string | undefined {
  if (!isPlainObject(content)) return 'content is required';
  switch (content.type) {
    case 'text':
      if (!isStr(content.text)) return 'content.text is required';
      if (content.text.length > 2000) return 'content.text must be at most 2000 characters';
      return undefined;
    case 'link':
      if (!isStr(content.contentText)) return 'content.contentText is required';
      if (!isStr(content.linkText)) return 'content.linkText is required';
      if (!isStr(content.link)) return 'content.link is required';
      return undefined;
    case 'button_template': {
      if (!isStr(content.contentText)) return 'content.contentText is required';
      const actions = content.actions;
      if (!Array.isArray(actions) || actions.length === 0) return 'content.actions is required';
      for (const a of actions) {
        if (!isPlainObject(a) || !isStr(a.label)) return 'content.actions[].label is required';
        if (a.type === 'uri') {
          if (!isStr(a.uri)) return 'content.actions[].uri is required';
        } else if (a.type !== 'message') return 'content.actions[].type must be uri or message';
      }
      return undefined;
    }
    case 'flex':
      if (!isStr(content.altText)) return 'content.altText is required';
      if (!isPlainObject(content.contents)) return 'content.contents is required';
      return undefined;
    case 'image':
      if (!isStr(content.previewImageUrl) && !isStr(content.fileId)) {
        return 'content.previewImageUrl or fileId is required';
      }
      return undefined;
    case 'sticker':
      if (!isStr(content.packageId) || !isStr(content.stickerId)) {
        return 'content.packageId and stickerId are required';
      }
      return undefined;
    default:
      return `unsupported content.type ${JSON.stringify(content.type)}`;
  }
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validDate(s: string): boolean {
  const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s.slice(0, 10);
}

/** Validates a calendar event body; returns a problem or undefined. */
export function validateEvent(body: Record<string, unknown>): string | undefined {
  const comps = body.eventComponents;
  if (!Array.isArray(comps) || comps.length === 0) return 'eventComponents is required';
  if (body.sendNotification !== undefined && typeof body.sendNotification !== 'boolean') {
    return 'sendNotification must be a boolean';
  }
  for (const [i, c] of comps.entries()) {
    const at = `eventComponents[${i}]`;
    if (!isPlainObject(c)) return `${at} must be an object`;
    if (!isStr(c.summary)) return `${at}.summary is required`;
    if (c.summary.length > 200) return `${at}.summary must be at most 200 characters`;
    const kinds: string[] = [];
    for (const side of ['start', 'end'] as const) {
      const v = c[side];
      if (!isPlainObject(v)) return `${at}.${side} is required`;
      if (v.date !== undefined) {
        if (typeof v.date !== 'string' || !DATE.test(v.date) || !validDate(v.date)) {
          return `${at}.${side}.date must be YYYY-MM-DD`;
        }
        if (v.dateTime !== undefined) return `${at}.${side}: give either date or dateTime`;
        kinds.push('date');
      } else if (v.dateTime !== undefined) {
        if (
          typeof v.dateTime !== 'string' ||
          !DATE_TIME.test(v.dateTime) ||
          !validDate(v.dateTime)
        ) {
          return `${at}.${side}.dateTime must be YYYY-MM-DDTHH:mm:ss`;
        }
        if (!isStr(v.timeZone) || !validTimeZone(v.timeZone)) {
          return `${at}.${side}.timeZone must be an IANA time zone`;
        }
        kinds.push('dateTime');
      } else return `${at}.${side} needs date or dateTime`;
    }
    if (kinds[0] !== kinds[1]) return `${at}: start and end must both be date or dateTime`;
    const start = c.start as Record<string, string>;
    const end = c.end as Record<string, string>;
    if (kinds[0] === 'date' && (end.date as string) < (start.date as string)) {
      return `${at}.end must not be before start`;
    }
    if (
      kinds[0] === 'dateTime' &&
      start.timeZone === end.timeZone &&
      (end.dateTime as string) < (start.dateTime as string)
    ) {
      return `${at}.end must not be before start`;
    }
    if (
      c.transparency !== undefined &&
      c.transparency !== 'OPAQUE' &&
      c.transparency !== 'TRANSPARENT'
    ) {
      return `${at}.transparency must be OPAQUE or TRANSPARENT`;
    }
    if (c.visibility !== undefined && c.visibility !== 'PUBLIC' && c.visibility !== 'PRIVATE') {
      return `${at}.visibility must be PUBLIC or PRIVATE`;
    }
  }
  return undefined;
}

/**
 * The bot callback fields of `POST /bots` / `PATCH /bots/{botId}` (v2 facts › LINE WORKS):
 * `callbackUrl` https and ≤ 1,000 characters (http is accepted for localhost only, so the local
 * demo works), `callbackEvents` an array of event names; a problem is returned as a string.
 */
function callbackFields(body: Record<string, unknown>): Partial<LineWorksBot> | string {
  const out: Partial<LineWorksBot> = {};
  if (body.enableCallback !== undefined) {
    if (typeof body.enableCallback !== 'boolean') return 'enableCallback must be a boolean';
    out.enableCallback = body.enableCallback;
  }
  if (body.callbackUrl !== undefined) {
    const url = body.callbackUrl;
    if (typeof url !== 'string' || url.length > 1000)
      return 'callbackUrl must be ≤ 1,000 characters';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'callbackUrl must be a URL';
    }
    const local = ['localhost', '127.0.0.1'].includes(parsed.hostname);
    if (parsed.protocol !== 'https:' && !(local && parsed.protocol === 'http:')) {
      return 'callbackUrl must be https';
    }
    out.callbackUrl = url;
  }
  if (body.callbackEvents !== undefined) {
    const events = body.callbackEvents;
    if (!Array.isArray(events) || events.some((e) => typeof e !== 'string')) {
      return 'callbackEvents must be an array of strings';
    }
    out.callbackEvents = events as string[];
  }
  if (out.enableCallback && !out.callbackUrl) return 'callbackUrl is required with enableCallback';
  return out;
}

/**
 * What LINE WORKS posts to a bot's callback URL when a member taps a `message` action of a
 * button template (v2 facts › LINE WORKS): `{type:"message", source:{userId, domainId},
 * issuedTime, content:{type:"text", text, postback}}` with `X-WORKS-BotId` and `X-WORKS-Signature`
 * = base64(HMAC-SHA256(Bot Secret, body)). With `url` it is posted there; without, returned.
 */
export async function lineWorksCallbackRequest(
  body: Record<string, unknown>,
): Promise<FakeResponse> {
  const botSecret = typeof body.botSecret === 'string' ? body.botSecret : '';
  const botId = body.botId == null ? '' : String(body.botId);
  if (!botSecret || !botId) return json(400, { error: 'botSecret and botId needed' });
  const event = {
    type: 'message',
    source: {
      userId: typeof body.userId === 'string' ? body.userId : '',
      domainId: Number(body.domainId) || body.domainId,
    },
    issuedTime: new Date().toISOString(),
    content: {
      type: 'text',
      text: typeof body.text === 'string' ? body.text : '',
      postback: typeof body.postback === 'string' ? body.postback : '',
    },
  };
  const raw = typeof body.rawBody === 'string' ? body.rawBody : JSON.stringify(event);
  const headers = {
    'content-type': 'application/json',
    'x-works-botid': botId,
    'x-works-signature': createHmac('sha256', botSecret).update(raw).digest('base64'),
  };
  if (typeof body.url !== 'string') return json(200, { headers, body: raw, event });
  const res = await fetch(body.url, { method: 'POST', headers, body: raw });
  return json(200, { status: res.status, body: await res.text(), event });
}
