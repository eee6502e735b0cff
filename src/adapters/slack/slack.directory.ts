/**
 * Slack's member directory, for finding members by email (PROVIDERS.md, v2 facts › Slack,
 * "Finding members"): `users.lookupByEmail` (Tier 3) for one address, `users.list` (Tier 2)
 * for the whole workspace page by page. Every answer is classified: an account, none, a
 * missing scope (told apart from "not found"), a rate limit with its Retry-After, or a failure.
 * https://docs.slack.dev/reference/methods/users.lookupByEmail
 * https://docs.slack.dev/reference/methods/users.list
 */
import { describeNetworkFailure, fetchWithTimeout, parseRetryAfter, readJson } from '../http.ts';
import { classifySlackError } from './slack.provider.ts';
import type { SlackResponse } from './slack.types.ts';

/** A Slack account as users.lookupByEmail and users.list describe it (the parts Renkei reads). */
export interface SlackMember {
  id?: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  profile?: { email?: string; display_name?: string; real_name?: string };
}

/** What a directory call can answer besides its data. */
export type SlackDirectoryFailure =
  /** Past the method's tier: hold the method for `afterSeconds`. */
  | { kind: 'rate_limited'; reason: string; afterSeconds?: number }
  /** Worth another try later (5xx, network, Slack's transient codes). */
  | { kind: 'retry'; reason: string }
  /** The token lacks a scope: `scope` is what to add (e.g. `users:read.email`). */
  | { kind: 'missing_scope'; reason: string; scope: string }
  /** Anything else an admin must fix (revoked token, …). */
  | { kind: 'failed'; reason: string };

export type SlackLookupResult =
  | { ok: true; member: SlackMember | null }
  | ({ ok: false } & SlackDirectoryFailure);

export type SlackListResult =
  | { ok: true; members: SlackMember[]; nextCursor: string | null }
  | ({ ok: false } & SlackDirectoryFailure);

interface DirectoryCall {
  base: string;
  botToken: string;
  timeoutMs: number;
}

/** users.lookupByEmail: the account with this email, or null (`users_not_found`). */
export async function slackLookupByEmail(
  call: DirectoryCall & { email: string },
): Promise<SlackLookupResult> {
  const r = await callDirectory<SlackResponse & { user?: SlackMember }>(
    call,
    'users.lookupByEmail',
    { email: call.email },
  );
  if (!r.ok) {
    // Deactivated members answer users_not_found too; older docs spell it user_not_found.
    if (r.code === 'users_not_found' || r.code === 'user_not_found') {
      return { ok: true, member: null };
    }
    return r.failure;
  }
  return { ok: true, member: r.data.user ?? null };
}

/** users.list: one page of up to `limit` accounts (deleted, bots and guests included). */
export async function slackListUsers(
  call: DirectoryCall & { cursor: string | null; limit: number },
): Promise<SlackListResult> {
  const args: Record<string, string> = { limit: String(call.limit) };
  if (call.cursor) args.cursor = call.cursor;
  const r = await callDirectory<
    SlackResponse & {
      members?: SlackMember[];
      response_metadata?: { next_cursor?: string };
    }
  >(call, 'users.list', args);
  if (!r.ok) return r.failure;
  const next = r.data.response_metadata?.next_cursor;
  return {
    ok: true,
    members: Array.isArray(r.data.members) ? r.data.members : [],
    nextCursor: typeof next === 'string' && next !== '' ? next : null,
  };
}

type Called<T> =
  | { ok: true; data: T }
  | { ok: false; code: string; failure: { ok: false } & SlackDirectoryFailure };

/** One read method as a form POST (these methods take form arguments), classified. */
async function callDirectory<T extends SlackResponse>(
  call: DirectoryCall,
  method: string,
  args: Record<string, string>,
): Promise<Called<T>> {
  const fail = (code: string, f: SlackDirectoryFailure): Called<T> => ({
    ok: false,
    code,
    failure: { ok: false, ...f },
  });
  if (!call.botToken || !/^[\x21-\x7e]+$/.test(call.botToken)) {
    return fail('not_authed', {
      kind: 'failed',
      reason: 'Slack: not_authed (the bot token is empty or malformed)',
    });
  }
  const outcome = await fetchWithTimeout(
    `${call.base.replace(/\/+$/, '')}/${method}`,
    {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${call.botToken}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(args).toString(),
    },
    call.timeoutMs,
  );
  if (!outcome.ok) {
    return fail(outcome.failure.kind, {
      kind: 'retry',
      reason: describeNetworkFailure('Slack', outcome.failure),
    });
  }
  const { response } = outcome;
  const json = (await readJson(response)) as T | undefined;
  const code = typeof json?.error === 'string' ? json.error : undefined;
  if (response.status === 429 || code === 'ratelimited' || code === 'rate_limited') {
    const afterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    return fail(code ?? 'ratelimited', {
      kind: 'rate_limited',
      reason: `Slack: rate limited on ${method}`,
      ...(afterSeconds === undefined ? {} : { afterSeconds }),
    });
  }
  if (response.status >= 500) {
    return fail(`http_${response.status}`, {
      kind: 'retry',
      reason: `Slack: HTTP ${response.status} on ${method} (Slack is having problems)`,
    });
  }
  if (json && json.ok === true && response.ok) return { ok: true, data: json };
  if (!code) {
    return fail(`http_${response.status}`, {
      kind: 'retry',
      reason: `Slack: unexpected response to ${method} (HTTP ${response.status})`,
    });
  }
  if (code === 'missing_scope') {
    const scope = neededScope(json?.needed, method);
    return fail(code, {
      kind: 'missing_scope',
      scope,
      reason: `Slack: missing_scope (${method} needs ${scope}; add it under OAuth & Permissions and reinstall the app)`,
    });
  }
  const classified = classifySlackError(code, json, response);
  return fail(
    code,
    classified.kind === 'retry'
      ? { kind: 'retry', reason: classified.reason }
      : { kind: 'failed', reason: classified.reason },
  );
}

/** The scope Slack says is needed, cleaned; the documented one when it says none. */
function neededScope(needed: unknown, method: string): string {
  const clean =
    typeof needed === 'string' ? needed.replace(/[^a-z0-9:._,-]/gi, '').slice(0, 100) : '';
  if (clean) return clean;
  return method === 'users.lookupByEmail' ? 'users:read.email' : 'users:read';
}

/** Whether Renkei may propose this account: no deleted, bot, app or guest accounts. */
export function isProposableSlackMember(m: SlackMember): boolean {
  if (!m.id || m.id === 'USLACKBOT') return false;
  return !(m.deleted || m.is_bot || m.is_app_user || m.is_restricted || m.is_ultra_restricted);
}

/** The name Slack shows for the account: display name, else real name, else handle. */
export function slackMemberName(m: SlackMember): string | null {
  const name = m.profile?.display_name || m.profile?.real_name || m.real_name || m.name;
  return name ? name.slice(0, 200) : null;
}
