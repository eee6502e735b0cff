import { catalog } from '../../i18n/catalogs.ts';
import { describeNetworkFailure, fetchWithTimeout, readJson } from '../http.ts';
import { renderText, truncate } from '../messages.ts';
import type { Notification, ProviderAdapter, SendResult } from '../types.ts';
import { classifyLinePushError } from './line.errors.ts';
import type { LineCredentials, LineFlexMessage, LineTarget } from './line.types.ts';

/** Flex `altText` limit. */
const MAX_ALT_TEXT = 400;
/** Flex button label limit. */
const MAX_LABEL = 40;
/** Keeps one text component well inside the bubble's 30 KB. */
const MAX_LINE = 2000;
/** Postback action limits (v2 facts › LINE): label ≤ 20, data ≤ 300. */
const MAX_POSTBACK_LABEL = 20;
const MAX_POSTBACK_DATA = 300;
const DECISION_STYLE = { APPROVE: 'primary', REJECT: 'secondary', RETURN: 'secondary' } as const;

/**
 * The `X-Line-Retry-Key` of a delivery: a name-based UUID (SHA-256 of the delivery id, laid
 * out with version 5 and RFC 4122 variant bits), so every attempt of one delivery, in whatever
 * isolate, sends the same key. https://developers.line.biz/en/docs/messaging-api/retrying-api-request
 */
export async function lineRetryKey(deliveryId: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(deliveryId)),
  );
  const b = digest.slice(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The notification as one flex message in the recipient's locale: a bubble with the heading,
 * the summary, the actor and comment lines and a button to the document (left out when the
 * notification has no http(s) link); `altText` is the plain fallback shown in notifications.
 * https://developers.line.biz/en/reference/messaging-api/#flex-message
 */
export function lineFlexMessage(message: Notification): LineFlexMessage {
  const text = renderText(message, { maxCommentLength: MAX_LINE });
  const paragraphs = [text.summary, ...text.lines].filter((line) => line.trim() !== '');
  const bubble: Record<string, unknown> = {
    type: 'bubble',
    body: {
      type: 'box',
      layout: 'vertical',
      spacing: 'md',
      contents: [
        { type: 'text', text: text.heading, weight: 'bold', wrap: true },
        ...paragraphs.map((line) => ({
          type: 'text',
          text: truncate(line, MAX_LINE),
          size: 'sm',
          color: '#555555',
          wrap: true,
        })),
      ],
    },
  };
  const decisions = (message.decisions ?? []).filter((d) => d.value.length <= MAX_POSTBACK_DATA);
  const copy = catalog(message.locale).decision;
  const buttons: Record<string, unknown>[] = decisions.map((d) => ({
    type: 'button',
    style: DECISION_STYLE[d.action],
    action: {
      type: 'postback',
      label: truncate(copy.labels[d.action], MAX_POSTBACK_LABEL),
      data: d.value,
      displayText: copy.displayText[d.action],
    },
  }));
  if (text.url) {
    buttons.push({
      type: 'button',
      // With decision buttons, 承認 is the primary one.
      style: decisions.length > 0 ? 'link' : 'primary',
      action: { type: 'uri', label: truncate(text.buttonLabel, MAX_LABEL), uri: text.url },
    });
  }
  if (buttons.length > 0) {
    bubble.footer = {
      type: 'box',
      layout: 'vertical',
      ...(buttons.length > 1 ? { spacing: 'sm' } : {}),
      contents: buttons,
    };
  }
  return { type: 'flex', altText: truncate(text.fallback, MAX_ALT_TEXT), contents: bubble };
}

/**
 * Pushes the notification to one LINE user: `POST /v2/bot/message/push` with a retry key
 * derived from the delivery id; 200 and 409 (already accepted under that key) are `sent`.
 * https://developers.line.biz/en/reference/messaging-api/#send-push-message
 */
export const lineAdapter: ProviderAdapter<LineCredentials, LineTarget> = {
  channel: 'LINE',
  async send(request): Promise<SendResult> {
    await request.pace?.();
    const outcome = await fetchWithTimeout(
      `${request.base.replace(/\/+$/, '')}/v2/bot/message/push`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${request.credentials.channelAccessToken}`,
          'content-type': 'application/json',
          'x-line-retry-key': await lineRetryKey(request.deliveryId),
        },
        body: JSON.stringify({
          to: request.target.lineUserId,
          messages: [lineFlexMessage(request.message)],
        }),
      },
      request.timeoutMs,
    );
    if (!outcome.ok) {
      return { kind: 'retry', reason: describeNetworkFailure('LINE push', outcome.failure) };
    }
    const { response } = outcome;
    if (response.status === 409) {
      // Accepted earlier under the same retry key: the message went out once.
      const id = response.headers.get('x-line-accepted-request-id');
      return id ? { kind: 'sent', providerMessageId: id } : { kind: 'sent' };
    }
    if (response.ok) {
      const body = (await readJson(response)) as { sentMessages?: { id?: unknown }[] } | undefined;
      const sentId = body?.sentMessages?.[0]?.id;
      const id =
        typeof sentId === 'string' && sentId !== ''
          ? sentId
          : response.headers.get('x-line-request-id');
      return id ? { kind: 'sent', providerMessageId: id } : { kind: 'sent' };
    }
    return classifyLinePushError(response);
  },
};
