/** LINE: a push with a flex message to the member's LINE userId (PROVIDERS.md, LINE). */
import { lineAdapter } from '../../adapters/line/index.ts';
import type { SendResult } from '../../adapters/types.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { TokenResult, TokenSource } from '../tokens.ts';
import type { ChannelDriver } from './types.ts';

/**
 * The channel access token to send with: the admin's long-lived token when one is stored,
 * otherwise a stateless token issued from the Messaging channel id and secret and cached in
 * TokenVault. https://developers.line.biz/en/docs/basics/channel-access-token/
 */
export async function lineChannelToken(
  tokens: TokenSource,
  tenantId: string,
  creds: Pick<IntegrationCredentials, 'settings' | 'secrets'>,
): Promise<(TokenResult & { stateless: boolean }) | null> {
  const longLived = creds.secrets.channelAccessToken;
  if (longLived) return { ok: true, token: longLived, stateless: false };
  const channelId = creds.settings.messagingChannelId;
  const secret = creds.secrets.messagingChannelSecret;
  if (typeof channelId !== 'string' || channelId === '' || !secret) return null;
  return { ...(await tokens.lineChannel(tenantId, channelId, secret)), stateless: true };
}

/**
 * LINE delivery: only LINKED members are reachable (BLOCKED and not-yet-friends are SKIPPED
 * with the reason), pacing is per channel (tenant-wide), the push goes through lineAdapter.
 * https://developers.line.biz/en/reference/messaging-api/#send-push-message
 */
export const lineDriver: ChannelDriver = {
  unreachable(user) {
    if (user.lineStatus === 'BLOCKED') return 'the member blocked the LINE account';
    if (user.lineStatus === 'PENDING_FRIEND') {
      return 'LINE not linked: the member has not added the official account as a friend';
    }
    if (user.lineStatus !== 'LINKED' || !user.lineUserId) return 'LINE not linked';
    return null;
  },
  // Push is limited per channel, i.e. per tenant (PACE_LIMITS.LINE).
  paceKey: () => '*',
  async send(ctx, { user, credentials, message, deliveryId, pace }): Promise<SendResult> {
    const token = await lineChannelToken(ctx.tokens, ctx.tenantId, credentials);
    if (!token) {
      return {
        kind: 'failed',
        scope: 'integration',
        reason: 'LINE: no channel access token (enter one, or the Messaging channel id and secret)',
      };
    }
    if (!token.ok) {
      return token.retryable
        ? { kind: 'retry', reason: token.reason }
        : { kind: 'failed', scope: 'integration', reason: token.reason };
    }
    const result = await lineAdapter.send({
      base: ctx.env.LINE_API_BASE,
      credentials: { channelAccessToken: token.token },
      target: { lineUserId: user.lineUserId ?? '' },
      message,
      deliveryId,
      pace,
      timeoutMs: ctx.timeoutMs,
    });
    if (token.stateless && result.kind === 'failed' && result.learned?.tokenRejected) {
      // A refused stateless token is dropped and the push retried with a fresh one.
      const channelId = String(credentials.settings.messagingChannelId);
      const secret = credentials.secrets.messagingChannelSecret ?? '';
      await ctx.tokens.dropLineChannel(ctx.tenantId, channelId, secret, token.token);
      return { kind: 'retry', reason: result.reason };
    }
    return result;
  },
  bindingChanges: () => null,
};
