/**
 * Slack: a bot DM to the member's Slack member id (PROVIDERS.md, Slack), paced per method per
 * workspace (v2 facts › Slack): conversations.open at Tier 3, chat.postMessage per DM channel
 * (1/s) and per workspace (`messagesPerMinute`). A 429 holds that method for the whole
 * workspace for `Retry-After`.
 *
 * First contact opens the DM with conversations.open and caches the `D…` id on the member
 * (`slackDmChannelId`); later sends post straight to it. Whether chat.postMessage accepts the
 * member id itself as `channel` is unconfirmed (PROVIDERS.md), so the code assumes it does not
 * and pays one paced conversations.open per member; were it allowed, a driver without the open
 * step would need no other change (the post step paces on the member's key either way).
 */
import { slackAdapter } from '../../adapters/slack/index.ts';
import type { SendResult } from '../../adapters/types.ts';
import {
  type PaceLimit,
  type PaceStep,
  SLACK_CHANNEL_PACE,
  slackMessagesPerMinute,
  slackMethodPerMinute,
  slackPerMinutePace,
} from '../limits.ts';
import type { ChannelDriver, SendContext, SendInput } from './types.ts';

/**
 * Time between a conversations.open's slot and its chat.postMessage's slot: none. The post waits
 * for the open's answer anyway, so it goes as soon as that answer is in, late by the open's answer
 * time; the DM channel's next post keeps SLACK_POST_LATE_MS of room for it, and the workspace
 * budget has 2 s of every 62 to spare. A gap here would only hold every first-contact batch (the
 * queue consumer waits for its last post) for that long after its answers were in.
 */
export const SLACK_OPEN_TO_POST_MS = 0;
export const SLACK_POST_LATE_MS = 1000;

/** Without a Retry-After (it should always come with a 429): hold the method this long. */
const DEFAULT_HOLD_S = 30;

/** The workspace part of every RateGate key: the team id once verified, else the tenant's one. */
function workspaceOf(settings: Record<string, unknown>): string {
  return typeof settings.teamId === 'string' && settings.teamId ? settings.teamId : 'workspace';
}

export const slackMethodKey = (settings: Record<string, unknown>, method: string) =>
  `${workspaceOf(settings)}:${method}`;

function methodStep(
  method: string,
  settings: Record<string, unknown>,
  limit: PaceLimit,
  label: string,
): PaceStep {
  return { label: `Slack ${method} (${label})`, key: slackMethodKey(settings, method), limit };
}

export const slackDriver: ChannelDriver = {
  unreachable(user) {
    if (!user.slackMemberId) return 'no Slack member id';
    if (user.slackError) return `Slack binding broken: ${user.slackError}`;
    return null;
  },
  paceKey: (user) => user.slackMemberId ?? '',
  paceSteps(user, settings) {
    const messages = slackMessagesPerMinute(settings);
    const post: PaceStep = {
      ...methodStep(
        'chat.postMessage',
        settings,
        slackPerMinutePace(messages),
        `1/s per DM, ${messages}/min per workspace`,
      ),
      target: { key: user.slackMemberId ?? '', limit: SLACK_CHANNEL_PACE },
    };
    if (user.slackDmChannelId) return [post];
    const firstPost: PaceStep = {
      ...post,
      target: { ...(post.target as NonNullable<PaceStep['target']>), lateMs: SLACK_POST_LATE_MS },
      gapMs: SLACK_OPEN_TO_POST_MS,
    };
    const opens = slackMethodPerMinute('conversations.open', settings);
    const open = methodStep(
      'conversations.open',
      settings,
      slackPerMinutePace(opens),
      `Tier 3, ${opens}/min per workspace`,
    );
    return [open, firstPost];
  },
  send: sendSlack,
  offersDecisions: (creds) => Boolean(creds.secrets.signingSecret),
  bindingChanges(user, result) {
    if (result.kind === 'failed' && result.scope === 'recipient') {
      return { slackError: result.reason, slackDmChannelId: null };
    }
    const dm = result.learned?.dmChannelId;
    return dm && dm !== user.slackDmChannelId ? { slackDmChannelId: dm } : null;
  },
};

async function sendSlack(ctx: SendContext, input: SendInput): Promise<SendResult> {
  const { user, credentials } = input;
  const settings = credentials.settings;
  const firstContact = !user.slackDmChannelId;
  const openAt = firstContact && input.slots && input.slots.length > 1 ? input.slots[0] : undefined;
  // Only a send that had to wait for its slot asks RateGate again (one round trip): one that
  // goes at once was reserved a moment ago, after any hold.
  if (openAt !== undefined && (await input.waitUntil(openAt))) {
    // A 429 on conversations.open since this slot was reserved holds the method for the
    // whole workspace: no call before Retry-After, and no attempt spent on waiting.
    const openKey = slackMethodKey(settings, 'conversations.open');
    const held = (await ctx.gate.heldUntil?.('SLACK', ctx.tenantId, openKey)) ?? 0;
    if (held > Date.now()) {
      return {
        kind: 'retry',
        reason: `waiting for Slack's conversations.open limit (rate limited for the workspace until ${new Date(held).toISOString()})`,
        deferUntil: held,
      };
    }
  }
  const result = await slackAdapter.send({
    base: ctx.env.SLACK_API_BASE,
    credentials: { botToken: credentials.secrets.botToken ?? '' },
    target: {
      memberId: user.slackMemberId ?? '',
      dmChannelId: user.slackDmChannelId ?? undefined,
    },
    message: input.message,
    deliveryId: input.deliveryId,
    pace: input.pace,
    timeoutMs: ctx.timeoutMs,
  });
  const method = result.kind === 'retry' ? result.learned?.rateLimitedMethod : undefined;
  if (method && result.kind === 'retry') {
    const seconds = result.afterSeconds ?? DEFAULT_HOLD_S;
    await ctx.gate.hold?.(
      'SLACK',
      ctx.tenantId,
      slackMethodKey(settings, method),
      Date.now() + seconds * 1000,
    );
  }
  return result;
}
