/**
 * Slack: bot-token checks and direct messages to a member (conversations.open, then
 * chat.postMessage), each Slack error classified as sent / retry / failed.
 * https://docs.slack.dev/reference/methods/chat.postMessage
 */
import {
  describeNetworkFailure,
  fetchWithTimeout,
  parseRetryAfter,
  type ReadResponse,
  readJson,
} from '../http.ts';
import type { Notification, ProviderAdapter, SendRequest, SendResult } from '../types.ts';
import { renderSlackMessage } from './slack.message.ts';
import type {
  SlackAuthTestResponse,
  SlackAuthTestResult,
  SlackConversationsOpenResponse,
  SlackCredentials,
  SlackPostMessageBody,
  SlackPostMessageResponse,
  SlackResponse,
  SlackTarget,
} from './slack.types.ts';

type Failure = Exclude<SendResult, { kind: 'sent' }>;
type Scope = Extract<SendResult, { kind: 'failed' }>['scope'];

/** Slack error codes whose cause an admin or member must fix; the hint ends up in the reason. */
const PERMANENT: Record<string, { scope: Scope; hint: string }> = {
  invalid_auth: { scope: 'integration', hint: 'the bot token was rejected' },
  not_authed: { scope: 'integration', hint: 'no bot token was sent' },
  account_inactive: { scope: 'integration', hint: 'the bot user or workspace is deactivated' },
  token_revoked: { scope: 'integration', hint: 'the bot token was revoked; reinstall the app' },
  token_expired: {
    scope: 'integration',
    hint: 'the bot token expired; enter a new token or turn off token rotation',
  },
  missing_scope: {
    scope: 'integration',
    hint: 'the app lacks a scope; add chat:write and im:write and reinstall the app',
  },
  no_permission: { scope: 'integration', hint: 'the token may not do this in the workspace' },
  not_allowed_token_type: {
    scope: 'integration',
    hint: 'this kind of token cannot be used; enter the bot token',
  },
  ekm_access_denied: { scope: 'integration', hint: 'a workspace admin suspended the app' },
  team_access_not_granted: {
    scope: 'integration',
    hint: 'the token has no access to the workspace',
  },
  channel_not_found: {
    scope: 'recipient',
    hint: 'the DM channel does not exist or the bot cannot see it',
  },
  user_not_found: { scope: 'recipient', hint: 'no member with this Slack id in the workspace' },
  user_not_visible: { scope: 'recipient', hint: 'the bot cannot see this member' },
  is_archived: { scope: 'recipient', hint: 'the DM channel is archived' },
  not_in_channel: { scope: 'recipient', hint: 'the bot is not in the DM channel' },
  restricted_action: {
    scope: 'recipient',
    hint: 'workspace settings stop the bot from messaging this member',
  },
  cannot_dm_bot: { scope: 'recipient', hint: 'the Slack id belongs to a bot, not a member' },
  user_disabled: { scope: 'recipient', hint: 'the member is deactivated' },
  messages_tab_disabled: {
    scope: 'recipient',
    hint: "the app's Messages tab is turned off; enable it in the app settings",
  },
  invalid_blocks: { scope: 'message', hint: 'Slack rejected the message blocks' },
  invalid_blocks_format: { scope: 'message', hint: 'Slack rejected the message blocks' },
  msg_too_long: { scope: 'message', hint: 'the message is too long' },
  no_text: { scope: 'message', hint: 'the message has no text' },
  fatal_error: {
    scope: 'message',
    hint: 'Slack failed mid-request and the message may have been posted; not retried automatically, check the DM before resending',
  },
};

/** Transient Slack error codes. */
const RETRYABLE: Record<string, string> = {
  ratelimited: 'rate limited',
  rate_limited: 'rate limited',
  internal_error: 'Slack had an internal error',
  request_timeout: 'Slack timed out reading the request',
  service_unavailable: 'Slack is unavailable',
  team_added_to_org: 'the workspace is being migrated',
};

/**
 * Rendered messages by notification object: a batch's sends share one object per event and
 * locale (dispatch/send.ts), so its blocks are built once, not once per member. Rendering is
 * pure and nothing changes a notification or its blocks once made.
 */
