import { catalog } from '../../i18n/catalogs.ts';
import { describeNetworkFailure, fetchWithTimeout } from '../http.ts';
import { renderText, truncate } from '../messages.ts';
import type { Notification, ProviderAdapter, SendResult } from '../types.ts';
import { classifyLineWorksError, readRateLimitHeaders } from './line-works.errors.ts';
import type {
  LineWorksAction,
  LineWorksCredentials,
  LineWorksMessageContent,
  LineWorksTarget,
} from './line-works.types.ts';

/** `button_template.contentText` limit. */
const MAX_CONTENT_TEXT = 1000;
/**
 * Button label limit: the button template page gives none, so this keeps to the 20 characters
 * LINE's own template buttons allow; longer labels are cut rather than rejected.
 */
const MAX_LABEL = 20;
/** A decision value is at most 300 characters (LINE's postback limit, kept everywhere). */
const MAX_POSTBACK = 300;

/**
 * The `content` of a bot message in the recipient's locale: a button template whose button
 * opens the document; a plain `text` message when the notification has no usable http(s) link.
 * https://developers.worksmobile.com/en/docs/bot-send-button
 */
export function lineWorksMessageContent(message: Notification): LineWorksMessageContent {
  const text = renderText(message, { maxCommentLength: MAX_CONTENT_TEXT });
  const body = [text.heading, text.summary, ...text.lines].join('\n');
  const copy = catalog(message.locale).decision;
  // Decision buttons are `message` actions with a postback (a `postback` action is not allowed
  // in a button template): the click comes back to the bot's callback as a message event.
  // https://developers.worksmobile.com/jp/docs/bot-send-button
  const decisions: LineWorksAction[] = (message.decisions ?? [])
    .filter((d) => d.value.length <= MAX_POSTBACK)
    .map((d) => ({
      type: 'message',
      label: truncate(copy.labels[d.action], MAX_LABEL),
      postback: d.value,
    }));
  if (!text.url && decisions.length === 0) {
    return { type: 'text', text: truncate(text.fallback, MAX_CONTENT_TEXT) };
  }
  return {
    type: 'button_template',
    contentText: truncate(body, MAX_CONTENT_TEXT),
    actions: [
      ...decisions,
      ...(text.url
        ? [{ type: 'uri' as const, label: truncate(text.buttonLabel, MAX_LABEL), uri: text.url }]
        : []),
    ],
  };
}

/**
 * Sends a bot message to one member: `POST /bots/{botId}/users/{userId}/messages` → 201.
 * A 401 is `retry` with `learned.tokenRejected = 'true'`: the caller drops its cached token.
 * A success carries `learned.rateLimitRemaining` / `rateLimitReset` when the limiter sent them.
 * https://developers.worksmobile.com/jp/docs/rate-limits
 * https://developers.worksmobile.com/jp/docs/bot-user-message-send
 */
export const lineWorksAdapter: ProviderAdapter<LineWorksCredentials, LineWorksTarget> = {
  channel: 'LINE_WORKS',
  async send(request): Promise<SendResult> {
    const { accessToken, botId } = request.credentials;
    const url =
      `${request.base.replace(/\/+$/, '')}/bots/${encodeURIComponent(botId)}` +
      `/users/${encodeURIComponent(request.target.userId)}/messages`;
    await request.pace?.();
    const outcome = await fetchWithTimeout(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ content: lineWorksMessageContent(request.message) }),
      },
      request.timeoutMs,
    );
    if (!outcome.ok) {
      return { kind: 'retry', reason: describeNetworkFailure('LINE WORKS', outcome.failure) };
    }
    const { response } = outcome;
    if (response.ok) {
      // The limiter's own count, when it sends one: the caller slows down before a 429.
      const limit = readRateLimitHeaders(response.headers);
      if (limit.remaining === undefined || limit.resetSeconds === undefined)
        return { kind: 'sent' };
      return {
        kind: 'sent',
        learned: {
          rateLimitRemaining: String(limit.remaining),
          rateLimitReset: String(limit.resetSeconds),
        },
      };
    }
    const error = await classifyLineWorksError(response, [accessToken]);
    if (error.kind === 'failed') {
      return { kind: 'failed', reason: error.reason, scope: error.scope };
    }
    const result: SendResult = { kind: 'retry', reason: error.reason };
    if (error.afterSeconds !== undefined) result.afterSeconds = error.afterSeconds;
    if (error.tokenRejected) result.learned = { tokenRejected: 'true' };
    return result;
  },
};

/** `text` content limit. */
const MAX_TEXT = 2000;

export interface LineWorksTextRequest {
  base: string;
  accessToken: string;
  botId: string;
  /** The member's user id, login id or resource id. */
  userId: string;
  text: string;
  timeoutMs: number;
}

/**
 * A plain bot message to one member (a decision's feedback): `POST
 * /bots/{botId}/users/{userId}/messages` with `{"content":{"type":"text","text":…}}`.
 * https://developers.worksmobile.com/jp/docs/bot-user-message-send
 */
export async function sendLineWorksText(request: LineWorksTextRequest): Promise<SendResult> {
  const url =
    `${request.base.replace(/\/+$/, '')}/bots/${encodeURIComponent(request.botId)}` +
    `/users/${encodeURIComponent(request.userId)}/messages`;
  const outcome = await fetchWithTimeout(
    url,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${request.accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ content: { type: 'text', text: truncate(request.text, MAX_TEXT) } }),
    },
    request.timeoutMs,
  );
  if (!outcome.ok) {
    return { kind: 'retry', reason: describeNetworkFailure('LINE WORKS', outcome.failure) };
  }
  if (outcome.response.ok) return { kind: 'sent' };
  const error = await classifyLineWorksError(outcome.response, [request.accessToken]);
  if (error.kind === 'failed') return { kind: 'failed', reason: error.reason, scope: error.scope };
  return {
    kind: 'retry',
    reason: error.reason,
    ...(error.afterSeconds !== undefined ? { afterSeconds: error.afterSeconds } : {}),
    ...(error.tokenRejected ? { learned: { tokenRejected: 'true' } } : {}),
  };
}
