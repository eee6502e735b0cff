/** verifyIntegration: checks stored credentials against the provider and records the verdict. */
import { lineBotInfo } from '../adapters/line/index.ts';
import { getBot } from '../adapters/line-works/index.ts';
import { slackAuthTest } from '../adapters/slack/index.ts';
import type { Db } from '../db/client.ts';
import { calendarCredentials } from './calendar-integration.ts';
import type { UserError } from './errors.ts';
import { type IntegrationKind, loadCredentials, recordIntegrationHealth } from './integrations.ts';
import { refreshLineQuota } from './line-quota-sync.ts';
import { lineWorksAppCredentials, type TokenSource } from './tokens.ts';

export const PROVIDER_TIMEOUT_MS = 10_000;

export interface VerifyEnv {
  SECRETS_KEY: string;
  SLACK_API_BASE: string;
  LINE_API_BASE: string;
  LINE_WORKS_API_BASE: string;
}

export interface VerifyOutcome {
  ok: boolean;
  errors: UserError[];
}

const notConfigured = (message: string): VerifyOutcome => ({
  ok: false,
  errors: [{ code: 'NOT_CONFIGURED', message }],
});

/**
 * LINE WORKS: a service-account token, then `GET /bots/{botId}`
 * (https://developers.worksmobile.com/en/docs/bot-create); LINE WORKS calendar: a token with the
 * `calendar` scope (https://developers.worksmobile.com/jp/docs/auth-jwt).
 * Slack: `auth.test` (https://docs.slack.dev/reference/methods/auth.test); LINE: `GET
 * /v2/bot/info` with the channel token, then its monthly quota
 * (https://developers.line.biz/en/reference/messaging-api/#get-quota). Tokens are always issued
 * anew here (never taken from the TokenVault cache): the check is whether the stored credentials
 * work now. A provider's refusal sets the integration to ERROR with its reason; an unreachable
 * provider leaves the status alone and says so.
 */
