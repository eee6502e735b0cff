/**
 * LINE member linking, the login half (PROVIDERS.md, LINE; seed step 6): LINE Login with state,
 * nonce and PKCE held by the tenant's LineAuth object, the callback that stores the member's
 * LINE userId and checks the friendship, and unlinking.
 */
import { and, eq, ne } from 'drizzle-orm';
import {
  buildAuthorizeUrl,
  exchangeLoginCode,
  getFriendship,
  pkcePair,
  verifyLineIdToken,
} from '../../adapters/line/index.ts';
import type { Locale } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { base64UrlToBytes, bytesToBase64Url, textToBase64Url } from '../../lib/base64.ts';
import { auditStatement, auditStatementIfWritten } from '../audit.ts';
import type { Principal } from '../auth.ts';
import { InputError } from '../errors.ts';
import { type IntegrationCredentials, loadCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import { ensureSelf, freeForMember, getUserByRowId, type UserRow } from '../users.ts';
import {
  LINE_LINK_TIMEOUT_MS,
  LINE_USER_ID,
  type LineAuthStore,
  type LineEnv,
  LOGIN_STATE_TTL_MS,
} from './types.ts';

const RANDOM_BYTES = 32;

/**
 * The LINE Login redirect URI (the admin pastes it into LINE Login > Web app > Callback URL).
 * https://developers.line.biz/en/docs/line-login/integrate-line-login/#setting-callback-url
 */
export function lineCallbackUrl(env: Pick<LineEnv, 'PUBLIC_BASE_URL'>): string {
  return new URL('/line/callback', env.PUBLIC_BASE_URL).toString();
}

function randomToken(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
}

/**
 * The `state` sent to LINE: `<tenant>.<random>`. The tenant part tells the Worker which
 * LineAuth object to ask; only the random part is secret.
 */
export function encodeState(tenantId: string): string {
  return `${textToBase64Url(tenantId)}.${randomToken()}`;
}

/** The tenant named by a callback `state`, or null when it is not one of ours. */
export function tenantOfState(state: string | null | undefined): string | null {
  if (!state || state.length > 300) return null;
  const m = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(state);
  if (!m?.[1]) return null;
  try {
    const tenant = new TextDecoder('utf-8', { fatal: true }).decode(base64UrlToBytes(m[1]));
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
    timeoutMs: LINE_LINK_TIMEOUT_MS,
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
    timeoutMs: LINE_LINK_TIMEOUT_MS,
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
  // Checked again in the write: two members logging in with one LINE account at once cannot
  // both link it (the second is told it is taken, and nothing of it is written or audited).
  const [linked] = await db.batch([
    db
      .update(users)
      .set({
        lineUserId: id.lineUserId,
        lineStatus: status,
        lineDisplayName: id.displayName,
        lineLinkedAt: friend ? at : null,
        updatedAt: at,
      })
      .where(
        and(
          eq(users.tenantId, tenantId),
          eq(users.id, member.id),
          freeForMember(users.lineUserId, tenantId, id.lineUserId, member.id),
        ),
      )
      .returning({ id: users.id }),
    auditStatementIfWritten(
      db,
      {
        tenantId,
        actor: member.userId,
        action: 'binding.line.link',
        target: member.userId,
        detail: { status },
      },
      at,
      users,
      member.id,
    ),
  ]);
  if (linked.length === 0) return { kind: 'taken', locale };
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
