import { describeNetworkFailure, fetchWithTimeout, type ReadResponse, readJson } from '../http.ts';
import { truncate } from '../messages.ts';
import { classifyLineWorksError } from './line-works.errors.ts';
import type {
  LineWorksApiFailure,
  LineWorksBot,
  LineWorksBotResult,
  LineWorksOkResult,
} from './line-works.types.ts';

/** Bot management calls are rare and interactive: a generous default. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** `botName` limit of `POST /bots`. */
const MAX_BOT_NAME = 100;

interface BotApiRequest {
  /** LINE_WORKS_API_BASE, e.g. `https://www.worksapis.com/v1.0`. */
  apiBase: string;
  accessToken: string;
  timeoutMs?: number;
}

export interface RegisterBotRequest extends BotApiRequest {
  botName: string;
  description: string;
  /** The bot administrator's login id (email). */
  adminEmail: string;
  photoUrl?: string;
  /** Where button clicks go (v2): sets `enableCallback`, `callbackUrl`, `callbackEvents`. */
  callbackUrl?: string;
}

/** The message events a decision click arrives as (a `message` action sends text). */
export const BOT_CALLBACK_EVENTS = ['text'] as const;

/**
 * Registers the tenant's bot (`POST /bots`) and returns its `botId`. Call `addBotToDomain`
 * next; never run bot management calls in parallel for the same bot.
 * https://developers.worksmobile.com/en/docs/bot-create
 */
export async function registerBot(request: RegisterBotRequest): Promise<LineWorksBotResult> {
  const body: Record<string, unknown> = {
    botName: truncate(request.botName, MAX_BOT_NAME),
    description: request.description,
    administrators: [request.adminEmail],
  };
  if (request.photoUrl) body.photoUrl = request.photoUrl;
  if (request.callbackUrl) Object.assign(body, callbackFields(request.callbackUrl));
  const result = await call(request, 'POST', '/bots', body);
  if (!result.ok) return result;
  const bot = pickBot(await readJson(result.response));
  if (!bot) {
    // Not retried: the bot may exist already, and a second POST would register another one.
    return failure(
      result.response.status,
      'INVALID_RESPONSE',
      'POST /bots returned no botId',
      false,
    );
  }
  return { ok: true, ...bot };
}

export interface AddBotToDomainRequest extends BotApiRequest {
  botId: string;
  domainId: string;
}

/**
 * Makes the bot usable in the domain: `POST /bots/{botId}/domains/{domainId}`
 * `{"visible":true}`. https://developers.worksmobile.com/en/docs/bot-create
 */
export async function addBotToDomain(request: AddBotToDomainRequest): Promise<LineWorksOkResult> {
  const path = `/bots/${encodeURIComponent(request.botId)}/domains/${encodeURIComponent(request.domainId)}`;
  const result = await call(request, 'POST', path, { visible: true });
  return result.ok ? { ok: true } : result;
}

export interface GetBotRequest extends BotApiRequest {
  botId: string;
}

/**
 * Reads a bot (`GET /bots/{botId}`): used to verify the Bot ID an admin pasted.
 * https://developers.worksmobile.com/en/docs/bot-create
 */
export async function getBot(request: GetBotRequest): Promise<LineWorksBotResult> {
  const result = await call(request, 'GET', `/bots/${encodeURIComponent(request.botId)}`);
  if (!result.ok) return result;
  return { ok: true, ...(pickBot(await readJson(result.response)) ?? { botId: request.botId }) };
}

function callbackFields(callbackUrl: string) {
  return { enableCallback: true, callbackUrl, callbackEvents: [...BOT_CALLBACK_EVENTS] };
}

export interface UpdateBotCallbackRequest extends BotApiRequest {
  botId: string;
  callbackUrl: string;
}

/**
 * Points an existing bot's callback at Renkei: `PATCH /bots/{botId}` with `enableCallback`,
 * `callbackUrl` and `callbackEvents` (v2 facts › LINE WORKS).
 * https://developers.worksmobile.com/jp/docs/bot-callback
 */
export async function updateBotCallback(
  request: UpdateBotCallbackRequest,
): Promise<LineWorksOkResult> {
  const path = `/bots/${encodeURIComponent(request.botId)}`;
  const result = await call(request, 'PATCH', path, callbackFields(request.callbackUrl));
  return result.ok ? { ok: true } : result;
}

async function call(
  request: BotApiRequest,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<{ ok: true; response: ReadResponse } | LineWorksApiFailure> {
  const headers: Record<string, string> = { authorization: `Bearer ${request.accessToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}${path}`,
    { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) {
    const reason = describeNetworkFailure(`LINE WORKS ${method} ${path}`, outcome.failure);
    return failure(0, 'NO_RESPONSE', reason, true);
  }
  const { response } = outcome;
  if (response.ok) return { ok: true, response };
  const error = await classifyLineWorksError(response, [request.accessToken]);
  const out = failure(error.status, error.code, error.reason, error.kind === 'retry');
  if (error.kind === 'retry' && error.tokenRejected) out.tokenRejected = true;
  return out;
}

/** The documented bot fields of a `POST /bots` or `GET /bots/{botId}` answer. */
function pickBot(body: unknown): LineWorksBot | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if ((typeof b.botId !== 'string' && typeof b.botId !== 'number') || `${b.botId}` === '') {
    return undefined;
  }
  const bot: LineWorksBot = { botId: `${b.botId}` };
  if (typeof b.botName === 'string') bot.botName = b.botName;
  if (typeof b.description === 'string') bot.description = b.description;
  if (typeof b.photoUrl === 'string') bot.photoUrl = b.photoUrl;
  if (Array.isArray(b.administrators)) {
    bot.administrators = b.administrators.filter((a): a is string => typeof a === 'string');
  }
  return bot;
}

function failure(
  status: number,
  code: string,
  reason: string,
  retryable: boolean,
): LineWorksApiFailure {
  return { ok: false, status, code, reason, retryable };
}
