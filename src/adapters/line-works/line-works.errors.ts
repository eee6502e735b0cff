import { parseRetryAfter, type ReadResponse, readJson } from '../http.ts';
import type { LineWorksErrorBody, LineWorksRateLimit } from './line-works.types.ts';

/** Longest provider description kept in a reason (reasons are stored and shown to admins). */
const MAX_DETAIL = 300;

/** How one failed LINE WORKS API response is to be treated. */
export type LineWorksErrorClass =
  | {
      kind: 'retry';
      status: number;
      code: string;
      reason: string;
      afterSeconds?: number;
      tokenRejected?: true;
    }
  | {
      kind: 'failed';
      status: number;
      code: string;
      reason: string;
      scope: 'integration' | 'recipient' | 'message';
    };

/**
 * Reads the `rateLimit-limit`, `rateLimit-remaining` and `rateLimit-reset` (seconds) headers.
 * https://developers.worksmobile.com/jp/docs/rate-limits
 */
export function readRateLimitHeaders(headers: Headers): LineWorksRateLimit {
  const out: LineWorksRateLimit = {};
  const limit = readNumber(headers.get('ratelimit-limit'));
  const remaining = readNumber(headers.get('ratelimit-remaining'));
  let reset = readNumber(headers.get('ratelimit-reset'));
  // The docs give seconds until the window resets; a value that looks like an epoch
  // timestamp is converted so either reading works.
  if (reset !== undefined && reset > 1_000_000_000) {
    reset = Math.max(0, reset - Math.floor(Date.now() / 1000));
  }
  if (limit !== undefined) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  if (reset !== undefined) out.resetSeconds = Math.ceil(reset);
  return out;
}

/** Parses `{"code","description"}` (API) or `{"error","error_description"}` (OAuth) bodies. */
export async function readErrorBody(response: ReadResponse): Promise<LineWorksErrorBody> {
  const json = await readJson(response).catch(() => undefined);
  if (typeof json !== 'object' || json === null) return {};
  const body = json as Record<string, unknown>;
  const code = pickString(body.code) ?? pickString(body.error);
  const description = pickString(body.description) ?? pickString(body.error_description);
  const out: LineWorksErrorBody = {};
  if (code) out.code = code;
  if (description) out.description = description.slice(0, MAX_DETAIL);
  return out;
}

/**
 * Classifies a non-2xx LINE WORKS API 2.0 response.
 * https://developers.worksmobile.com/jp/docs/error-codes
 *
 * 404 is ambiguous: LINE WORKS answers `NOT_FOUND` for an unknown bot, member or calendar
 * event alike. The code assumes the description names the missing resource (as in "Bot not
 * found" / "The bot does not exist"): "bot" → the integration, "event" → this message (the
 * event was deleted in LINE WORKS), anything else → the member, whose id is what varies per call.
 */
export async function classifyLineWorksError(
  response: ReadResponse,
  secrets: string[],
): Promise<LineWorksErrorClass> {
  const { status } = response;
  const body = await readErrorBody(response);
  const code = body.code ?? httpCode(status);
  const detail = redact(body.description ? `${code}: ${body.description}` : code, secrets);
  if (status === 401) {
    return {
      kind: 'retry',
      status,
      code,
      reason: `UNAUTHORIZED: LINE WORKS rejected the access token (${detail})`,
      tokenRejected: true,
    };
  }
  if (status === 429) {
    const limit = readRateLimitHeaders(response.headers);
    const afterSeconds = limit.resetSeconds ?? parseRetryAfter(response.headers.get('retry-after'));
    return {
      kind: 'retry',
      status,
      code,
      reason: `LINE WORKS rate limit (${detail})`,
      ...(afterSeconds !== undefined ? { afterSeconds } : {}),
    };
  }
  if (status >= 500 || status === 408) {
    return { kind: 'retry', status, code, reason: `LINE WORKS ${status} (${detail})` };
  }
  if (status === 403) {
    return {
      kind: 'failed',
      status,
      code,
      scope: 'integration',
      reason: `LINE WORKS 403 (${detail}): the app lacks a scope or the bot lacks permission`,
    };
  }
  if (status === 404) {
    const what = `${body.code ?? ''} ${body.description ?? ''}`;
    if (/\bbot\b/i.test(what)) {
      return {
        kind: 'failed',
        status,
        code,
        scope: 'integration',
        reason: `LINE WORKS 404 (${detail}): the bot is unknown or not added to the domain`,
      };
    }
    if (/\bevent\b/i.test(what)) {
      return {
        kind: 'failed',
        status,
        code,
        scope: 'message',
        reason: `LINE WORKS 404 (${detail}): the calendar event no longer exists`,
      };
    }
    return {
      kind: 'failed',
      status,
      code,
      scope: 'recipient',
      reason: `LINE WORKS 404 (${detail}): the member is unknown to LINE WORKS`,
    };
  }
  return {
    kind: 'failed',
    status,
    code,
    scope: 'message',
    reason: `LINE WORKS ${status} (${detail})`,
  };
}

/** Removes every occurrence of the given secrets from a reason. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function readNumber(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function pickString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function httpCode(status: number): string {
  return status === 0 ? 'NO_RESPONSE' : `HTTP_${status}`;
}
