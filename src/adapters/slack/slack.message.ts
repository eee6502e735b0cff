/**
 * A notification as a Slack message: Block Kit blocks plus the `text` fallback Slack shows in
 * notifications and to screen readers.
 * https://docs.slack.dev/reference/block-kit/blocks
 * https://docs.slack.dev/messaging/formatting-message-text
 */
import { catalog } from '../../i18n/catalogs.ts';
import {
  type RenderedField,
  type RenderedText,
  renderText,
  truncate,
  truncateEscaped,
} from '../messages.ts';
import type { DecisionAction, Notification } from '../types.ts';
import type { SlackBlock, SlackButton } from './slack.types.ts';

/** Block Kit limits (characters). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  buttonText: 75,
  buttonUrl: 3000,
  /** `text` may hold 40,000; a notification preview needs far less. */
  fallbackText: 3000,
} as const;

export const SLACK_OPEN_DOCUMENT_ACTION_ID = 'open_document';

/** `action_id` of each decision button; the interactivity endpoint reads the action from it. */
export const SLACK_DECISION_ACTION_IDS: Readonly<Record<DecisionAction, string>> = {
  APPROVE: 'decision_approve',
  REJECT: 'decision_reject',
  RETURN: 'decision_return',
};

const DECISION_STYLE: Partial<Record<DecisionAction, 'primary' | 'danger'>> = {
  APPROVE: 'primary',
  REJECT: 'danger',
};

/** Slack's limit on a button `value`. */
export const SLACK_BUTTON_VALUE_MAX = 2000;

export interface SlackRenderOptions {
  /** A line under the message (the decision's state, "closed"), as a context block. */
  note?: string;
}

/**
 * Renders the blocks (header, section with summary / actor / comment, actions with a link
 * button) and the mrkdwn fallback `text`. User text is escaped (`&`, `<`, `>`) so a comment
 * cannot mention `<!channel>` or forge a link.
 */
export function renderSlackMessage(
  n: Notification,
  options: SlackRenderOptions = {},
): { text: string; blocks: SlackBlock[] } {
  const r = renderText(n);
  if (n.digest) return renderSlackDigest(r);
  const decisions = (n.decisions ?? []).filter((d) => d.value.length <= SLACK_BUTTON_VALUE_MAX);
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(r.heading, SLACK_LIMITS.headerText), emoji: true },
    },
    { type: 'section', text: { type: 'mrkdwn', text: sectionText(r.summary, r.fields) } },
  ];
  const elements: SlackButton[] = [];
  if (decisions.length > 0) {
    const copy = catalog(n.locale).decision;
    for (const d of decisions) {
      const style = DECISION_STYLE[d.action];
      elements.push({
        type: 'button',
        text: { type: 'plain_text', text: copy.labels[d.action], emoji: true },
        action_id: SLACK_DECISION_ACTION_IDS[d.action],
        value: d.value,
        ...(style ? { style } : {}),
      });
    }
  }
  // With decision buttons, 承認 is the primary one.
  const open = documentButton(r, decisions.length > 0 ? undefined : 'primary');
  if (open) elements.push(open);
  if (elements.length > 0) blocks.push({ type: 'actions', elements });
  if (options.note) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: truncate(escapeSlack(options.note), SLACK_LIMITS.sectionText) },
      ],
    });
  }

  const head = [escapeSlack(r.heading), escapeSlack(r.summary)].join('\n');
  const link = r.url ? `<${slackLinkUrl(r.url)}|${escapeSlack(r.buttonLabel)}>` : '';
  const budget = SLACK_LIMITS.fallbackText - head.length - link.length - 2;
  const body = r.lines.length > 0 ? truncateEscaped(r.lines.join('\n'), budget, escapeSlack) : '';
  const note = options.note ? escapeSlack(options.note) : '';
  const text = [head, body, link, note].filter((part) => part !== '').join('\n');
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
}

/**
 * A digest: the header with the count, the summary, one section per listed notification (its
 * type in bold, its title linked to the document), "and N more" linked to the full list, and
 * the list's button.
 */
function renderSlackDigest(r: RenderedText): { text: string; blocks: SlackBlock[] } {
  const link = (url: string | null | undefined, label: string) =>
    url && url.length <= SLACK_LIMITS.buttonUrl
      ? `<${slackLinkUrl(url)}|${escapeSlack(label)}>`
      : escapeSlack(label);
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(r.heading, SLACK_LIMITS.headerText), emoji: true },
    },
    { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(r.summary) } },
    ...r.fields.map(
      (f): SlackBlock => ({
        type: 'section',
        text: { type: 'mrkdwn', text: `*${escapeSlack(f.label)}*  ${link(f.url, f.value)}` },
      }),
    ),
  ];
  if (r.more) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: link(r.url, r.more) } });
  }
  const open = documentButton(r);
  if (open) blocks.push({ type: 'actions', elements: [open] });
  const text = [escapeSlack(r.heading), ...r.lines.map(escapeSlack)].join('\n');
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
}

/** The "open in WORKPLACE" link button, when the URL fits Slack's limit. */
function documentButton(r: RenderedText, style?: 'primary'): SlackButton | null {
  if (!r.url || r.url.length > SLACK_LIMITS.buttonUrl) return null;
  return {
    type: 'button',
    text: {
      type: 'plain_text',
      text: truncate(r.buttonLabel, SLACK_LIMITS.buttonText),
      emoji: true,
    },
    url: r.url,
    action_id: SLACK_OPEN_DOCUMENT_ACTION_ID,
    ...(style ? { style } : {}),
  };
}

function sectionText(summary: string, fields: RenderedField[]): string {
  const parts = [escapeSlack(summary)];
  for (const field of fields) {
    const label = escapeSlack(field.label);
    if (field.kind === 'actor') {
      parts.push(`*${label}:* ${escapeSlack(field.value)}`);
    } else {
      // The comment comes last and takes whatever room is left in the section.
      const prefix = `*${label}:*\n>`;
      const budget = SLACK_LIMITS.sectionText - parts.join('\n').length - 1 - prefix.length;
      parts.push(`${prefix}${truncateEscaped(field.value, budget, escapeQuoted)}`);
    }
  }
  return truncate(parts.join('\n'), SLACK_LIMITS.sectionText);
}

/** Slack's three control characters in message text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped text inside a `>` block quote: every new line stays in the quote. */
function escapeQuoted(text: string): string {
  return escapeSlack(text).replace(/\n/g, '\n>');
}

/** A URL inside `<url|label>`: `|` and `>` would end it early. */
function slackLinkUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
}
