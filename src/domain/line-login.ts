/**
 * LINE member linking (PROVIDERS.md, LINE; seed step 6): LINE Login with state, nonce and PKCE
 * held by the tenant's LineAuth object, the callback that stores the member's LINE userId and
 * checks the friendship, the signed webhook (follow / unfollow) and unlinking.
 */
import { and, eq, ne } from 'drizzle-orm';
import { base64url } from 'jose';
import {
  buildAuthorizeUrl,
  exchangeLoginCode,
  getFriendship,
  lineRetryKey,
  pkcePair,
  pushText,
  replyMessage,
  verifyLineIdToken,
  verifyLineSignature,
} from '../adapters/line/index.ts';
import type { Locale } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { lineChannelToken } from './channels/line.ts';
import { handleLinePostback } from './decisions/line-postback.ts';
import { InputError } from './errors.ts';
import { type IntegrationCredentials, loadCredentials } from './integrations.ts';
import type { Logger } from './log.ts';
import type { QueueMessage } from './queue-messages.ts';
import type { TokenSource } from './tokens.ts';
import { ensureSelf, getUserByRowId, type UserRow } from './users.ts';

/** How long a login state may wait for its callback. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
/** How long a webhook event id is remembered for deduplication. */
export const WEBHOOK_EVENT_TTL_MS = 24 * 60 * 60_000;
const RANDOM_BYTES = 32;
const LINE_USER_ID = /^U[0-9a-f]{32}$/;
const TIMEOUT_MS = 10_000;

/** A login started by `startLineLogin`, waiting for LINE's redirect. */
export interface PendingLogin {
  nonce: string;
  /** The PKCE code verifier (never leaves the service). */
  verifier: string;
  /** The member's row id and WORKPLACE user id. */
  userRowId: string;
  userId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Single-use login states and webhook event ids, per tenant (the LineAuth Durable Object in
 * production; see src/workers/line-auth.ts).
 */
export interface LineAuthStore {
  createState(tenantId: string, state: string, pending: PendingLogin): Promise<void>;
  /** The pending login under `state`, deleted in the same step; null when unknown or expired. */
  takeState(tenantId: string, state: string): Promise<PendingLogin | null>;
  /** Records a webhook event id; true when it had been recorded before (a redelivery). */
  seenWebhookEvent(tenantId: string, eventId: string): Promise<boolean>;
  /** Forgets a webhook event id whose handling failed, so LINE's redelivery is processed. */
  forgetWebhookEvent(tenantId: string, eventId: string): Promise<void>;
}

/** What the LINE routes and resolvers need from the environment. */
export interface LineEnv {
  SECRETS_KEY: string;
  PUBLIC_BASE_URL: string;
  LINE_API_BASE: string;
  LINE_ACCESS_BASE: string;
}

/**
 * The LINE Login redirect URI (the admin pastes it into LINE Login > Web app > Callback URL).
 * https://developers.line.biz/en/docs/line-login/integrate-line-login/#setting-callback-url
 */
export function lineCallbackUrl(env: Pick<LineEnv, 'PUBLIC_BASE_URL'>): string {
  return new URL('/line/callback', env.PUBLIC_BASE_URL).toString();
}

function randomToken(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
}

/**
 * The `state` sent to LINE: `<tenant>.<random>`. The tenant part tells the Worker which
 * LineAuth object to ask; only the random part is secret.
 */
export function encodeState(tenantId: string): string {
  return `${base64url.encode(new TextEncoder().encode(tenantId))}.${randomToken()}`;
}

/** The tenant named by a callback `state`, or null when it is not one of ours. */
export function tenantOfState(state: string | null | undefined): string | null {
  if (!state || state.length > 300) return null;
  const m = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(state);
  if (!m?.[1]) return null;
  try {
    const tenant = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(m[1]));
    return tenant === '' ? null : tenant;
  } catch {
    return null;
  }
}

