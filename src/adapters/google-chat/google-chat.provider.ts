/**
 * Google Chat: validation of a member's incoming-webhook URL, and delivery to it with the
 * answer classified as sent / retry / failed.
 * https://developers.google.com/workspace/chat/quickstart/webhooks
 */
import {
  describeNetworkFailure,
  fetchWithTimeout,
  isRetryableStatus,
  parseRetryAfter,
  readJson,
} from '../http.ts';
import type { ProviderAdapter, SendRequest, SendResult } from '../types.ts';
import { renderGoogleChatMessage } from './google-chat.message.ts';
import type {
  GoogleApiErrorResponse,
  GoogleChatCredentials,
  GoogleChatMessageResponse,
  GoogleChatTarget,
  GoogleChatWebhookParse,
} from './google-chat.types.ts';

const SPACE_PATH = /^\/v1\/spaces\/([A-Za-z0-9_-]+)\/messages$/;
/** Query parameters we set ourselves; a pasted URL that carries them has them replaced. */
const OWN_PARAMS = new Set(['messageReplyOption', 'threadKey']);
const REPLY_OPTION = 'messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD';
/**
 * A 400 whose message matches this blames the webhook (bad key, token or space), not the
 * payload. Google's wording is not documented; anything else on 400 counts as a message bug.
 */
const WEBHOOK_PROBLEM =
  /api[ _]key|webhook|credential|invalid (?:auth(?:entication)? )?token|token (?:is |was )?(?:invalid|expired|revoked)|space (?:not found|does not exist|was deleted)|invalid space|unknown space/i;

/**
 * Checks a member's webhook URL: exactly `{origin}/v1/spaces/{space}/messages` with non-empty
 * `key` and `token` query parameters (Google's incoming-webhook URL). Reasons are safe to
 * show: they never repeat the URL.
 * https://developers.google.com/workspace/chat/quickstart/webhooks
 */
export function parseGoogleChatWebhook(url: string, origin: string): GoogleChatWebhookParse {
  let expected: string;
  try {
    expected = new URL(origin).origin;
  } catch {
    return { ok: false, reason: 'Google Chat webhooks are not configured on this service' };
  }
  const prefix = `${expected}/v1/spaces/`;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return { ok: false, reason: 'The Google Chat webhook URL is not a valid URL' };
  }
  if (parsed.origin !== expected || parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: `The Google Chat webhook URL must start with ${prefix}` };
  }
  const space = SPACE_PATH.exec(parsed.pathname)?.[1];
  if (!space) {
    return {
      ok: false,
      reason: `The Google Chat webhook URL must look like ${prefix}{space}/messages?key=…&token=…`,
    };
  }
  if (!parsed.searchParams.get('key') || !parsed.searchParams.get('token')) {
    return {
      ok: false,
      reason:
        'The Google Chat webhook URL lacks its key or token; copy the whole URL from Google Chat',
    };
  }
  return { ok: true, space };
}

/**
 * Posts a notification to the member's webhook as text plus a card, in the document's thread
 * (`thread.threadKey` with `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`).
 * `base` is GOOGLE_CHAT_WEBHOOK_ORIGIN; a URL outside `{base}/v1/spaces/` is refused without
 * a request (SSRF guard). 401/403/404 and a 400 that blames the webhook fail the recipient;
 * other 4xx fail the message; 408, 429, 5xx and network failures are retried (Google sends
 * no Retry-After: `afterSeconds` is set only if one is present).
 * https://developers.google.com/workspace/chat/create-messages#name_a_created_message
 */
export const googleChatAdapter: ProviderAdapter<GoogleChatCredentials, GoogleChatTarget> = {
  channel: 'GOOGLE_CHAT',
  send: sendGoogleChat,
};

async function sendGoogleChat(
  req: SendRequest<GoogleChatCredentials, GoogleChatTarget>,
): Promise<SendResult> {
  const { webhookUrl } = req.credentials;
  const webhook = parseGoogleChatWebhook(webhookUrl, req.base);
  if (!webhook.ok) {
    return {
      kind: 'failed',
      scope: 'recipient',
      reason: `Google Chat: refused the webhook URL (${webhook.reason})`,
    };
  }
  // Rebuilt from the configured origin and the validated space: of the member's string only
  // the query (key, token) reaches fetch, so the request cannot leave `{base}/v1/spaces/`.
  const url = outboundUrl(
    `${new URL(req.base).origin}/v1/spaces/${webhook.space}/messages`,
    webhookUrl,
  );

  const { json } = renderGoogleChatMessage(req.message, req.target.documentId);
  await req.pace?.();
  const outcome = await fetchWithTimeout(
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: json,
    },
    req.timeoutMs,
  );
  if (!outcome.ok) {
    return { kind: 'retry', reason: describeNetworkFailure('Google Chat', outcome.failure) };
  }

  const { response } = outcome;
  const data = await readJson(response);
  if (response.ok) {
    const name = (data as GoogleChatMessageResponse | undefined)?.name;
    return typeof name === 'string' && name !== ''
      ? { kind: 'sent', providerMessageId: name }
      : { kind: 'sent' };
  }
  return classifyGoogleChatError(
    response.status,
    googleMessage(data, webhookUrl),
    response.headers,
    webhook.space,
  );
}

