export {
  GOOGLE_CHAT_MAX_BYTES,
  googleChatThreadKey,
  renderGoogleChatMessage,
} from './google-chat.message.ts';
export {
  classifyGoogleChatError,
  googleChatAdapter,
  parseGoogleChatWebhook,
} from './google-chat.provider.ts';
export type {
  GoogleChatCredentials,
  GoogleChatTarget,
  GoogleChatWebhookParse,
} from './google-chat.types.ts';
