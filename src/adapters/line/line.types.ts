/**
 * LINE Platform shapes Renkei sends and reads (Messaging API, LINE Login v2.1).
 * https://developers.line.biz/en/reference/messaging-api/
 * https://developers.line.biz/en/reference/line-login/
 */

/** What the queue consumer hands the push adapter (long-lived or stateless channel token). */
export interface LineCredentials {
  channelAccessToken: string;
}

/** A LINE user id (`U` + 32 hex) shared by the Login and Messaging channels of one provider. */
export interface LineTarget {
  lineUserId: string;
}

/** Error body of the Messaging API. */
export interface LineErrorBody {
  message?: string;
  details?: { message?: string; property?: string }[];
}

/** A failed LINE call. `status` is 0 when no response arrived (timeout, reset). */
export interface LineFailure {
  ok: false;
  status: number;
  reason: string;
  retryable: boolean;
}

export interface LineTextMessage {
  type: 'text';
  text: string;
}

export interface LineFlexMessage {
  type: 'flex';
  altText: string;
  contents: Record<string, unknown>;
}

export type LineMessage = LineTextMessage | LineFlexMessage;

export type LineBotInfoResult =
  | { ok: true; userId: string; basicId: string; displayName: string; pictureUrl?: string }
  | LineFailure;

export type LineTokenResult = { ok: true; accessToken: string; expiresAt: number } | LineFailure;

export type LineLoginTokens = {
  ok: true;
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  /** Milliseconds since the epoch at which the user's access token expires. */
  expiresAt: number;
  scope?: string;
};

export type LineLoginTokenResult = LineLoginTokens | LineFailure;

export type LineIdTokenResult =
  | { ok: true; lineUserId: string; displayName: string | null }
  | { ok: false; reason: string };

export type LineFriendshipResult = { ok: true; friendFlag: boolean } | LineFailure;

export type LineOkResult = { ok: true; requestId?: string } | LineFailure;

/** This month's message quota: `limit` null when the plan has none; `used` pushes so far. */
export type LineQuotaResult = { ok: true; limit: number | null; used: number } | LineFailure;
