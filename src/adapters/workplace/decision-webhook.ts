/**
 * WORKPLACE's decision webhook, signed per Standard Webhooks: `webhook-id`, `webhook-timestamp`
 * (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>`,
 * where the key is the base64 part of a `whsec_…` secret. The adapter signs, sends and
 * classifies; the caller decides what the answer means for the decision.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import {
  describeNetworkFailure,
  fetchWithTimeout,
  parseRetryAfter,
  type ReadResponse,
  readJson,
} from '../http.ts';

/** The JSON WORKPLACE receives for one decision (DECISIONS.md, "Forwarding"). */
export interface DecisionWebhookPayload {
  type: 'workflow.decision';
  timestamp: string;
  data: {
    tenant: string;
    decisionId: string;
    eventId: string;
    idempotencyKey: string;
    documentId: string;
    userId: string;
    action: string;
    comment: string | null;
    channel: string;
    decidedAt: string;
  };
}

/**
 * - `accepted`: WORKPLACE answered 2xx.
 * - `refused`: 4xx other than 408/429, with WORKPLACE's `message` (or the status).
 * - `retry`: 408, 429, 5xx, a redirect, a timeout or a reset; `afterSeconds` from Retry-After.
 */
export type DecisionWebhookResult =
  | { kind: 'accepted'; status: number }
  | { kind: 'refused'; status: number; reason: string }
  | { kind: 'retry'; reason: string; afterSeconds?: number };

/** The longest reason kept from WORKPLACE's answer. */
export const MAX_REASON_LENGTH = 500;

const SECRET_PREFIX = 'whsec_';

/** The signing key bytes of a `whsec_<base64>` secret; null when it is not one. */
export function webhookKeyBytes(secret: string): Uint8Array<ArrayBuffer> | null {
  const trimmed = secret.trim();
  if (!trimmed.startsWith(SECRET_PREFIX)) return null;
  const b64 = trimmed.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  if (bin.length < 16) return null;
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string, bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
}

/** `v1,<base64 signature>` of `{id}.{timestamp}.{body}` under the secret's key. */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const bytes = webhookKeyBytes(secret);
  if (!bytes) throw new Error('WORKPLACE_WEBHOOK_SECRET is not a whsec_<base64> secret');
  const key = await hmacKey(secret, bytes);
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)),
  );
  let bin = '';
  for (const b of mac) bin += String.fromCharCode(b);
  return `v1,${btoa(bin)}`;
}

/** Printable text of at most MAX_REASON_LENGTH characters (WORKPLACE's words go to the ledger). */
function boundedText(text: string): string {
  const clean = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH - 1)}…` : clean;
}

async function refusalReason(response: ReadResponse): Promise<string> {
  const body = await readJson(response);
  const message =
    body && typeof body === 'object' ? (body as Record<string, unknown>).message : undefined;
  if (typeof message === 'string' && boundedText(message)) return boundedText(message);
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return `WORKPLACE refused the decision (${boundedText(status)})`;
}

/**
 * POSTs one decision to WORKPLACE, signed afresh at `now` with the same `id` on every attempt
 * (WORKPLACE dedupes on it). Redirects are not followed: a 3xx is an error to retry.
 */
export async function sendDecisionWebhook(options: {
  url: string;
  secret: string;
  id: string;
  payload: DecisionWebhookPayload;
  timeoutMs: number;
  now?: number;
}): Promise<DecisionWebhookResult> {
  const body = JSON.stringify(options.payload);
  const timestamp = Math.floor((options.now ?? Date.now()) / 1000);
  const signature = await signWebhook(options.secret, options.id, timestamp, body);
  const outcome = await fetchWithTimeout(
    options.url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': options.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body,
    },
    options.timeoutMs,
  );
  if (!outcome.ok) {
    return { kind: 'retry', reason: describeNetworkFailure('WORKPLACE', outcome.failure) };
  }
  const { response } = outcome;
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'accepted', status };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return { kind: 'refused', status, reason: await refusalReason(response) };
  }
  const afterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const what =
    status >= 300 && status < 400
      ? `WORKPLACE answered a redirect (HTTP ${status}); redirects are not followed`
      : `WORKPLACE: HTTP ${status}`;
  return afterSeconds === undefined
    ? { kind: 'retry', reason: what }
    : { kind: 'retry', reason: `${what}, retry after ${afterSeconds} s`, afterSeconds };
}
