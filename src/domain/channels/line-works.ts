/**
 * LINE WORKS: a bot message to the member's LINE WORKS id with a token from TokenVault
 * (PROVIDERS.md, LINE WORKS). Every member has a LINE WORKS id (the WORKPLACE user id unless
 * `lineWorksUserId` says otherwise), so only the integration can make a member unreachable.
 */
import { lineWorksAdapter } from '../../adapters/line-works/index.ts';
import type { SendResult } from '../../adapters/types.ts';
import { lineWorksPace, lineWorksPerMinute } from '../limits.ts';
import { lineWorksAppCredentials } from '../tokens.ts';
import type { UserRow } from '../users.ts';
import type { ChannelDriver, SendContext, SendInput } from './types.ts';

/** The member's id on LINE WORKS: `lineWorksUserId` where it differs, else the WORKPLACE id. */
export function lineWorksUserIdOf(user: Pick<UserRow, 'userId' | 'lineWorksUserId'>): string {
  return user.lineWorksUserId || user.userId;
}

/** LINE WORKS limits per domain and API: all bot messages share one bucket. */
const MESSAGE_PACE_KEY = 'bot-message';

export const lineWorksDriver: ChannelDriver = {
  unreachable: () => null,
  integrationProblem(settings) {
    if (typeof settings.botId !== 'string' || settings.botId === '') {
      return 'LINE WORKS has no Bot ID yet (save the integration again to register the bot)';
    }
    if (settings.botInDomain === false) {
      return 'LINE WORKS bot is not added to the domain yet (save the integration again)';
    }
    return null;
  },
  paceLimit: (settings) => lineWorksPace(lineWorksPerMinute(settings)),
  paceKey: () => MESSAGE_PACE_KEY,
  send: sendLineWorks,
  offersDecisions: (creds) => Boolean(creds.secrets.botSecret),
  bindingChanges: () => null,
};

/**
 * Uses LINE WORKS' own count: `rateLimit-remaining: 0` (or a 429) holds further sends of this
 * tenant until `rateLimit-reset`. https://developers.worksmobile.com/jp/docs/rate-limits
 */
async function holdIfExhausted(ctx: SendContext, result: SendResult) {
  let seconds: number | undefined;
  if (result.kind === 'sent' && result.learned?.rateLimitRemaining === '0') {
    seconds = Number(result.learned.rateLimitReset);
  } else if (result.kind === 'retry' && result.afterSeconds !== undefined) {
    seconds = result.afterSeconds;
  }
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return;
  await ctx.gate.hold?.('LINE_WORKS', ctx.tenantId, MESSAGE_PACE_KEY, Date.now() + seconds * 1000);
}

async function sendLineWorks(ctx: SendContext, input: SendInput): Promise<SendResult> {
  const { settings, secrets } = input.credentials;
  const app = lineWorksAppCredentials(settings, secrets);
  const botId = typeof settings.botId === 'string' ? settings.botId : '';
  if (!app || !botId) {
    return {
      kind: 'failed',
      scope: 'integration',
      reason: 'LINE WORKS credentials or Bot ID are missing',
    };
  }
  // A 401 means the cached token is stale: drop it and try once more with a fresh one.
  for (let attempt = 0; ; attempt++) {
    const token = await ctx.tokens.lineWorks(ctx.tenantId, app, ['bot']);
    if (!token.ok) {
      return token.retryable
        ? { kind: 'retry', reason: token.reason }
        : { kind: 'failed', scope: 'integration', reason: token.reason };
    }
    const result = await lineWorksAdapter.send({
      base: ctx.env.LINE_WORKS_API_BASE,
      credentials: { accessToken: token.token, botId },
      target: { userId: lineWorksUserIdOf(input.user) },
      message: input.message,
      deliveryId: input.deliveryId,
      pace: input.pace,
      timeoutMs: ctx.timeoutMs,
    });
    await holdIfExhausted(ctx, result);
    if (result.kind !== 'retry' || result.learned?.tokenRejected !== 'true') return result;
    await ctx.tokens.dropLineWorks(ctx.tenantId, app, ['bot'], token.token);
    if (attempt > 0) return { kind: 'retry', reason: result.reason };
  }
}