interface LineSettings {
  loginChannelId: string;
  loginChannelSecret: string;
  friendUrl: string;
  channelAccessToken: string | null;
  messagingChannelSecret: string | null;
}

function lineSettings(creds: IntegrationCredentials | null): LineSettings | null {
  if (!creds?.enabled) return null;
  const loginChannelId = creds.settings.loginChannelId;
  const friendUrl = creds.settings.friendUrl;
  const loginChannelSecret = creds.secrets.loginChannelSecret;
  if (typeof loginChannelId !== 'string' || typeof friendUrl !== 'string') return null;
  if (!loginChannelSecret) return null;
  return {
    loginChannelId,
    loginChannelSecret,
    friendUrl,
    channelAccessToken: creds.secrets.channelAccessToken ?? null,
    messagingChannelSecret: creds.secrets.messagingChannelSecret ?? null,
  };
}

/**
 * Starts LINE Login for the caller: a single-use state with nonce and PKCE verifier (10
 * minutes) and the authorize URL with `bot_prompt=aggressive`.
 * https://developers.line.biz/en/docs/line-login/integrate-line-login/
 */
export async function startLineLogin(
  db: Db,
  env: LineEnv,
  store: LineAuthStore,
  principal: Principal,
  now = Date.now(),
): Promise<{ authorizeUrl: string; expiresAt: string }> {
  const creds = await loadCredentials(db, env.SECRETS_KEY, principal.tenantId, 'LINE');
  const line = lineSettings(creds);
  if (!line) {
    throw new InputError([
      {
        code: 'NOT_CONFIGURED',
        message: 'LINE is not enabled for this company yet (ask an admin to configure LINE)',
      },
    ]);
  }
  const self = await ensureSelf(db, principal);
  const { verifier, challenge } = await pkcePair();
  const nonce = randomToken();
  const state = encodeState(principal.tenantId);
  const expiresAt = now + LOGIN_STATE_TTL_MS;
  await store.createState(principal.tenantId, state, {
    nonce,
    verifier,
    userRowId: self.id,
    userId: self.userId,
    expiresAt,
  });
  return {
    authorizeUrl: buildAuthorizeUrl({
      accessBase: env.LINE_ACCESS_BASE,
      channelId: line.loginChannelId,
      redirectUri: lineCallbackUrl(env),
      state,
      nonce,
      codeChallenge: challenge,
    }),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** What the callback page shows. Never carries a secret or a token. */
export type CallbackOutcome =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'denied'; locale: Locale }
  | { kind: 'not_configured'; locale: Locale }
  /**
   * `rejected`: LINE refused the callback's code (HTTP 4xx) or the ID token failed verification
   * (forged, replayed, expired): a bad request rather than an outage. Without it, LINE failed.
   */
  | { kind: 'failed'; locale: Locale; rejected?: true }
  | { kind: 'taken'; locale: Locale }
  | {
      kind: 'linked' | 'pending_friend';
      locale: Locale;
      friendUrl: string;
      displayName: string | null;
    };

/**
 * Handles LINE Login's redirect: consumes the state once, exchanges the code with the PKCE
 * verifier, verifies the ID token (HS256, iss, aud, exp, nonce), stores the LINE userId on the
 * member and reads the friendship status. A replayed, unknown or expired state, a denial or a
 * forged token changes nothing.
 * https://developers.line.biz/en/docs/line-login/integrate-line-login/#receiving-the-authorization-code
 */
export async function completeLineLogin(
  db: Db,
  env: LineEnv,
  store: LineAuthStore,
  log: Logger,
  query: { state?: string | null; code?: string | null; error?: string | null },
  now = Date.now(),
): Promise<CallbackOutcome> {
  const tenantId = tenantOfState(query.state);
  if (!tenantId || !query.state) return { kind: 'invalid' };
  const pending = await store.takeState(tenantId, query.state);
  if (!pending || pending.expiresAt <= now) return { kind: 'expired' };
  const member = await getUserByRowId(db, tenantId, pending.userRowId);
  if (!member) return { kind: 'expired' };
  const locale = member.locale as Locale;
  if (query.error || !query.code) return { kind: 'denied', locale };

  const line = lineSettings(await loadCredentials(db, env.SECRETS_KEY, tenantId, 'LINE'));
  if (!line) return { kind: 'not_configured', locale };
  const tokens = await exchangeLoginCode({
    apiBase: env.LINE_API_BASE,
    code: query.code,
    redirectUri: lineCallbackUrl(env),
    channelId: line.loginChannelId,
    channelSecret: line.loginChannelSecret,
    codeVerifier: pending.verifier,
    timeoutMs: TIMEOUT_MS,
    now,
  });
  if (!tokens.ok) {
    log.warn('line login: code exchange failed', { tenant: tenantId, reason: tokens.reason });
    const rejected = tokens.status >= 400 && tokens.status < 500 && tokens.status !== 429;
    return rejected ? { kind: 'failed', locale, rejected } : { kind: 'failed', locale };
  }
  const id = await verifyLineIdToken({
    idToken: tokens.idToken,
    channelId: line.loginChannelId,
    channelSecret: line.loginChannelSecret,
    nonce: pending.nonce,
    now,
  });
  if (!id.ok || !LINE_USER_ID.test(id.lineUserId)) {
    // A bad signature, audience, issuer, nonce or expiry is a forged or replayed callback, not
    // a LINE outage: the request is refused (4xx) and the member stays as they were.
    log.warn('line login: ID token rejected', {
      tenant: tenantId,
      reason: id.ok ? 'bad subject' : id.reason,
    });
    return { kind: 'failed', locale, rejected: true };
  }
  const other = await db.query.users.findFirst({
    where: and(
      eq(users.tenantId, tenantId),
      eq(users.lineUserId, id.lineUserId),
      ne(users.id, member.id),
    ),
  });
  if (other) return { kind: 'taken', locale };

  const friendship = await getFriendship({
    apiBase: env.LINE_API_BASE,
    accessToken: tokens.accessToken,
    timeoutMs: TIMEOUT_MS,
  });
  if (!friendship.ok) {
    // The follow webhook completes the link later; the member sees the add-friend step.
    log.warn('line login: friendship status unavailable', {
      tenant: tenantId,
      reason: friendship.reason,
    });
  }
  const friend = friendship.ok && friendship.friendFlag;
  const at = new Date(now).toISOString();
  const status = friend ? 'LINKED' : 'PENDING_FRIEND';
  await db.batch([
    db
      .update(users)
      .set({
        lineUserId: id.lineUserId,
        lineStatus: status,
        lineDisplayName: id.displayName,
        lineLinkedAt: friend ? at : null,
        updatedAt: at,
      })
      .where(and(eq(users.tenantId, tenantId), eq(users.id, member.id))),
    auditStatement(
      db,
      {
        tenantId,
        actor: member.userId,
        action: 'binding.line.link',
        target: member.userId,
        detail: { status },
      },
      at,
    ),
  ]);
  return {
    kind: friend ? 'linked' : 'pending_friend',
    locale,
    friendUrl: line.friendUrl,
    displayName: id.displayName,
  };
}

/** Clears the caller's LINE binding (NOT_LINKED). */
export async function unbindLine(db: Db, principal: Principal): Promise<UserRow> {
  const self = await ensureSelf(db, principal);
  if (self.lineStatus === 'NOT_LINKED' && self.lineUserId == null) return self;
  const at = new Date().toISOString();
  await db.batch([
    db
      .update(users)
      .set({
        lineUserId: null,
        lineStatus: 'NOT_LINKED',
        lineDisplayName: null,
        lineLinkedAt: null,
        updatedAt: at,
      })
      .where(and(eq(users.tenantId, principal.tenantId), eq(users.id, self.id))),
    auditStatement(
      db,
      {
        tenantId: principal.tenantId,
        actor: principal.subject,
        action: 'binding.line.unlink',
        target: self.userId,
        detail: { was: self.lineStatus },
      },
      at,
    ),
  ]);
  return (await getUserByRowId(db, principal.tenantId, self.id)) ?? self;
}

const LINKED_TEXT: Record<Locale, string> = {
  JA: '友だち追加が完了しました。WORKPLACEのワークフロー通知をこのアカウントでお届けします。',
  EN: 'You have added us as a friend. WORKPLACE workflow notifications will now arrive here.',
  KO: '친구 추가가 완료되었습니다. WORKPLACE 워크플로 알림을 이 계정으로 보내 드립니다.',
};

/** The completion message a member receives after adding the official account. */
export function linkCompletedText(locale: Locale): string {
  return LINKED_TEXT[locale] ?? LINKED_TEXT.JA;
}

/** How the webhook route answers LINE. */
export type WebhookOutcome = { status: 200 | 400 | 401; handled: number };

interface WebhookEvent {
  type?: unknown;
  webhookEventId?: unknown;
  replyToken?: unknown;
  source?: { type?: unknown; userId?: unknown };
  postback?: { data?: unknown };
}

/**
 * The Messaging API webhook of one tenant: `x-line-signature` is checked over the raw body
 * with the Messaging channel secret before anything is parsed; `follow` links a member whose
 * LINE userId is pending (and answers with the completion message, by reply, else push);
 * `unfollow` marks them BLOCKED; events are deduplicated on `webhookEventId`.
 * https://developers.line.biz/en/reference/messaging-api/#webhooks
 */
export async function handleLineWebhook(
  db: Db,
  env: LineEnv,
  store: LineAuthStore,
  tokens: TokenSource,
  log: Logger,
  tenantId: string,
  rawBody: ArrayBuffer,
  signature: string | null | undefined,
  /** v2: where decisions from postbacks are queued; without it postbacks are ignored. */
  queue?: Queue<QueueMessage>,
): Promise<WebhookOutcome> {
  if (!signature) return { status: 401, handled: 0 };
  const creds = await loadCredentials(db, env.SECRETS_KEY, tenantId, 'LINE');
  const secret = creds?.secrets.messagingChannelSecret;
  if (!secret || !(await verifyLineSignature(secret, rawBody, signature))) {
    return { status: 401, handled: 0 };
  }
  let body: { events?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(rawBody)) as { events?: unknown };
  } catch {
    return { status: 400, handled: 0 };
  }
  if (!Array.isArray(body?.events)) return { status: 400, handled: 0 };
  let handled = 0;
  for (const event of body.events as unknown[]) {
    // Only follow / unfollow from a LINE user are acted on (or remembered); anything else, null
    // and scalars included, is skipped: LINE expects unknown events to be ignored.
    if (!isMemberEvent(event)) continue;
    const eventId = typeof event?.webhookEventId === 'string' ? event.webhookEventId : null;
    if (eventId && (await store.seenWebhookEvent(tenantId, eventId))) continue;
    try {
      const ctx = { db, env, creds, tokens, log, tenantId };
      if (event.type === 'postback') {
        if (creds && queue && (await postback(ctx, queue, event, eventId))) handled++;
      } else if (await handleEvent(ctx, event, eventId)) handled++;
    } catch (err) {
      if (eventId) await store.forgetWebhookEvent(tenantId, eventId);
      throw err;
    }
  }
  return { status: 200, handled };
}

