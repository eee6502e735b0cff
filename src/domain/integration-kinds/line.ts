/**
 * LINE: a LINE Login channel (members link their LINE account) and the Messaging API channel of
 * the company official account (pushes, webhook). https://developers.line.biz/en/docs/
 */
import * as z from 'zod/mini';
import { defineKind, fact, link, matching, secret, text, token } from './define.ts';

const channelId = (label: string) => matching(/^\d{6,20}$/, `${label} is the numeric Channel ID`);

const lineHosts = /^(?:[a-z0-9-]+\.)*line\.me$|^lin\.ee$/;

export const lineKind = defineKind({
  kind: 'LINE',
  description: 'LINE Login + Messaging API channels of the company official account.',
  fields: {
    loginChannelId: text(channelId('loginChannelId')),
    loginChannelSecret: secret(token('loginChannelSecret', 200)),
    messagingChannelSecret: secret(token('messagingChannelSecret', 200), {
      output: 'Signs the webhook',
    }),
    channelAccessToken: secret(token('channelAccessToken', 2000), {
      input: 'Long-lived token; optional when messagingChannelId is given',
    }),
    friendUrl: text(
      z
        .url({
          protocol: /^https$/,
          hostname: lineHosts,
          error:
            'friendUrl must be an https LINE add-friend link (https://line.me/R/ti/p/@… or https://lin.ee/…)',
        })
        .check(z.maxLength(500)),
      { output: "The official account's add-friend link (Gain Friends > Direct link)" },
    ),
    basicId: fact.text("The official account's basic id, read by verifyIntegration"),
    friendUrlMatches: fact.flag(
      'Whether friendUrl names the basic id verifyIntegration read (null: not checked)',
    ),
    messagingChannelId: text(channelId('messagingChannelId'), {
      input: 'Messaging API channel id, for stateless channel access tokens',
      output:
        'Messaging API channel id: with messagingChannelSecret, Renkei issues stateless channel ' +
        'access tokens itself when no channelAccessToken is stored',
    }),
    callbackUrl: link(() => '/line/callback', 'To paste into LINE Login > Web app > Callback URL'),
    webhookUrl: link(
      (tenantId) => `/line/webhook/${encodeURIComponent(tenantId)}`,
      'To paste into Messaging API > Webhook URL',
    ),
  },
  // Without a long-lived token, stateless tokens are issued from the Messaging channel id.
  required: (merged) => [
    'loginChannelId',
    'loginChannelSecret',
    'messagingChannelSecret',
    merged.messagingChannelId ? 'messagingChannelId' : 'channelAccessToken',
    'friendUrl',
  ],
});

/** The LINE fields that name the Messaging channel (whose quota Renkei keeps). */
export const LINE_CHANNEL_FIELDS: readonly string[] = ['channelAccessToken', 'messagingChannelId'];
