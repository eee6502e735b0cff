/** LINE: a push with a flex message to the member's LINE userId (PROVIDERS.md, LINE). */
import { lineAdapter } from '../../adapters/line/index.ts';
import type { SendResult } from '../../adapters/types.ts';
import {
  claimLinePushes,
  claimLineQuotaRead,
  type LinePushClaim,
  QUOTA_USED_UP,
  settleLinePushes,
} from '../line-quota.ts';
import { refreshLineQuota } from '../line-quota-sync.ts';
import { lineChannelToken } from '../tokens.ts';
import type { ChannelDriver, ChannelQuota } from './types.ts';

export { lineChannelToken };

/**
 * After a batch that pushed, LINE's own count is read at most this often per tenant: a fan-out
 * of 5,000 comes in 50 batches within seconds, and Renkei counts its pushes in between anyway.
 * A batch that takes Renkei's count past 80 % or to the limit reads at once.
 */
export const READ_AFTER_SEND_MS = 60_000;

/**
 * LINE's monthly message quota (PROVIDERS.md, v2 facts › LINE): each batch claims room before
 * pushing (line-quota.ts); pushes past it end FAILED with QUOTA_USED_UP and are never sent.
 * https://developers.line.biz/en/reference/messaging-api/#get-quota
 */
const lineQuotaGate: ChannelQuota = {
  async claim(ctx, count) {
    const claim = await claimLinePushes(ctx.db, ctx.tenantId, count);
    return { granted: claim.granted, reason: QUOTA_USED_UP, state: claim };
  },
  async settle(ctx, claim, results, credentials) {
    const sent = results.filter((r) => r.kind === 'sent').length;
    const refused = results.some((r) => r.kind === 'failed' && r.scope === 'quota');
    const next = await settleLinePushes(ctx.db, ctx.tenantId, claim.state as LinePushClaim, {
      sent,
      refused,
    });
    if (next === 'no') return;
    if (next === 'due' && !(await claimLineQuotaRead(ctx.db, ctx.tenantId, READ_AFTER_SEND_MS))) {
      return;
    }
    await refreshLineQuota(
      { db: ctx.db, env: ctx.env, tokens: ctx.tokens, timeoutMs: ctx.timeoutMs },
      ctx.tenantId,
      { creds: credentials },
    );
  },
};

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
  // The webhook that brings postbacks is signed with the Messaging channel secret.
  offersDecisions: (creds) => Boolean(creds.secrets.messagingChannelSecret),
  bindingChanges: () => null,
  quota: lineQuotaGate,
};
