/**
 * Provider access tokens as the domain sees them: issued, cached and refreshed by the TokenVault
 * Durable Object (one per tenant and provider), reached through this interface so the domain
 * never imports a Worker module (ARCHITECTURE.md, "Durable Objects").
 */

/** The service-account credentials a LINE WORKS token is issued for. */
export interface LineWorksAppCredentials {
  clientId: string;
  clientSecret: string;
  serviceAccount: string;
  privateKey: string;
}

export type TokenResult =
  | { ok: true; token: string }
  | { ok: false; reason: string; retryable: boolean };

/**
 * LINE WORKS scopes Renkei asks for: messenger (`bot`), calendar (`calendar`), and `user.read`
 * to learn a member's resource id for decision callbacks.
 */
export type LineWorksScope = 'bot' | 'calendar' | 'user.read';

/** What `POST /bots` and `POST /bots/{botId}/domains/{domainId}` are sent. */
export interface BotRegistration {
  botName: string;
  description: string;
  adminEmail: string;
  domainId: string;
  /** A bot registered earlier whose domain step failed: only that step is repeated. */
  existingBotId?: string;
  /** v2: the bot's callback URL (decision clicks), set on registration or by PATCH. */
  callbackUrl?: string;
  /** With existingBotId: the bot is fine, only its callback is (re)set. */
  callbackOnly?: boolean;
}

export type BotRegistrationResult =
  | { ok: true; botId: string }
  | { ok: false; reason: string; retryable: boolean; botId?: string };

/** How a token is asked for. */
export interface TokenOptions {
  /**
   * Issue a new token even when one is cached: the issuing itself is the check that the
   * credentials still work (verifyIntegration never answers from the cache).
   */
  fresh?: boolean;
}

/** The cached tokens of one provider: LINE WORKS (messenger and calendar) or LINE. */
export type TokenProvider = 'LINE_WORKS' | 'LINE';

/**
 * A cached token belongs to the exact credentials that issued it: tokens are keyed by this
 * SHA-256 over every credential field (never by an id alone, never by a secret in clear), so a
 * changed key, secret or service account can never be answered with an old token.
 */
export async function credentialFingerprint(fields: readonly string[]): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(JSON.stringify(fields)),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The fingerprint of a LINE WORKS app's credentials (Client ID, secret, account, key). */
export function lineWorksFingerprint(creds: LineWorksAppCredentials): Promise<string> {
  return credentialFingerprint([
    'LINE_WORKS',
    creds.clientId,
    creds.clientSecret,
    creds.serviceAccount,
    creds.privateKey,
  ]);
}

/** The fingerprint of a LINE Messaging channel's id and secret. */
export function lineChannelFingerprint(channelId: string, channelSecret: string): Promise<string> {
  return credentialFingerprint(['LINE', channelId, channelSecret]);
}

export interface TokenSource {
  /**
   * A LINE WORKS service-account access token with `scopes` for exactly these credentials,
   * from the cache while it is fresh (unless `options.fresh`).
   * https://developers.worksmobile.com/jp/docs/auth-jwt
   */
  lineWorks(
    tenantId: string,
    creds: LineWorksAppCredentials,
    scopes: readonly LineWorksScope[],
    options?: TokenOptions,
  ): Promise<TokenResult>;
  /** Forgets `token` after LINE WORKS answered 401 with it; the next call issues a new one. */
  dropLineWorks(
    tenantId: string,
    creds: LineWorksAppCredentials,
    scopes: readonly LineWorksScope[],
    token: string,
  ): Promise<void>;
  /**
   * A LINE stateless channel access token (15 minutes) for this channel id and secret, cached
   * until shortly before expiry (unless `options.fresh`).
   * https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token
   */
  lineChannel(
    tenantId: string,
    channelId: string,
    channelSecret: string,
    options?: TokenOptions,
  ): Promise<TokenResult>;
  /** Forgets a LINE channel token the Messaging API refused. */
  dropLineChannel(
    tenantId: string,
    channelId: string,
    channelSecret: string,
    token: string,
  ): Promise<void>;
  /** Drops every cached token of the tenant's `provider` (its integration was saved). */
  forget(tenantId: string, provider: TokenProvider): Promise<void>;
  /**
   * Registers the tenant's bot and adds it to the domain, one bot-management call at a time per
   * tenant (https://developers.worksmobile.com/en/docs/bot-create).
   */
  registerLineWorksBot(
    tenantId: string,
    creds: LineWorksAppCredentials,
    bot: BotRegistration,
  ): Promise<BotRegistrationResult>;
}

/** The LINE WORKS credentials of an integration's settings and secrets, or what is missing. */
export function lineWorksAppCredentials(
  settings: Record<string, unknown>,
  secrets: Record<string, string>,
): LineWorksAppCredentials | null {
  const clientId = typeof settings.clientId === 'string' ? settings.clientId : '';
  const serviceAccount = typeof settings.serviceAccount === 'string' ? settings.serviceAccount : '';
  const clientSecret = secrets.clientSecret ?? '';
  const privateKey = secrets.privateKey ?? '';
  if (!clientId || !serviceAccount || !clientSecret || !privateKey) return null;
  return { clientId, clientSecret, serviceAccount, privateKey };
}

/**
 * The channel access token to send with: the admin's long-lived token when one is stored,
 * otherwise a stateless token issued from the Messaging channel id and secret and cached in
 * TokenVault. https://developers.line.biz/en/docs/basics/channel-access-token/
 */
export async function lineChannelToken(
  tokens: TokenSource,
  tenantId: string,
  creds: { settings: Record<string, unknown>; secrets: Record<string, string> },
): Promise<(TokenResult & { stateless: boolean }) | null> {
  const longLived = creds.secrets.channelAccessToken;
  if (longLived) return { ok: true, token: longLived, stateless: false };
  const channelId = creds.settings.messagingChannelId;
  const secret = creds.secrets.messagingChannelSecret;
  if (typeof channelId !== 'string' || channelId === '' || !secret) return null;
  return { ...(await tokens.lineChannel(tenantId, channelId, secret)), stateless: true };
}
