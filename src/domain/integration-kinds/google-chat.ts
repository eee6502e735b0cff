/**
 * Google Chat: each member brings their own incoming webhook (a binding), so the integration
 * has no fields and nothing to verify. https://developers.google.com/workspace/chat/quickstart/webhooks
 */
import { defineKind } from './define.ts';

export const googleChatKind = defineKind({
  kind: 'GOOGLE_CHAT',
  description: "Google Chat: each member's own incoming webhook.",
  fields: {},
  required: () => [],
  activeWhenEnabled: true,
});
