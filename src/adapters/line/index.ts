export type {
  LineBotInfoRequest,
  PushTextRequest,
  ReplyMessageRequest,
  StatelessTokenRequest,
} from './line.bot.ts';
export {
  issueStatelessToken,
  lineBotInfo,
  pushText,
  replyMessage,
} from './line.bot.ts';
export { classifyLinePushError } from './line.errors.ts';
export type {
  AuthorizeUrlInput,
  ExchangeLoginCodeRequest,
  FriendshipRequest,
  VerifyLineIdTokenInput,
} from './line.login.ts';
export {
  buildAuthorizeUrl,
  exchangeLoginCode,
  getFriendship,
  pkceChallenge,
  pkcePair,
  verifyLineIdToken,
} from './line.login.ts';
export { lineAdapter, lineFlexMessage, lineRetryKey } from './line.provider.ts';
export type { LineQuotaRequest } from './line.quota.ts';
export { lineQuota } from './line.quota.ts';
export type * from './line.types.ts';
export { signLineBody, verifyLineSignature } from './line.webhook.ts';
