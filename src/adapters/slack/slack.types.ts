/**
 * The parts of Slack Web API requests and responses Renkei uses.
 * https://docs.slack.dev/reference/methods/auth.test
 * https://docs.slack.dev/reference/methods/conversations.open
 * https://docs.slack.dev/reference/methods/chat.postMessage
 */

export interface SlackCredentials {
  /** Bot token (`xoxb-…`, or `xoxe.xoxb-…` when rotated); never logged nor returned. */
  botToken: string;
}

export interface SlackTarget {
  /** The member's Slack user id (`U…` / `W…`). */
  memberId: string;
  /** Cached DM channel id (`D…`) from an earlier `conversations.open`. */
  dmChannelId?: string;
}

/** Every Web API response: HTTP 200 with `ok`, and `error` when `ok` is false. */
export interface SlackResponse {
  ok: boolean;
  error?: string;
  /** On `missing_scope`: the scope(s) the method needs. */
  needed?: string;
  provided?: string;
  warning?: string;
}

export interface SlackAuthTestResponse extends SlackResponse {
  url?: string;
  team?: string;
  user?: string;
  team_id?: string;
  user_id?: string;
  bot_id?: string;
  enterprise_id?: string;
  is_enterprise_install?: boolean;
}

export interface SlackConversationsOpenResponse extends SlackResponse {
  channel?: { id?: string };
  no_op?: boolean;
  already_open?: boolean;
}

export interface SlackPostMessageResponse extends SlackResponse {
  channel?: string;
  ts?: string;
}

export interface SlackPlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
}

export interface SlackButton {
  type: 'button';
  text: SlackPlainText;
  action_id: string;
  url?: string;
  /** ≤ 2,000 characters; comes back in the block_actions payload. */
  value?: string;
  style?: 'primary' | 'danger';
}

export type SlackBlock =
  | { type: 'header'; text: SlackPlainText }
  | { type: 'section'; text: SlackMrkdwn | SlackPlainText }
  | { type: 'actions'; elements: SlackButton[] }
  | { type: 'context'; elements: (SlackMrkdwn | SlackPlainText)[] };

export interface SlackPostMessageBody {
  channel: string;
  /** Fallback for notifications and screen readers; always sent. */
  text: string;
  blocks: SlackBlock[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

/** Result of `slackAuthTest`: what `verifyIntegration` shows, or why the token failed. */
export type SlackAuthTestResult =
  | { ok: true; teamId: string; teamName: string; botUserId: string; botId: string }
  | {
      ok: false;
      /** Admin-readable, without a `Slack:` prefix: `invalid_auth (the bot token was rejected)`. */
      error: string;
      /** Slack's error code (`invalid_auth`), or `timeout` / `connection` / `http_<status>`. */
      code: string;
      retryable: boolean;
    };
