/**
 * A notification as a Google Chat webhook message: Chat-syntax `text` plus a cardsV2 card,
 * threaded per document, kept under the 32,000-byte message limit by cutting the comment.
 * https://developers.google.com/workspace/chat/format-messages
 * https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
 */
import { utf8ByteLength } from '../http.ts';
import { type RenderedText, renderText } from '../messages.ts';
import type { Notification } from '../types.ts';
import type { GoogleChatMessageBody, GoogleChatWidget } from './google-chat.types.ts';

/** Google Chat's limit for one message; we measure the whole JSON body against it. */
export const GOOGLE_CHAT_MAX_BYTES = 32_000;
export const GOOGLE_CHAT_CARD_ID = 'renkei-notification';

/**
 * Thread key for a document: `doc-` + the id, every character outside `[A-Za-z0-9-]`
 * written as `_<hex code point>_` so distinct ids never share a thread.
 */
export function googleChatThreadKey(documentId: string): string {
  let key = 'doc-';
  for (const ch of documentId) {
    key += /^[A-Za-z0-9-]$/.test(ch) ? ch : `_${(ch.codePointAt(0) ?? 0).toString(16)}_`;
  }
  return key;
}

/**
 * Renders the webhook body and its JSON. When the body would pass 32,000 bytes, the comment
 * (the only unbounded part) is cut until it fits.
 */
export function renderGoogleChatMessage(
  n: Notification,
  documentId: string,
): { body: GoogleChatMessageBody; json: string } {
  const threadKey = googleChatThreadKey(documentId);
  let maxCommentLength: number | undefined;
  for (;;) {
    const body = buildBody(
      renderText(n, maxCommentLength === undefined ? {} : { maxCommentLength }),
      threadKey,
    );
    const json = JSON.stringify(body);
    const bytes = utf8ByteLength(json);
    const current = maxCommentLength ?? (n.comment ?? '').length;
    if (bytes <= GOOGLE_CHAT_MAX_BYTES || current === 0) return { body, json };
    // The comment appears twice (text and card) and may grow when escaped: shrink in
    // proportion, with a margin, and always by at least one character.
    const next = Math.floor((current * GOOGLE_CHAT_MAX_BYTES) / bytes) - 64;
    maxCommentLength = Math.max(0, Math.min(current - 1, next));
  }
}

function buildBody(r: RenderedText, threadKey: string): GoogleChatMessageBody {
  const widgets: GoogleChatWidget[] = [{ textParagraph: { text: cardHtml(r.summary) } }];
  for (const field of r.fields) {
    widgets.push({
      textParagraph: {
        text:
          field.kind === 'comment'
            ? `<b>${cardHtml(field.label)}</b><br>${cardHtml(field.value)}`
            : `<b>${cardHtml(field.label)}</b>: ${cardHtml(field.value)}`,
      },
    });
  }
  if (r.more) widgets.push({ textParagraph: { text: cardHtml(r.more) } });
  if (r.url) {
    widgets.push({
      buttonList: { buttons: [{ text: r.buttonLabel, onClick: { openLink: { url: r.url } } }] },
    });
  }

  const text = [
    `*${chatText(r.heading)}*`,
    chatText(r.summary),
    ...r.fields.map((f) => `${chatText(f.label)}: ${chatText(f.value)}`),
    ...(r.more ? [chatText(r.more)] : []),
    ...(r.url ? [`<${chatLinkUrl(r.url)}|${chatText(r.buttonLabel)}>`] : []),
  ].join('\n');

  return {
    text,
    cardsV2: [
      {
        cardId: GOOGLE_CHAT_CARD_ID,
        card: { header: { title: r.heading, subtitle: r.source }, sections: [{ widgets }] },
      },
    ],
    thread: { threadKey },
  };
}

/** Card text is an HTML subset: escape it, keep line breaks. */
function cardHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '<br>');
}

/**
 * Chat text syntax has no escape for `<`: user text could mention `<users/all>` or forge a
 * `<url|label>` link, so angle brackets become their full-width look-alikes.
 */
function chatText(text: string): string {
  return text.replace(/</g, '＜').replace(/>/g, '＞');
}

/** A URL inside `<url|label>`: `|` and `>` would end it early. */
function chatLinkUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
}
