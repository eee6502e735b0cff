/** Google Chat: the member's own incoming webhook, a thread per document (PROVIDERS.md). */
import { googleChatAdapter } from '../../adapters/google-chat/index.ts';
import { googleChatWebhookOf } from '../users.ts';
import type { ChannelDriver } from './types.ts';

export const googleChatDriver: ChannelDriver = {
  unreachable(user) {
    if (!user.googleChatWebhook) return 'Google Chat webhook not set';
    if (user.googleChatError) return `Google Chat webhook broken: ${user.googleChatError}`;
    return null;
  },
  paceKey: (user) => user.googleChatSpace ?? '',
  async send(ctx, { user, message, deliveryId, pace }) {
    const webhookUrl = await googleChatWebhookOf(ctx.env.SECRETS_KEY, user);
    if (!webhookUrl)
      return { kind: 'failed', scope: 'recipient', reason: 'Google Chat webhook not set' };
    return googleChatAdapter.send({
      base: ctx.env.GOOGLE_CHAT_WEBHOOK_ORIGIN,
      credentials: { webhookUrl },
      target: { documentId: message.documentId },
      message,
      deliveryId,
      pace,
      timeoutMs: ctx.timeoutMs,
    });
  },
  bindingChanges: (_user, result) =>
    result.kind === 'failed' && result.scope === 'recipient'
      ? { googleChatError: result.reason }
      : null,
};