export async function verifyIntegration(
  db: Db,
  env: VerifyEnv,
  tenantId: string,
  kind: IntegrationKind,
  tokens: TokenSource,
): Promise<VerifyOutcome> {
  const creds = await loadCredentials(db, env.SECRETS_KEY, tenantId, kind);
  if (!creds) return notConfigured(`${kind} is not configured yet`);
  switch (kind) {
    case 'SLACK': {
      const token = creds.secrets.botToken;
      if (!token) return notConfigured('Enter the Slack bot token first');
      const r = await slackAuthTest(env.SLACK_API_BASE, token, PROVIDER_TIMEOUT_MS);
      if (r.ok) {
        await recordIntegrationHealth(db, tenantId, kind, {
          ok: true,
          verified: true,
          facts: { teamId: r.teamId, teamName: r.teamName, botUserId: r.botUserId },
        });
        return { ok: true, errors: [] };
      }
      return rejected(db, tenantId, kind, `Slack: ${r.error}`, r.retryable);
    }
    case 'LINE': {
      let token = creds.secrets.channelAccessToken;
      const stateless = !token;
      const channelId = creds.settings.messagingChannelId;
      const channelSecret = creds.secrets.messagingChannelSecret;
      if (!token && typeof channelId === 'string' && channelSecret) {
        // Stateless mode: issuing a token (TokenVault) is itself the check of the id and secret.
        const issued = await tokens.lineChannel(tenantId, channelId, channelSecret, {
          fresh: true,
        });
        if (!issued.ok) {
          return rejected(db, tenantId, kind, `LINE: ${issued.reason}`, issued.retryable);
        }
        token = issued.token;
      }
      if (!token) return notConfigured('Enter the LINE channel access token first');
      const r = await lineBotInfo({
        apiBase: env.LINE_API_BASE,
        channelAccessToken: token,
        timeoutMs: PROVIDER_TIMEOUT_MS,
      });
      if (r.ok) {
        const friendUrl =
          typeof creds.settings.friendUrl === 'string' ? creds.settings.friendUrl : '';
        const friendUrlMatches = friendUrl !== '' && friendUrlMatchesBasicId(friendUrl, r.basicId);
        await recordIntegrationHealth(db, tenantId, kind, {
          ok: true,
          verified: true,
          facts: {
            basicId: r.basicId,
            botUserId: r.userId,
            botDisplayName: r.displayName,
            friendUrlMatches,
          },
        });
        const errors: UserError[] =
          friendUrl !== '' && !friendUrlMatches && !friendUrl.startsWith('https://lin.ee/')
            ? [
                {
                  code: 'INVALID',
                  message: `friendUrl does not point at this channel's official account ${r.basicId}`,
                  field: ['friendUrl'],
                },
              ]
            : [];
        // The monthly quota is read with the token just checked. A failed read does not fail
        // the verification (the credentials are good): it shows in the integration's lastError.
        await refreshLineQuota({ db, env, tokens, timeoutMs: PROVIDER_TIMEOUT_MS }, tenantId, {
          token: { token, stateless },
          verified: true,
        });
        return { ok: true, errors };
      }
      return rejected(db, tenantId, kind, `LINE: ${r.reason}`, (r.status ?? 0) >= 500 || !r.status);
    }
    case 'GOOGLE_CHAT':
      // Nothing tenant-wide to check: each member brings their own webhook.
      await recordIntegrationHealth(db, tenantId, kind, { ok: true, verified: true });
      return { ok: creds.enabled, errors: [] };
    case 'LINE_WORKS': {
      const app = lineWorksAppCredentials(creds.settings, creds.secrets);
      if (!app)
        return notConfigured('Enter the LINE WORKS Client ID, secret, service account and key');
      const botId = typeof creds.settings.botId === 'string' ? creds.settings.botId : '';
      if (!botId) return notConfigured('The LINE WORKS bot is not registered yet: save it enabled');
      const token = await tokens.lineWorks(tenantId, app, ['bot'], { fresh: true });
      if (!token.ok) {
        return rejected(db, tenantId, kind, `LINE WORKS: ${token.reason}`, token.retryable);
      }
      const bot = await getBot({
        apiBase: env.LINE_WORKS_API_BASE,
        accessToken: token.token,
        botId,
        timeoutMs: PROVIDER_TIMEOUT_MS,
      });
      if (bot.ok) {
        await recordIntegrationHealth(db, tenantId, kind, {
          ok: true,
          verified: true,
          facts: bot.botName ? { botName: bot.botName } : {},
        });
        return { ok: true, errors: [] };
      }
      // A token issued a moment ago and refused: nothing a second try would change.
      if (bot.tokenRejected) await tokens.dropLineWorks(tenantId, app, ['bot'], token.token);
      return rejected(db, tenantId, kind, `LINE WORKS: ${bot.reason}`, bot.retryable);
    }
    case 'LINE_WORKS_CALENDAR': {
      if (!creds.enabled) return notConfigured('Enable the LINE WORKS calendar first');
      const calendar = await calendarCredentials(db, env.SECRETS_KEY, tenantId);
      if (!calendar.app) return notConfigured(calendar.reason ?? 'LINE WORKS calendar is not set');
      const token = await tokens.lineWorks(tenantId, calendar.app, ['calendar'], { fresh: true });
      if (!token.ok) {
        return rejected(db, tenantId, kind, `LINE WORKS: ${token.reason}`, token.retryable);
      }
      await recordIntegrationHealth(db, tenantId, kind, { ok: true, verified: true });
      return { ok: true, errors: [] };
    }
    default:
      return {
        ok: false,
        errors: [{ code: 'UNSUPPORTED', message: `Verification of ${kind} is not available yet` }],
      };
  }
}

async function rejected(
  db: Db,
  tenantId: string,
  kind: IntegrationKind,
  reason: string,
  transient: boolean,
): Promise<VerifyOutcome> {
  if (transient) {
    return {
      ok: false,
      errors: [{ code: 'PROVIDER_UNAVAILABLE', message: `${reason} (try again later)` }],
    };
  }
  await recordIntegrationHealth(db, tenantId, kind, { ok: false, error: reason, verified: true });
  return { ok: false, errors: [{ code: 'PROVIDER_REJECTED', message: reason }] };
}

/** Whether a line.me add-friend link names the account `basicId` (e.g. @abc1234). */
export function friendUrlMatchesBasicId(friendUrl: string, basicId: string): boolean {
  try {
    const path = decodeURIComponent(new URL(friendUrl).pathname);
    return path.split('/').includes(basicId);
  } catch {
    return false;
  }
}
