import type { NetworkFailure, ReadResponse } from '../http.ts';
import { describeNetworkFailure, isRetryableStatus, parseRetryAfter, readJson } from '../http.ts';
import type { SendResult } from '../types.ts';
import type { LineErrorBody, LineFailure } from './line.types.ts';

/** Longest provider message kept in a reason. */
const MAX_DETAIL = 300;
/** The body message LINE uses for the monthly quota (not retryable until it resets). */
const MONTHLY_LIMIT = 'You have reached your monthly limit.';

/** Parses the Messaging API `{message, details}` or OAuth `{error, error_description}` body. */
export async function readLineError(response: ReadResponse): Promise<LineErrorBody> {
  const parsed = await readJson(response).catch(() => undefined);
  if (typeof parsed !== 'object' || parsed === null) return {};
  const json = parsed as Record<string, unknown>;
  const out: LineErrorBody = {};
  const message = pick(json.message) ?? joinOAuth(json.error, json.error_description);
  if (message) out.message = message.slice(0, MAX_DETAIL);
  if (Array.isArray(json.details)) {
    out.details = json.details
      .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
      .map((d) => {
        const detail: { message?: string; property?: string } = {};
        const m = pick(d.message);
        const p = pick(d.property);
        if (m) detail.message = m.slice(0, MAX_DETAIL);
        if (p) detail.property = p;
        return detail;
      });
  }
  return out;
}

/** One line of text for a LINE error: status, message and the first few details. */
export function describeLineError(status: number, body: LineErrorBody): string {
  const details = (body.details ?? [])
    .slice(0, 3)
    .map((d) => [d.property, d.message].filter(Boolean).join(': '))
    .filter(Boolean);
  const parts = [body.message, ...details].filter(Boolean).join('; ');
  return `LINE ${status}${parts ? ` (${parts})` : ''}`;
}

/**
 * Classifies a failed push. https://developers.line.biz/en/docs/messaging-api/retrying-api-request
 * - 429 is the monthly quota when the body says so (scope `quota`: nothing goes out until the
 *   quota resets, but the integration is not broken), otherwise the rate limit (retry, after
 *   `Retry-After` when given);
 * - 401 and 403: the channel token or the channel's permissions;
 * - 400 naming the `to` property (`"The property, 'to', in the request body is invalid"` or a
 *   detail on `to`): the recipient; any other 400: the message.
 * `tokenRejected` rides along on 401 so a caller holding a stateless token can drop it.
 */
export async function classifyLinePushError(response: ReadResponse): Promise<SendResult> {
  const { status } = response;
  const body = await readLineError(response);
  const text = describeLineError(status, body);
  if (status === 429) {
    if (body.message?.trim() === MONTHLY_LIMIT) {
      return {
        kind: 'failed',
        scope: 'quota',
        reason: 'LINE monthly message quota reached; resumes when the quota resets',
      };
    }
    const after = parseRetryAfter(response.headers.get('retry-after'));
    return {
      kind: 'retry',
      reason: `${text}: rate limited`,
      ...(after !== undefined ? { afterSeconds: after } : {}),
    };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', reason: text };
  if (status === 401) {
    return {
      kind: 'failed',
      scope: 'integration',
      reason: `${text}: the channel access token is invalid or expired`,
      learned: { tokenRejected: 'true' },
    };
  }
  if (status === 403) {
    return {
      kind: 'failed',
      scope: 'integration',
      reason: `${text}: the channel is not allowed to use this API`,
    };
  }
  if (status === 400 && namesRecipient(body)) {
    return { kind: 'failed', scope: 'recipient', reason: text };
  }
  return { kind: 'failed', scope: 'message', reason: text };
}

/** A failed non-push LINE call as a typed result. */
export async function lineFailure(response: ReadResponse, what: string): Promise<LineFailure> {
  const body = await readLineError(response);
  const quota = response.status === 429 && body.message?.trim() === MONTHLY_LIMIT;
  return {
    ok: false,
    status: response.status,
    retryable: !quota && isRetryableStatus(response.status),
    reason: quota
      ? `${what}: LINE monthly message quota reached; resumes when the quota resets`
      : `${what}: ${describeLineError(response.status, body)}`,
  };
}

/** A LINE call that produced no response at all (timeout, reset): retryable. */
export function noResponse(what: string, failure: NetworkFailure): LineFailure {
  return { ok: false, status: 0, retryable: true, reason: describeNetworkFailure(what, failure) };
}

function namesRecipient(body: LineErrorBody): boolean {
  if (body.details?.some((d) => d.property === 'to')) return true;
  return /\bproperty,? '?to'?,? in the request body\b/i.test(body.message ?? '');
}

function pick(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function joinOAuth(error: unknown, description: unknown): string | undefined {
  const parts = [pick(error), pick(description)].filter(Boolean);
  return parts.length ? parts.join(': ') : undefined;
}
