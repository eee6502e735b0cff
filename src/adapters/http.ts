/**
 * Outbound HTTP shared by the provider adapters: one deadline per request (headers and body),
 * network failures classified instead of thrown, and `Retry-After` parsing. Nothing here knows
 * a provider; adapters turn a failure into `{ kind: 'retry' }`.
 */

/** Why a request got no usable response. Both kinds are transient for every provider. */
export type NetworkFailureKind = 'timeout' | 'connection';

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** Short English text, free of URLs (a webhook URL carries a secret). */
  detail: string;
}

/**
 * A response whose body was read within the deadline: the parts adapters look at. (Not a
 * `Response`: buffering into a second Response would copy every body once more; a `Response`
 * fits this shape, so tests may pass one.)
 */
export interface ReadResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: Headers;
  /** The body, decoded as UTF-8 ('' when there is none). */
  text(): Promise<string>;
}

export type FetchOutcome =
  | { ok: true; response: ReadResponse }
  | { ok: false; failure: NetworkFailure };

/**
 * `fetch` with a deadline that covers the response body too: the body is read into memory
 * before returning, so callers can parse it without hanging. A timeout, reset or refused
 * connection comes back as `{ ok: false, failure }`; HTTP error statuses are responses.
 * Redirects are never followed (`redirect: 'manual'`): no provider API redirects, and a
 * member-supplied URL (a Google Chat webhook) must not send Renkei, with the message and its
 * token, anywhere else. A 3xx comes back as a response for the adapter to classify.
 * https://developer.mozilla.org/docs/Web/API/AbortSignal/timeout_static
 */
export async function fetchWithTimeout(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<FetchOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, redirect: 'manual', signal });
    const body = nullBodyStatus(response.status) ? '' : await response.text();
    return {
      ok: true,
      response: {
        status: response.status,
        ok: response.ok,
        statusText: response.statusText,
        headers: response.headers,
        text: () => Promise.resolve(body),
      },
    };
  } catch (error) {
    if (signal.aborted) {
      return {
        ok: false,
        failure: { kind: 'timeout', detail: `no response within ${timeoutMs} ms` },
      };
    }
    return { ok: false, failure: { kind: 'connection', detail: connectionDetail(error) } };
  }
}

function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

function connectionDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Runtime messages may quote the URL; a Google Chat webhook URL carries its token.
  const clean = message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').trim();
  return clean ? `connection failed (${clean.slice(0, 200)})` : 'connection failed';
}

/** Human text for a network failure, e.g. `Slack: request timed out (no response within 5000 ms)`. */
export function describeNetworkFailure(provider: string, failure: NetworkFailure): string {
  return failure.kind === 'timeout'
    ? `${provider}: request timed out (${failure.detail})`
    : `${provider}: ${failure.detail}`;
}

/**
 * Seconds to wait from a `Retry-After` header: either delay-seconds or an HTTP date.
 * Returns `undefined` when absent or unparseable, and never a negative number.
 * https://www.rfc-editor.org/rfc/rfc9110#name-retry-after
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  if (/^\d+\.\d+$/.test(trimmed)) return Math.ceil(Number.parseFloat(trimmed));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** 429 and 5xx: statuses every provider asks us to retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Parses a buffered response body as JSON; `undefined` when it is empty or not JSON. */
export async function readJson(response: Pick<ReadResponse, 'text'>): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** UTF-8 byte length of a string, e.g. to keep a body under a provider limit. */
export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}
