/**
 * LINE WORKS API 2.0 shapes Renkei sends and reads.
 * https://developers.worksmobile.com/jp/docs/auth-jwt
 * https://developers.worksmobile.com/jp/docs/bot-user-message-send
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */

/** What the queue consumer hands the messenger adapter (the token comes from TokenVault). */
export interface LineWorksCredentials {
  accessToken: string;
  botId: string;
}

/** A member: their LINE WORKS user id or login id (email form). */
export interface LineWorksTarget {
  userId: string;
}

/** A button template action: a link, or a message that carries a postback (a decision). */
export type LineWorksAction =
  | { type: 'uri'; label: string; uri: string }
  | { type: 'message'; label: string; postback: string };

/** `content` of `POST /bots/{botId}/users/{userId}/messages`. */
export type LineWorksMessageContent =
  | { type: 'text'; text: string }
  | {
      type: 'button_template';
      contentText: string;
      actions: LineWorksAction[];
    };

/** Error body of every LINE WORKS API 2.0 call. */
export interface LineWorksErrorBody {
  code?: string;
  description?: string;
}

/** `POST /oauth2/v2.0/token` success body; `expires_in` may arrive as a string. */
export interface LineWorksTokenResponse {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number | string;
  scope?: string;
}

export type LineWorksTokenResult =
  | { ok: true; accessToken: string; expiresAt: number; scope: string }
  | { ok: false; reason: string; retryable: boolean; status?: number };

/** A failed management call (bot registration). `status` is 0 when no response arrived. */
export interface LineWorksApiFailure {
  ok: false;
  status: number;
  code: string;
  reason: string;
  retryable: boolean;
  /** 401: the access token was refused; the caller must drop it from TokenVault. */
  tokenRejected?: true;
}

export interface LineWorksBot {
  botId: string;
  botName?: string;
  description?: string;
  photoUrl?: string;
  administrators?: string[];
}

export type LineWorksBotResult = ({ ok: true } & LineWorksBot) | LineWorksApiFailure;
export type LineWorksOkResult = { ok: true } | LineWorksApiFailure;

/** Response headers of the rate limiter: https://developers.worksmobile.com/jp/docs/rate-limits */
export interface LineWorksRateLimit {
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
}

/** One approved absence as it goes into the member's default calendar. */
export interface LineWorksAbsence {
  title: string;
  /** `YYYY-MM-DD` */
  startDate: string;
  /** `YYYY-MM-DD`, the last day of the absence (inclusive). */
  endDate: string;
  allDay: boolean;
  /** `HH:mm`, when not all day. */
  startTime?: string;
  /** `HH:mm`, when not all day. */
  endTime?: string;
  /** IANA zone, e.g. `Asia/Tokyo`. */
  timeZone: string;
  note?: string | null;
}

export interface LineWorksCalendarRequest {
  apiBase: string;
  accessToken: string;
  userId: string;
  timeoutMs: number;
}

/**
 * A calendar call that did not succeed, classified like a message send:
 * `retryable` for 401 (with `tokenRejected`: drop the cached token), 429, 5xx and timeouts;
 * otherwise permanent with the provider's code and description.
 */
export interface LineWorksCalendarFailure {
  ok: false;
  retryable: boolean;
  reason: string;
  /** HTTP status; 0 when no response arrived (timeout, reset). */
  status: number;
  code?: string;
  /** Whose fault a permanent failure is, as for message sends. */
  scope?: 'integration' | 'recipient' | 'message';
  afterSeconds?: number;
  /** The access token was refused: the caller must drop it from TokenVault. */
  tokenRejected?: boolean;
}

/** `eventComponents[]` of a calendar event body. */
export interface LineWorksEventComponent {
  eventId?: string;
  summary: string;
  description?: string;
  start: LineWorksEventTime;
  end: LineWorksEventTime;
  transparency: 'OPAQUE' | 'TRANSPARENT';
  visibility: 'PUBLIC' | 'PRIVATE';
}

export type LineWorksEventTime = { date: string } | { dateTime: string; timeZone: string };

export interface LineWorksEventBody {
  eventComponents: LineWorksEventComponent[];
  sendNotification: boolean;
}
