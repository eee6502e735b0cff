/**
 * TokenVault Durable Object, one per (tenant, provider): issues provider access tokens, keeps
 * them in memory until shortly before they expire, lets one refresh per key run at a time and
 * forgets a token the provider refused. A token is keyed by the fingerprint of the exact
 * credentials that issued it (SHA-256 over every field), so changed credentials never get an old
 * token; saving an integration drops them all (`forget`). Tokens are never written to storage:
 * an evicted object simply issues a new one. For LINE WORKS it also serializes the tenant's
 * bot-management calls.
 */
import { DurableObject } from 'cloudflare:workers';
import { issueStatelessToken } from '../adapters/line/index.ts';
import {
  addBotToDomain,
  fetchLineWorksToken,
  type LineWorksApiFailure,
  registerBot,
  updateBotCallback,
} from '../adapters/line-works/index.ts';
import type {
  BotRegistration,
  BotRegistrationResult,
  LineWorksAppCredentials,
  LineWorksScope,
  TokenOptions,
  TokenResult,
} from '../domain/tokens.ts';
import { lineChannelFingerprint, lineWorksFingerprint } from '../domain/tokens.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';

/** How long a finished registration answers repeated saves (two admins saving at once). */
const REGISTERED_MEMORY_MS = 60_000;
/** A token is renewed when less than this is left (or a tenth of its life, if shorter). */
const REFRESH_MARGIN_MS = 5 * 60_000;

interface Cached {
  token: string;
  expiresAt: number;
  /** When to issue a new one instead of handing this out. */
  renewAt: number;
}

type Issued = { ok: true; token: string; expiresAt: number } | Extract<TokenResult, { ok: false }>;

export class TokenVault extends DurableObject<Env> {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<TokenResult>>();
  /** The tail of this tenant's bot-management chain. */
  private botChain: Promise<unknown> = Promise.resolve();
  /** Bots this object just registered, by Client ID and domain, so a second save reuses one. */
  private readonly registered = new Map<string, { botId: string; at: number }>();
  /** How many tokens this object issued, for tests and logs. */
  private issued = 0;
  /** Bumped by `forget`: a refresh that started before it does not fill the cache. */
  private generation = 0;

  /** A LINE WORKS service-account token with `scopes` (https://developers.worksmobile.com/jp/docs/auth-jwt). */
  async lineWorks(
    creds: LineWorksAppCredentials,
    scopes: readonly LineWorksScope[],
    options: TokenOptions = {},
  ): Promise<TokenResult> {
    return this.get(
      await lineWorksKey(creds, scopes),
      () => this.issueLineWorks(creds, scopes),
      options,
    );
  }

  /** Forgets `token` when it is still the cached one (a newer token is kept). */
  async dropLineWorks(
    creds: LineWorksAppCredentials,
    scopes: readonly LineWorksScope[],
    token: string,
  ) {
    this.drop(await lineWorksKey(creds, scopes), token);
  }

  /**
   * A LINE stateless channel access token.
   * https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token
   */
  async lineChannel(
    channelId: string,
    channelSecret: string,
    options: TokenOptions = {},
  ): Promise<TokenResult> {
    const key = await lineChannelKey(channelId, channelSecret);
    return this.get(
      key,
      async (): Promise<Issued> => {
        const r = await issueStatelessToken({
          apiBase: this.env.LINE_API_BASE,
          channelId,
          channelSecret,
          timeoutMs: PROVIDER_TIMEOUT_MS,
        });
        return r.ok
          ? { ok: true, token: r.accessToken, expiresAt: r.expiresAt }
          : { ok: false, reason: r.reason, retryable: r.retryable };
      },
      options,
    );
  }

  async dropLineChannel(channelId: string, channelSecret: string, token: string) {
    this.drop(await lineChannelKey(channelId, channelSecret), token);
  }

  /** Drops every cached token (the integration was saved); bot-management memory stays. */
  async forget(): Promise<void> {
    this.generation++;
    this.cache.clear();
    this.inFlight.clear();
  }

  /** Tokens issued by this object since it started (observability and tests). */
  async stats(): Promise<{ issued: number; cached: number }> {
    return { issued: this.issued, cached: this.cache.size };
  }

  /**
   * Registers the bot (`POST /bots`) and adds it to the domain (`POST
   * /bots/{botId}/domains/{domainId}`), queued behind any earlier bot-management call of this
   * tenant so two never overlap. https://developers.worksmobile.com/en/docs/bot-create
   */
  async registerLineWorksBot(
    creds: LineWorksAppCredentials,
    bot: BotRegistration,
  ): Promise<BotRegistrationResult> {
    const run = this.botChain.then(() => this.registerNow(creds, bot));
    this.botChain = run.catch(() => undefined);
    return run;
  }

