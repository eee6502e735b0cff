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
): Promise<UserError[]> {
  const creds = await loadCredentials(db, secretsKey, tenantId, 'LINE_WORKS');
  if (!creds?.enabled) return [];
  const { settings } = creds;
  const botId = typeof settings.botId === 'string' ? settings.botId : '';
  if (botId && settings.botInDomain !== false) return [];
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
  });
  if (result.ok) {
    await recordIntegrationHealth(db, tenantId, 'LINE_WORKS', {
      ok: true,
      verified: true,
      facts: { botId: result.botId, botInDomain: true, botName: profile.botName },
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