function isMemberEvent(event: unknown): event is WebhookEvent {
  if (!event || typeof event !== 'object') return false;
  const { type, source } = event as WebhookEvent;
  if (type !== 'follow' && type !== 'unfollow' && type !== 'postback') return false;
  const lineUserId = source && typeof source === 'object' ? source.userId : undefined;
  return typeof lineUserId === 'string' && LINE_USER_ID.test(lineUserId);
}

/** A decision button's postback (decisions/line-postback.ts). */
function postback(
  ctx: WebhookContext,
  queue: Queue<QueueMessage>,
  event: WebhookEvent,
  eventId: string | null,
): Promise<boolean> {
  const data = event.postback && typeof event.postback === 'object' ? event.postback.data : null;
  return handleLinePostback(
    { ...ctx, queue, timeoutMs: TIMEOUT_MS },
    ctx.tenantId,
    ctx.creds as IntegrationCredentials,
    {
      lineUserId: String(event.source?.userId),
      data,
      replyToken:
        typeof event.replyToken === 'string' && event.replyToken ? event.replyToken : null,
      webhookEventId: eventId,
    },
  );
}

interface WebhookContext {
  db: Db;
  env: LineEnv;
  creds: IntegrationCredentials | null;
  tokens: TokenSource;
  log: Logger;
  tenantId: string;
}

