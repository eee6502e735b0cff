/**
 * "Save, then the Bot ID appears under the popup" (seed, LINE WORKS messenger) in API 2.0 terms:
 * an enabled LINE WORKS integration without a Bot ID gets its bot registered (`POST /bots`) and
 * added to the domain (`POST /bots/{botId}/domains/{domainId}`) right after the save; the Bot ID
 * is stored in the settings. https://developers.worksmobile.com/en/docs/bot-create
 */
import type { Db } from '../db/client.ts';
import { catalog } from '../i18n/catalogs.ts';
import type { UserError } from './errors.ts';
import { loadCredentials, recordIntegrationHealth } from './integrations.ts';
import { lineWorksAppCredentials, type TokenSource } from './tokens.ts';

/**
 * Registers the tenant's bot when the integration is enabled and has no Bot ID (or a bot whose
 * domain step failed), and records the outcome. Returns what the admin should see; an empty
 * list means nothing was needed or it worked. The integration stays saved either way.
 */
export async function ensureLineWorksBot(
  db: Db,
  secretsKey: string,
  tokens: TokenSource,
  tenantId: string,
  callbackUrl?: string,
): Promise<UserError[]> {
  const creds = await loadCredentials(db, secretsKey, tenantId, 'LINE_WORKS');
  if (!creds?.enabled) return [];
  const { settings } = creds;
  const botId = typeof settings.botId === 'string' ? settings.botId : '';
  const botReady = botId !== '' && settings.botInDomain !== false;
  // The callback only matters once clicks can be verified (a Bot Secret is stored).
  const wantedCallback = creds.secrets.botSecret ? callbackUrl : undefined;
  if (botReady && (!wantedCallback || settings.callbackUrl === wantedCallback)) return [];
  const app = lineWorksAppCredentials(settings, creds.secrets);
  const domainId = typeof settings.domainId === 'string' ? settings.domainId : '';
  const adminEmail = typeof settings.adminEmail === 'string' ? settings.adminEmail : '';
  if (!app || !domainId || !adminEmail) return [];
  // The bot's name and description as members see them, in the tenant's locale (JA default).
  const profile = catalog(
    typeof settings.locale === 'string' ? settings.locale : null,
  ).lineWorksBot;
  const result = await tokens.registerLineWorksBot(tenantId, app, {
    ...profile,
    adminEmail,
    domainId,
    ...(botId ? { existingBotId: botId } : {}),
    ...(wantedCallback ? { callbackUrl: wantedCallback } : {}),
    ...(botReady ? { callbackOnly: true } : {}),
  });
  if (botReady) {
    // The bot works; only its callback (decision clicks) was set: messages go on either way.
    if (result.ok) {
      await recordIntegrationHealth(db, tenantId, 'LINE_WORKS', {
        ok: creds.status !== 'ERROR',
        error: creds.lastError,
        facts: { callbackUrl: wantedCallback },
      });
      return [];
    }
    return [
      {
        code: result.retryable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_REJECTED',
        message: `LINE WORKS bot callback could not be set (button clicks will not arrive): ${result.reason}`,
      },
    ];
  }
  if (result.ok) {
    await recordIntegrationHealth(db, tenantId, 'LINE_WORKS', {
      ok: true,
      verified: true,
      facts: {
        botId: result.botId,
        botInDomain: true,
        botName: profile.botName,
        ...(wantedCallback ? { callbackUrl: wantedCallback } : {}),
      },
    });
    return [];
  }
  const reason = `LINE WORKS bot registration failed: ${result.reason}`;
  await recordIntegrationHealth(db, tenantId, 'LINE_WORKS', {
    ok: false,
    error: reason,
    ...(result.botId ? { facts: { botId: result.botId, botInDomain: false } } : {}),
  });
  return [
    {
      code: result.retryable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_REJECTED',
      message: result.retryable ? `${reason} (save again later)` : reason,
    },
  ];
}
