/** verifyIntegration: checks stored credentials against the provider and records the verdict. */
import { lineBotInfo } from '../adapters/line/index.ts';
import { slackAuthTest } from '../adapters/slack/index.ts';
import type { Db } from '../db/client.ts';
import type { UserError } from './errors.ts';
import { type IntegrationKind, loadCredentials, recordIntegrationHealth } from './integrations.ts';

export const PROVIDER_TIMEOUT_MS = 10_000;

export interface VerifyEnv {
  SECRETS_KEY: string;
  SLACK_API_BASE: string;
  LINE_API_BASE: string;
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
 * Slack: `auth.test` (https://docs.slack.dev/reference/methods/auth.test); LINE: `GET
 * /v2/bot/info` with the channel token. A provider's refusal sets the integration to ERROR
 * with its reason; an unreachable provider leaves the status alone and says so.
 */
export async function verifyIntegration(
  db: Db,
  env: VerifyEnv,
  tenantId: string,
  kind: IntegrationKind,
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
      const token = creds.secrets.channelAccessToken;
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
        return { ok: true, errors };
      }
      return rejected(db, tenantId, kind, `LINE: ${r.reason}`, (r.status ?? 0) >= 500 || !r.status);
    }
    case 'GOOGLE_CHAT':
      // Nothing tenant-wide to check: each member brings their own webhook.
      await recordIntegrationHealth(db, tenantId, kind, { ok: true, verified: true });
      return { ok: creds.enabled, errors: [] };
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