const rendered = new WeakMap<Notification, ReturnType<typeof renderSlackMessage>>();

function renderOnce(n: Notification) {
  let r = rendered.get(n);
  if (!r) {
    r = renderSlackMessage(n);
    rendered.set(n, r);
  }
  return r;
}

export type CallResult<T> = { ok: true; data: T } | { ok: false; failure: Failure; code: string };

/**
 * Checks a bot token and returns the workspace and bot it belongs to; used by
 * verifyIntegration. Does not insist on the `xoxb-` prefix (rotated tokens differ).
 * https://docs.slack.dev/reference/methods/auth.test
 */
export async function slackAuthTest(
  base: string,
  botToken: string,
  timeoutMs: number,
): Promise<SlackAuthTestResult> {
  const call = await callSlack<SlackAuthTestResponse>(
    base,
    'auth.test',
    botToken,
    undefined,
    timeoutMs,
  );
  if (!call.ok) {
    return {
      ok: false,
      error: call.failure.reason.replace(/^Slack: /, ''),
      code: call.code,
      retryable: call.failure.kind === 'retry',
    };
  }
  const { team_id, team, user_id, bot_id } = call.data;
  if (!bot_id || !user_id || !team_id) {
    return {
      ok: false,
      error: 'not a bot token (auth.test returned no bot id); enter the bot token',
      code: 'not_a_bot_token',
      retryable: false,
    };
  }
  return { ok: true, teamId: team_id, teamName: team ?? '', botUserId: user_id, botId: bot_id };
}

/**
 * Sends a notification as a bot DM: opens the DM channel when none is cached
 * (https://docs.slack.dev/reference/methods/conversations.open), then posts Block Kit blocks
 * with a text fallback (https://docs.slack.dev/reference/methods/chat.postMessage).
 * A channel learned here is returned in `learned.dmChannelId` on every outcome.
 * A cached channel that Slack answers `channel_not_found` for fails with scope `recipient`
 * (the consumer clears the cache, the next delivery reopens the DM) rather than being
 * reopened within this attempt: DM ids are stable, so the member is most likely gone.
 */
export const slackAdapter: ProviderAdapter<SlackCredentials, SlackTarget> = {
  channel: 'SLACK',
  send: sendSlack,
};

async function sendSlack(req: SendRequest<SlackCredentials, SlackTarget>): Promise<SendResult> {
  const { base, credentials, target, timeoutMs } = req;
  let channel = target.dmChannelId;
  let learned: Record<string, string> | undefined;

  if (!channel) {
    if (!target.memberId.trim()) {
      return {
        kind: 'failed',
        scope: 'recipient',
        reason: 'Slack: the member has no Slack member id',
      };
    }
    const open = await callSlack<SlackConversationsOpenResponse>(
      base,
      'conversations.open',
      credentials.botToken,
      { users: target.memberId.trim() },
      timeoutMs,
    );
    if (!open.ok) return open.failure;
    channel = open.data.channel?.id;
    if (!channel) {
      return {
        kind: 'failed',
        scope: 'message',
        reason: 'Slack: conversations.open returned no channel id',
      };
    }
    learned = { dmChannelId: channel };
  }

  const body: SlackPostMessageBody = {
    channel,
    ...renderOnce(req.message),
    unfurl_links: false,
    unfurl_media: false,
  };
  await req.pace?.();
  const post = await callSlack<SlackPostMessageResponse>(
    base,
    'chat.postMessage',
    credentials.botToken,
    body,
    timeoutMs,
  );
  if (!post.ok) {
    const failure =
      post.code === 'channel_not_found' && !learned ? cachedChannelGone(channel) : post.failure;
    return learned ? { ...failure, learned: { ...failure.learned, ...learned } } : failure;
  }
  const ts = post.data.ts;
  const postedTo = post.data.channel ?? channel;
  // Where the message lives, for chat.update later (decision feedback, closed requests).
  const where: Record<string, string> = ts ? { messageChannel: postedTo, messageTs: ts } : {};
  const sent: SendResult = {
    kind: 'sent',
    ...(ts ? { providerMessageId: `${postedTo}:${ts}` } : {}),
  };
  return learned || ts ? { ...sent, learned: { ...learned, ...where } } : sent;
}

