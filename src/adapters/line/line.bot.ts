import { fetchWithTimeout, readJson } from '../http.ts';
import { lineFailure, noResponse } from './line.errors.ts';
import type {
  LineBotInfoResult,
  LineMessage,
  LineOkResult,
  LineTokenResult,
} from './line.types.ts';

/** Setting-screen and webhook calls: short and interactive. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Text message limit (UTF-16 code units). */
const MAX_TEXT = 5000;

export interface LineBotInfoRequest {
  /** LINE_API_BASE, e.g. `https://api.line.me`. */
  apiBase: string;
  channelAccessToken: string;
  timeoutMs?: number;
}

/**
 * Reads the official account behind a channel token (`GET /v2/bot/info`): verifies a pasted
 * token and yields the `basicId` of the add-friend link.
 * https://developers.line.biz/en/reference/messaging-api/#get-bot-info
 */
export async function lineBotInfo(request: LineBotInfoRequest): Promise<LineBotInfoResult> {
  const what = 'LINE bot info';
  const outcome = await fetchWithTimeout(
    `${trimSlash(request.apiBase)}/v2/bot/info`,
    { headers: { authorization: `Bearer ${request.channelAccessToken}` } },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (!response.ok) return lineFailure(response, what);
  const body = (await readJson(response)) as Record<string, unknown> | undefined;
  if (!body || typeof body.userId !== 'string' || typeof body.basicId !== 'string') {
    return { ok: false, status: response.status, retryable: true, reason: `${what}: bad response` };
  }
  return {
    ok: true,
    userId: body.userId,
    basicId: body.basicId,
    displayName: typeof body.displayName === 'string' ? body.displayName : '',
    ...(typeof body.pictureUrl === 'string' ? { pictureUrl: body.pictureUrl } : {}),
  };
}

export interface StatelessTokenRequest {
  apiBase: string;
  /** The Messaging API channel id. */
  channelId: string;
  channelSecret: string;
  timeoutMs?: number;
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/**
 * Issues a stateless channel access token (15 minutes): `POST /oauth2/v3/token`
 * `grant_type=client_credentials`. Caching belongs to the caller (TokenVault).
 * https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token
 */
export async function issueStatelessToken(
  request: StatelessTokenRequest,
): Promise<LineTokenResult> {
  const what = 'LINE stateless token';
  const outcome = await fetchWithTimeout(
    `${trimSlash(request.apiBase)}/oauth2/v3/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: request.channelId,
        client_secret: request.channelSecret,
      }).toString(),
    },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (!response.ok) return lineFailure(response, what);
  const body = (await readJson(response)) as Record<string, unknown> | undefined;
  if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
    return { ok: false, status: response.status, retryable: true, reason: `${what}: no token` };
  }
  const ttl = Number(body.expires_in);
  const seconds = Number.isFinite(ttl) && ttl > 0 ? ttl : 900;
  return {
    ok: true,
    accessToken: body.access_token,
    expiresAt: (request.now ?? Date.now()) + seconds * 1000,
  };
}

export interface ReplyMessageRequest {
  apiBase: string;
  channelAccessToken: string;
  /** Single-use and short-lived: reply right away, never from a retry queue. */
  replyToken: string;
  messages: LineMessage[];
  timeoutMs?: number;
}

/**
 * Replies to a webhook event: `POST /v2/bot/message/reply` `{replyToken, messages}`.
 * https://developers.line.biz/en/reference/messaging-api/#send-reply-message
 */
export async function replyMessage(request: ReplyMessageRequest): Promise<LineOkResult> {
  return postMessages(
    'LINE reply',
    request,
    '/v2/bot/message/reply',
    { replyToken: request.replyToken, messages: request.messages },
    undefined,
  );
}

export interface PushTextRequest {
  apiBase: string;
  channelAccessToken: string;
  /** The LINE user id. */
  to: string;
  text: string;
  /** A UUID reused on every attempt of this push (see `lineRetryKey`). */
  retryKey?: string;
  timeoutMs?: number;
}

/**
 * Pushes one text message (e.g. the "linking complete" message after a friend add);
 * a 409 under the same retry key counts as done.
 * https://developers.line.biz/en/reference/messaging-api/#send-push-message
 */
export async function pushText(request: PushTextRequest): Promise<LineOkResult> {
  const text = request.text.length > MAX_TEXT ? request.text.slice(0, MAX_TEXT) : request.text;
  return postMessages(
    'LINE push',
    request,
    '/v2/bot/message/push',
    { to: request.to, messages: [{ type: 'text', text }] },
    request.retryKey,
  );
}

async function postMessages(
  what: string,
  request: { apiBase: string; channelAccessToken: string; timeoutMs?: number },
  path: string,
  body: unknown,
  retryKey: string | undefined,
): Promise<LineOkResult> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${request.channelAccessToken}`,
    'content-type': 'application/json',
  };
  if (retryKey) headers['x-line-retry-key'] = retryKey;
  const outcome = await fetchWithTimeout(
    `${trimSlash(request.apiBase)}${path}`,
    { method: 'POST', headers, body: JSON.stringify(body) },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (response.ok || (retryKey && response.status === 409)) {
    const requestId =
      response.headers.get('x-line-accepted-request-id') ??
      response.headers.get('x-line-request-id');
    return requestId ? { ok: true, requestId } : { ok: true };
  }
  return lineFailure(response, what);
}

function trimSlash(base: string): string {
  return base.replace(/\/+$/, '');
}
