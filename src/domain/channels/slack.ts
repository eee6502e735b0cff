/** Slack: a bot DM to the member's Slack member id (PROVIDERS.md, Slack). */
import { slackAdapter } from '../../adapters/slack/index.ts';
import type { ChannelDriver } from './types.ts';

export const slackDriver: ChannelDriver = {
  unreachable(user) {
    if (!user.slackMemberId) return 'no Slack member id';
    if (user.slackError) return `Slack binding broken: ${user.slackError}`;
    return null;
  },
  paceKey: (user) => user.slackMemberId ?? '',
  send: (ctx, { user, credentials, message, deliveryId, pace }) =>
    slackAdapter.send({
      base: ctx.env.SLACK_API_BASE,
      credentials: { botToken: credentials.secrets.botToken ?? '' },
      target: {
        memberId: user.slackMemberId ?? '',
        dmChannelId: user.slackDmChannelId ?? undefined,
      },
      message,
      deliveryId,
      pace,
      timeoutMs: ctx.timeoutMs,
    }),
  bindingChanges(user, result) {
    if (result.kind === 'failed' && result.scope === 'recipient') {
      return { slackError: result.reason, slackDmChannelId: null };
    }
    const dm = result.learned?.dmChannelId;
    return dm && dm !== user.slackDmChannelId ? { slackDmChannelId: dm } : null;
  },
};