/**
 * Maps a non-2xx webhook answer to retry / failed (PROVIDERS.md: 400/403/404 permanent,
 * 429 and 5xx retryable). `message` must already be free of secrets.
 */
export function classifyGoogleChatError(
  status: number,
  message: string,
  headers: Headers,
  space: string,
): Exclude<SendResult, { kind: 'sent' }> {
  const said = message ? `: ${message}` : '';
  if (isRetryableStatus(status) || status === 408) {
    const afterSeconds = parseRetryAfter(headers.get('Retry-After'));
    return {
      kind: 'retry',
      reason:
        status === 429
          ? `Google Chat: rate limited (HTTP 429) in space ${space}`
          : `Google Chat: HTTP ${status} (Google Chat is having problems${said})`,
      ...(afterSeconds === undefined ? {} : { afterSeconds }),
    };
  }
  if (status >= 300 && status < 400) {
    return recipient(
      `HTTP ${status} (the webhook answered with a redirect, which is not followed; the member must enter the webhook URL Google Chat shows)`,
    );
  }
  switch (status) {
    case 404:
      return recipient(
        `HTTP 404 (space ${space} or its webhook no longer exists; the member must enter a new webhook URL)`,
      );
    case 401:
      return recipient(
        `HTTP 401 (the webhook token was rejected; the member must enter a new webhook URL${said})`,
      );
    case 403:
      return recipient(
        `HTTP 403 (the webhook may not post to space ${space}; it may be disabled or the space restricted${said})`,
      );
    case 400:
      return WEBHOOK_PROBLEM.test(message)
        ? recipient(`HTTP 400 (the webhook URL is invalid${said})`)
        : {
            kind: 'failed',
            scope: 'message',
            reason: `Google Chat: HTTP 400 (the message was rejected${said})`,
          };
    default:
      return {
        kind: 'failed',
        scope: 'message',
        reason: `Google Chat: HTTP ${status} (the message was rejected${said})`,
      };
  }
}

function recipient(detail: string): Exclude<SendResult, { kind: 'sent' }> {
  return { kind: 'failed', scope: 'recipient', reason: `Google Chat: ${detail}` };
}

/**
 * `target` plus the query of the member's URL with our reply option added. `key` and `token`
 * are kept byte for byte (no re-encoding through URLSearchParams); any `threadKey` /
 * `messageReplyOption` the member's URL carried is dropped so ours apply.
 */
function outboundUrl(target: string, webhookUrl: string): string {
  const kept = rawQuery(webhookUrl)
    .split('&')
    .filter((pair) => pair !== '' && !OWN_PARAMS.has(decodeName(pair)));
  return `${target}?${[...kept, REPLY_OPTION].join('&')}`;
}

function rawQuery(webhookUrl: string): string {
  const noFragment = webhookUrl.trim().split('#', 1)[0] ?? '';
  const q = noFragment.indexOf('?');
  return q === -1 ? '' : noFragment.slice(q + 1);
}

function decodeName(pair: string): string {
  const name = pair.split('=', 1)[0] ?? '';
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** Google's error message, cut short, with the webhook's key and token and any URL removed. */
function googleMessage(data: unknown, webhookUrl: string): string {
  const raw = (data as GoogleApiErrorResponse | undefined)?.error?.message;
  if (typeof raw !== 'string') return '';
  let text = raw.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
  for (const secret of secretsOf(webhookUrl)) text = text.split(secret).join('<redacted>');
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The webhook's key and token, as written in the URL and decoded. */
function secretsOf(webhookUrl: string): string[] {
  const secrets: string[] = [];
  for (const pair of rawQuery(webhookUrl).split('&')) {
    const name = decodeName(pair);
    if (name !== 'key' && name !== 'token') continue;
    const raw = pair.slice(pair.indexOf('=') + 1);
    if (pair.includes('=') && raw !== '') secrets.push(raw);
    try {
      const decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
      if (decoded !== '' && decoded !== raw) secrets.push(decoded);
    } catch {
      // A malformed escape: the raw form is all Google could echo.
    }
  }
  return secrets.sort((a, b) => b.length - a.length);
}
