/**
 * Slack calls of deciding from the chat: editing the original DM (`chat.update`), a message
 * only the clicker sees (`chat.postEphemeral`) and the comment modal (`views.open`).
 * https://docs.slack.dev/reference/methods/chat.update
 * https://docs.slack.dev/reference/methods/chat.postEphemeral
 * https://docs.slack.dev/reference/methods/views.open
 */
import { catalog } from '../../i18n/catalogs.ts';
import { truncate } from '../messages.ts';
import type { DecisionAction, Locale, SendResult } from '../types.ts';
import { callSlack } from './slack.provider.ts';
import type { SlackBlock, SlackResponse } from './slack.types.ts';

type Outcome = { ok: true } | { ok: false; failure: Exclude<SendResult, { kind: 'sent' }> };

interface SlackCall {
  base: string;
  botToken: string;
  timeoutMs: number;
}

/** Replaces the message at (`channel`, `ts`) with `text` and `blocks`. */
export async function slackChatUpdate(
  call: SlackCall,
  message: { channel: string; ts: string; text: string; blocks: SlackBlock[] },
): Promise<Outcome> {
  const r = await callSlack<SlackResponse>(
    call.base,
    'chat.update',
    call.botToken,
    message,
    call.timeoutMs,
  );
  return r.ok ? { ok: true } : { ok: false, failure: r.failure };
}

/** A message in `channel` that only `user` sees. */
export async function slackPostEphemeral(
  call: SlackCall,
  message: { channel: string; user: string; text: string },
): Promise<Outcome> {
  const r = await callSlack<SlackResponse>(
    call.base,
    'chat.postEphemeral',
    call.botToken,
    message,
    call.timeoutMs,
  );
  return r.ok ? { ok: true } : { ok: false, failure: r.failure };
}

/** The modal's `callback_id`; its submission comes back as `view_submission`. */
export const SLACK_COMMENT_CALLBACK_ID = 'renkei_decision_comment';
/** `block_id` and `action_id` of the comment input. */
export const SLACK_COMMENT_BLOCK_ID = 'comment';
export const SLACK_COMMENT_ACTION_ID = 'comment';
/** The comment is kept to this (a plain-text input allows 3,000). */
export const SLACK_COMMENT_MAX = 3000;

/**
 * The comment modal of a REJECT or RETURN: an optional multi-line text field; the button value
 * travels in `private_metadata` (≤ 3,000) and is checked again on submission.
 */
export function commentModal(locale: Locale, action: DecisionAction, buttonValue: string) {
  const copy = catalog(locale).decision;
  return {
    type: 'modal',
    callback_id: SLACK_COMMENT_CALLBACK_ID,
    private_metadata: buttonValue,
    title: {
      type: 'plain_text',
      text: truncate(`${copy.labels[action]}: ${copy.modal.title}`, 24),
    },
    submit: { type: 'plain_text', text: truncate(copy.modal.submit, 24) },
    close: { type: 'plain_text', text: truncate(copy.modal.close, 24) },
    blocks: [
      {
        type: 'input',
        block_id: SLACK_COMMENT_BLOCK_ID,
        optional: true,
        label: { type: 'plain_text', text: copy.modal.commentLabel },
        hint: { type: 'plain_text', text: copy.modal.hint },
        element: {
          type: 'plain_text_input',
          action_id: SLACK_COMMENT_ACTION_ID,
          multiline: true,
          max_length: SLACK_COMMENT_MAX,
        },
      },
    ],
  };
}

/** Opens a modal with the click's `trigger_id` (valid for 3 seconds). */
export async function slackViewsOpen(
  call: SlackCall,
  triggerId: string,
  view: ReturnType<typeof commentModal>,
): Promise<Outcome> {
  const r = await callSlack<SlackResponse>(
    call.base,
    'views.open',
    call.botToken,
    { trigger_id: triggerId, view },
    call.timeoutMs,
  );
  return r.ok ? { ok: true } : { ok: false, failure: r.failure };
}