async function handleEvent(
  ctx: WebhookContext,
  event: WebhookEvent,
  eventId: string | null,
): Promise<boolean> {
  const { db, log, tenantId } = ctx;
  const lineUserId = event.source?.userId;
  if (event.type !== 'follow' && event.type !== 'unfollow') return false;
  if (typeof lineUserId !== 'string' || !LINE_USER_ID.test(lineUserId)) return false;
  const members = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.lineUserId, lineUserId)));
  if (members.length === 0) {
    // A friend who never logged in through WORKPLACE: nothing to link.
    log.info('line webhook: event from an unknown LINE user', {
      tenant: tenantId,
      type: event.type,
    });
    return false;
  }
  const at = new Date().toISOString();
  const status = event.type === 'follow' ? 'LINKED' : 'BLOCKED';
  await db.batch([
    db
      .update(users)
      .set(
        status === 'LINKED'
          ? { lineStatus: status, lineLinkedAt: at, updatedAt: at }
          : { lineStatus: status, updatedAt: at },
      )
      .where(and(eq(users.tenantId, tenantId), eq(users.lineUserId, lineUserId))),
    ...members.map((m) =>
      auditStatement(
        db,
        {
          tenantId,
          actor: 'line',
          action: event.type === 'follow' ? 'binding.line.follow' : 'binding.line.unfollow',
          target: m.userId,
          detail: { was: m.lineStatus, status },
        },
        at,
      ),
    ),
  ]);
  if (status === 'LINKED') {
    const member = members[0] as UserRow;
    await sendLinkCompleted(ctx, member, event, eventId);
  }
  return true;
}

