import type { TokenSource } from '../../domain/tokens.ts';

/** TokenVault objects keyed by tenant and provider (`${tenant}:LINE_WORKS`, `${tenant}:LINE`). */
export function createTokens(env: Env): TokenSource {
  const vault = (tenantId: string, provider: 'LINE_WORKS' | 'LINE') =>
    env.TOKEN_VAULT.getByName(`${tenantId}:${provider}`);
  return {
    lineWorks: (tenantId, creds, scopes, options) =>
      vault(tenantId, 'LINE_WORKS').lineWorks(creds, scopes, options),
    dropLineWorks: (tenantId, creds, scopes, token) =>
      vault(tenantId, 'LINE_WORKS').dropLineWorks(creds, scopes, token),
    lineChannel: (tenantId, channelId, channelSecret, options) =>
      vault(tenantId, 'LINE').lineChannel(channelId, channelSecret, options),
    dropLineChannel: (tenantId, channelId, channelSecret, token) =>
      vault(tenantId, 'LINE').dropLineChannel(channelId, channelSecret, token),
    forget: (tenantId, provider) => vault(tenantId, provider).forget(),
    registerLineWorksBot: (tenantId, creds, bot) =>
      vault(tenantId, 'LINE_WORKS').registerLineWorksBot(creds, bot),
  };
}