function cachedChannelGone(channel: string): Failure {
  return {
    kind: 'failed',
    scope: 'recipient',
    reason: `Slack: channel_not_found (the cached DM channel ${channel} is gone; it is reopened on the next attempt once cleared)`,
  };
}

/** One Web API call: JSON in, `{ ok, error }` out, every failure classified. */
export async function callSlack<T extends SlackResponse>(
  base: string,
  method: string,
  botToken: string,
  body: object | undefined,
  timeoutMs: number,
): Promise<CallResult<T>> {
  if (!botToken || !/^[\x21-\x7e]+$/.test(botToken)) {
    return {
      ok: false,
      code: 'not_authed',
      failure: {
        kind: 'failed',
        scope: 'integration',
        reason: 'Slack: not_authed (the bot token is empty or malformed)',
      },
    };
  }
  const headers: Record<string, string> = { Authorization: `Bearer ${botToken}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  const outcome = await fetchWithTimeout(
    `${base.replace(/\/+$/, '')}/${method}`,
    { method: 'POST', headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
    timeoutMs,
  );
  if (!outcome.ok) {
    return {
      ok: false,
      code: outcome.failure.kind,
      failure: { kind: 'retry', reason: describeNetworkFailure('Slack', outcome.failure) },
    };
  }

  const { response } = outcome;
  const json = (await readJson(response)) as T | undefined;
  const code = typeof json?.error === 'string' ? json.error : undefined;

  if (response.status === 429) {
    const afterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    return {
      ok: false,
      code: code ?? 'ratelimited',
      failure: {
        kind: 'retry',
        reason: `Slack: rate limited on ${method} (HTTP 429${afterSeconds === undefined ? '' : `, retry after ${afterSeconds} s`})`,
        ...(afterSeconds === undefined ? {} : { afterSeconds }),
        // Limits are per method and workspace: the caller holds this method, not the others.
        learned: { rateLimitedMethod: method },
      },
    };
  }
  if (response.status >= 500) {
    return {
      ok: false,
      code: `http_${response.status}`,
      failure: {
        kind: 'retry',
        reason: `Slack: HTTP ${response.status} on ${method} (Slack is having problems)`,
      },
    };
  }
  if (json && typeof json === 'object' && json.ok === true && response.ok) {
    return { ok: true, data: json };
  }
  if (code) {
    const failure = classifySlackError(code, json, response);
    if (failure.kind === 'retry' && (code === 'ratelimited' || code === 'rate_limited')) {
      failure.learned = { rateLimitedMethod: method };
    }
    return { ok: false, code, failure };
  }
  return {
    ok: false,
    code: `http_${response.status}`,
    failure: {
      kind: 'failed',
      scope: 'message',
      reason: `Slack: unexpected response to ${method} (HTTP ${response.status})`,
    },
  };
}

/**
 * Maps a Slack `error` code to retry / failed per PROVIDERS.md; unknown codes are treated as
 * problems with this message so one odd answer never disables an integration or a member.
 * https://docs.slack.dev/reference/methods/chat.postMessage#errors
 */
export function classifySlackError(
  code: string,
  json?: SlackResponse,
  response?: ReadResponse,
): Failure {
  const retry = RETRYABLE[code];
  if (retry !== undefined) {
    const afterSeconds = parseRetryAfter(response?.headers.get('Retry-After'));
    return {
      kind: 'retry',
      reason: `Slack: ${code} (${retry})`,
      ...(afterSeconds === undefined ? {} : { afterSeconds }),
    };
  }
  const permanent = PERMANENT[code];
  if (permanent) {
    const hint =
      code === 'missing_scope' && json?.needed
        ? `the app needs ${safeScopes(json.needed)}; add it and reinstall the app`
        : permanent.hint;
    return { kind: 'failed', scope: permanent.scope, reason: `Slack: ${code} (${hint})` };
  }
  return { kind: 'failed', scope: 'message', reason: `Slack: ${safeCode(code)}` };
}

function safeScopes(needed: string): string {
  return needed.replace(/[^a-z0-9:._,-]/gi, '').slice(0, 200);
}

function safeCode(code: string): string {
  return code.replace(/[^a-z0-9_.-]/gi, '').slice(0, 100) || 'unknown error';
}