async function sendLinkCompleted(
  ctx: WebhookContext,
  member: UserRow,
  event: WebhookEvent,
  eventId: string | null,
) {
  const { env, creds, log, tenantId } = ctx;
  if (!creds || !member.lineUserId) return;
  const token = await lineChannelToken(ctx.tokens, tenantId, creds);
  if (!token?.ok) {
    log.warn('line webhook: no channel token for the completion message', { tenant: tenantId });
    return;
  }
  const channelAccessToken = token.token;
  const text = linkCompletedText(member.locale as Locale);
  if (typeof event.replyToken === 'string' && event.replyToken !== '') {
    const r = await replyMessage({
      apiBase: env.LINE_API_BASE,
      channelAccessToken,
      replyToken: event.replyToken,
      messages: [{ type: 'text', text }],
      timeoutMs: TIMEOUT_MS,
    });
    if (r.ok) return;
    log.warn('line webhook: reply failed, pushing instead', { tenant: tenantId, reason: r.reason });
  }
  const pushed = await pushText({
    apiBase: env.LINE_API_BASE,
    channelAccessToken,
    to: member.lineUserId,
    text,
    retryKey: await lineRetryKey(`link-completed:${tenantId}:${eventId ?? member.id}`),
    timeoutMs: TIMEOUT_MS,
  });
  if (!pushed.ok) {
    log.warn('line webhook: completion message not sent', {
      tenant: tenantId,
      reason: pushed.reason,
    });
  }
}
