import { fetchWithTimeout, readJson } from '../http.ts';
import { lineFailure, noResponse } from './line.errors.ts';
import type { LineFailure, LineQuotaResult } from './line.types.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface LineQuotaRequest {
  /** LINE_API_BASE, e.g. `https://api.line.me`. */
  apiBase: string;
  channelAccessToken: string;
  timeoutMs?: number;
}

/**
 * This month's message quota of the channel and how much of it is used: `GET
 * /v2/bot/message/quota` (`{"type":"limited","value":N}` or `{"type":"none"}`) and `GET
 * /v2/bot/message/quota/consumption` (`{"totalUsage":N}`), both at once. A body of any other
 * shape is a retryable failure, never a number made up.
 * https://developers.line.biz/en/reference/messaging-api/#get-quota ,
 * https://developers.line.biz/en/reference/messaging-api/#get-consumption
 */
export async function lineQuota(request: LineQuotaRequest): Promise<LineQuotaResult> {
  const [quota, consumption] = await Promise.all([
    getJson(request, '/v2/bot/message/quota', 'LINE quota'),
    getJson(request, '/v2/bot/message/quota/consumption', 'LINE quota consumption'),
  ]);
  if (!quota.ok) return quota;
  if (!consumption.ok) return consumption;
  const q = quota.body;
  let limit: number | null;
  if (q.type === 'none') limit = null;
  else if (q.type === 'limited' && isCount(q.value)) limit = q.value;
  else return badResponse('LINE quota', quota.status);
  const used = consumption.body.totalUsage;
  if (!isCount(used)) return badResponse('LINE quota consumption', consumption.status);
  return { ok: true, limit, used };
}

async function getJson(
  request: LineQuotaRequest,
  path: string,
  what: string,
): Promise<{ ok: true; status: number; body: Record<string, unknown> } | LineFailure> {
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}${path}`,
    { headers: { authorization: `Bearer ${request.channelAccessToken}` } },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (!response.ok) return lineFailure(response, what);
  const body = await readJson(response);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return badResponse(what, response.status);
  }
  return { ok: true, status: response.status, body: body as Record<string, unknown> };
}

function badResponse(what: string, status: number): LineFailure {
  return { ok: false, status, retryable: true, reason: `${what}: unexpected response` };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
