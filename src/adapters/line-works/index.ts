export type {
  AddBotToDomainRequest,
  GetBotRequest,
  RegisterBotRequest,
  UpdateBotCallbackRequest,
} from './line-works.bot.ts';
export { addBotToDomain, getBot, registerBot, updateBotCallback } from './line-works.bot.ts';
export type {
  CreateCalendarEventRequest,
  DeleteCalendarEventRequest,
  UpdateCalendarEventRequest,
} from './line-works.calendar.ts';
export {
  absenceEventBody,
  createCalendarEvent,
  deleteCalendarEvent,
  updateCalendarEvent,
} from './line-works.calendar.ts';
export type { LineWorksPostback } from './line-works.callback.ts';
export { parseLineWorksCallback, verifyLineWorksSignature } from './line-works.callback.ts';
export type {
  LineWorksDirectoryFailure,
  LineWorksUser,
  LineWorksUserPage,
  LineWorksUserResult,
} from './line-works.directory.ts';
export {
  getLineWorksUser,
  isProposableLineWorksUser,
  LINE_WORKS_DIRECTORY_SCOPE,
  lineWorksUserName,
  listLineWorksUsers,
} from './line-works.directory.ts';
export type { LineWorksErrorClass } from './line-works.errors.ts';
export { classifyLineWorksError, readRateLimitHeaders } from './line-works.errors.ts';
export type { LineWorksTextRequest } from './line-works.provider.ts';
export {
  lineWorksAdapter,
  lineWorksMessageContent,
  sendLineWorksText,
} from './line-works.provider.ts';
export type {
  LineWorksTokenRequest,
  PrivateKeyCheck,
  ServiceAccountJwtInput,
} from './line-works.token.ts';
export {
  fetchLineWorksToken,
  isPkcs8Pem,
  signServiceAccountJwt,
  validatePrivateKey,
} from './line-works.token.ts';
export type * from './line-works.types.ts';