  private async registerNow(
    creds: LineWorksAppCredentials,
    bot: BotRegistration,
  ): Promise<BotRegistrationResult> {
    const apiBase = this.env.LINE_WORKS_API_BASE;
    const key = `${creds.clientId}:${bot.domainId}`;
    const recent = this.registered.get(key);
    if (!bot.existingBotId && recent && Date.now() - recent.at < REGISTERED_MEMORY_MS) {
      return { ok: true, botId: recent.botId };
    }
    const callbackUrl = bot.callbackUrl;
    const patchCallback = (id: string, url: string) =>
      this.withBotToken(creds, (accessToken) =>
        updateBotCallback({
          apiBase,
          accessToken,
          botId: id,
          callbackUrl: url,
          timeoutMs: PROVIDER_TIMEOUT_MS,
        }),
      );
    if (bot.callbackOnly && bot.existingBotId && callbackUrl) {
      const patched = await patchCallback(bot.existingBotId, callbackUrl);
      return patched.ok
        ? { ok: true, botId: bot.existingBotId }
        : { ...patched, botId: bot.existingBotId };
    }
    let botId = bot.existingBotId;
    if (!botId) {
      const created = await this.withBotToken(creds, (accessToken) =>
        registerBot({
          apiBase,
          accessToken,
          botName: bot.botName,
          description: bot.description,
          adminEmail: bot.adminEmail,
          ...(callbackUrl ? { callbackUrl } : {}),
          timeoutMs: PROVIDER_TIMEOUT_MS,
        }),
      );
      if (!created.ok) return created;
      botId = created.botId;
    } else if (callbackUrl) {
      // A bot registered before (its domain step failed): its callback may predate v2.
      const patched = await patchCallback(botId, callbackUrl);
      if (!patched.ok) return { ...patched, botId };
    }
    const id = botId;
    const added = await this.withBotToken(creds, (accessToken) =>
      addBotToDomain({
        apiBase,
        accessToken,
        botId: id,
        domainId: bot.domainId,
        timeoutMs: PROVIDER_TIMEOUT_MS,
      }),
    );
    if (!added.ok) return { ...added, botId: id };
    this.registered.set(key, { botId: id, at: Date.now() });
    return { ok: true, botId: id };
  }

  /** Runs a bot call with a `bot` token; a 401 drops the token and tries once more. */
  private async withBotToken<R extends { ok: true } | LineWorksApiFailure>(
    creds: LineWorksAppCredentials,
    call: (accessToken: string) => Promise<R>,
  ): Promise<R | { ok: false; reason: string; retryable: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.lineWorks(creds, ['bot']);
      if (!token.ok) return token;
      const result = await call(token.token);
      if (result.ok || !result.tokenRejected || attempt > 0) {
        return result.ok
          ? result
          : { ok: false, reason: result.reason, retryable: result.retryable };
      }
      await this.dropLineWorks(creds, ['bot'], token.token);
    }
  }

  private async issueLineWorks(
    creds: LineWorksAppCredentials,
    scopes: readonly LineWorksScope[],
  ): Promise<Issued> {
    const r = await fetchLineWorksToken({
      authBase: this.env.LINE_WORKS_AUTH_BASE,
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      serviceAccount: creds.serviceAccount,
      privateKeyPem: creds.privateKey,
      scopes: [...scopes],
      timeoutMs: PROVIDER_TIMEOUT_MS,
    });
    return r.ok
      ? { ok: true, token: r.accessToken, expiresAt: r.expiresAt }
      : { ok: false, reason: r.reason, retryable: r.retryable };
  }

  /**
   * The cached token for `key` (unless `fresh`), or the one refresh in flight, or a new refresh.
   * A failed issue also drops what was cached under `key`: those credentials are refused now.
   */
  private get(
    key: string,
    issue: () => Promise<Issued>,
    options: TokenOptions,
  ): Promise<TokenResult> {
    const hit = this.cache.get(key);
    if (!options.fresh && hit && Date.now() < hit.renewAt) {
      return Promise.resolve({ ok: true, token: hit.token });
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const refresh = (async (): Promise<TokenResult> => {
      try {
        const r = await issue();
        if (generation !== this.generation) return r.ok ? { ok: true, token: r.token } : r;
        if (!r.ok) {
          if (!r.retryable) this.cache.delete(key);
          return r;
        }
        this.issued++;
        const now = Date.now();
        const life = Math.max(0, r.expiresAt - now);
        this.cache.set(key, {
          token: r.token,
          expiresAt: r.expiresAt,
          renewAt: r.expiresAt - Math.min(REFRESH_MARGIN_MS, life / 10),
        });
        return { ok: true, token: r.token };
      } finally {
        if (generation === this.generation) this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, refresh);
    return refresh;
  }

  private drop(key: string, token: string) {
    if (this.cache.get(key)?.token === token) this.cache.delete(key);
  }
}

/** The cache key of a LINE WORKS token: the credentials' fingerprint and the sorted scopes. */
async function lineWorksKey(
  creds: LineWorksAppCredentials,
  scopes: readonly string[],
): Promise<string> {
  return `lw:${await lineWorksFingerprint(creds)}:${[...scopes].sort().join(' ')}`;
}

async function lineChannelKey(channelId: string, channelSecret: string): Promise<string> {
  return `line:${await lineChannelFingerprint(channelId, channelSecret)}`;
}
