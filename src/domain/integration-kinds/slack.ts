/** Slack bot DMs: https://docs.slack.dev/messaging/sending-and-scheduling-messages */
import { slackMessagesPerMinute, slackMethodPerMinute } from '../limits.ts';
import { defineKind, fact, link, perMinute, secret, token } from './define.ts';

export const slackKind = defineKind({
  kind: 'SLACK',
  description: 'Slack bot: direct messages to members by their member ID.',
  fields: {
    // What auth.test answered on verifyIntegration.
    teamId: fact.text(),
    teamName: fact.text(),
    botUserId: fact.text(),
    botToken: secret(token('botToken', 500)),
    // v2: verifies button clicks (DECISIONS.md); clicks arrive at interactivityUrl.
    signingSecret: secret(token('signingSecret', 200), {
      input: 'Basic Information > Signing Secret: verifies button clicks',
    }),
    interactivityUrl: link(
      (tenantId) => `/slack/interactivity/${encodeURIComponent(tenantId)}`,
      'To paste into Interactivity & Shortcuts > Request URL (button clicks arrive here)',
    ),
    // Pacing: the workspace-wide chat.postMessage budget and the Tier 3 calls per minute.
    messagesPerMinute: perMinute(slackMessagesPerMinute, {
      input:
        'Workspace-wide chat.postMessage budget per minute (default 525); lower it when Slack answers 429',
      output:
        "chat.postMessage calls per minute Renkei allows itself across the workspace (Slack's limit is unpublished; default 525), on top of 1 per second per DM",
    }),
    tier3PerMinute: perMinute((s) => slackMethodPerMinute('conversations.open', s), {
      input: 'Tier 3 calls per minute Slack grants the workspace (default 50)',
      output:
        'Tier 3 calls per minute (conversations.open for first-contact DMs) Renkei allows itself per workspace (default 50, the documented Tier 3 floor)',
    }),
  },
  required: () => ['botToken'],
});
