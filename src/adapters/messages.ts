/**
 * The words of a notification in its locale (the texts are in src/i18n), shared by every
 * adapter. Output is plain text: each adapter escapes it and adds its own markup (Slack mrkdwn,
 * Google Chat text and card HTML, LINE flex, ...). Length limits differ per provider, so the
 * adapters cut the comment themselves; this module only bounds the title and actor name.
 */
import { catalog } from '../i18n/catalogs.ts';
import type { DigestItem, Locale, Notification } from './types.ts';

/** One labelled value under the heading. */
export interface RenderedField {
  /** `item`: one notification of a digest (`label` its type, `value` its title, `url` its link). */
  kind: 'actor' | 'comment' | 'item';
  /** e.g. `申請者`, `Applicant`, `기안자`. */
  label: string;
  /** Plain text; a comment may span several lines (`\n`). */
  value: string;
  /** An `item`'s link to its document, when it has an http(s) one. */
  url?: string | null;
}

export interface RenderedText {
  /** e.g. `承認依頼: 経費精算` / `Approval requested: Expense report` / `결재 요청: 경비 정산`. */
  heading: string;
  /** One sentence that says what happened and what to do. */
  summary: string;
  /** Where the message comes from, e.g. `WORKPLACE ワークフロー` (a card subtitle). */
  source: string;
  /** Actor (when given), then comment (when given). */
  fields: RenderedField[];
  /** `fields` as `label: value` lines. */
  lines: string[];
  /** Label of the link to the document: `文書を開く` / `Open document` / `문서 열기`. */
  buttonLabel: string;
  /** The document URL when it is an absolute http(s) URL, else `null` (no link is rendered). */
  url: string | null;
  /** Everything above as plain text: heading, summary, lines, then `buttonLabel: url`. */
  fallback: string;
  /** A digest with more items than listed: "and N more" (the link is `url`); else null. */
  more: string | null;
}

/** A digest lists this many items in full, newest first; the rest are "and N more". */
export const DIGEST_ITEMS_IN_FULL = 10;
/** A digest item's title is cut to this (its heading is one line of a list). */
const MAX_DIGEST_TITLE = 100;

export interface RenderOptions {
  /** Cut the comment to this many characters (an ellipsis included); default: no cut. */
  maxCommentLength?: number;
}

/** Titles and names longer than this are cut: headings are one line everywhere. */
export const MAX_TITLE_LENGTH = 200;
export const MAX_ACTOR_LENGTH = 100;
export const ELLIPSIS = '…';

/**
 * Renders the plain-text parts of a notification in its locale: heading, summary, actor and
 * comment fields, button label, link and a plain fallback. A test message
 * (`Notification.test`) uses the test copy whatever its `type`.
 */
export function renderText(n: Notification, options: RenderOptions = {}): RenderedText {
  if (n.digest) return renderDigestText(n.locale, n.digest.items, n.digest.total, n.digest.listUrl);
  const copy = catalog(n.locale, 'EN').notification;
  const kind = n.test ? copy.test : copy.types[n.type];
  const title = truncate(oneLine(n.title), MAX_TITLE_LENGTH);
  const heading = title ? `${kind.heading}${copy.separator}${title}` : kind.heading;

  const fields: RenderedField[] = [];
  const actor = truncate(oneLine(n.actorName ?? ''), MAX_ACTOR_LENGTH);
  if (actor) fields.push({ kind: 'actor', label: kind.actor, value: actor });
  const rawComment = normalizeNewlines(n.comment ?? '').trim();
  if (rawComment) {
    const value =
      options.maxCommentLength === undefined
        ? rawComment
        : truncate(rawComment, options.maxCommentLength);
    if (value) fields.push({ kind: 'comment', label: copy.comment, value });
  }
  const lines = fields.map((f) => `${f.label}${copy.separator}${f.value}`);
  const url = linkUrl(n.url);
  const fallback = [
    heading,
    kind.summary,
    ...lines,
    ...(url ? [`${copy.buttonLabel}${copy.separator}${url}`] : []),
  ].join('\n');

  return {
    heading,
    summary: kind.summary,
    source: copy.source,
    fields,
    lines,
    buttonLabel: copy.buttonLabel,
    url,
    fallback,
    more: null,
  };
}

/** `{n}` in a catalog text, filled in. */
const count = (text: string, n: number) => text.replace('{n}', String(n));

/** A digest's words: a heading with the count, one `item` field per listed notification. */
function renderDigestText(
  locale: Locale,
  items: readonly DigestItem[],
  total: number,
  listUrl: string,
): RenderedText {
  const { notification: copy, digest } = catalog(locale, 'EN');
  const heading = count(digest.heading, total);
  const fields: RenderedField[] = items.slice(0, DIGEST_ITEMS_IN_FULL).map((item) => ({
    kind: 'item',
    label: copy.types[item.type]?.heading ?? item.type,
    value: truncate(oneLine(item.title), MAX_DIGEST_TITLE),
    url: linkUrl(item.url),
  }));
  const hidden = total - fields.length;
  const more = hidden > 0 ? count(digest.more, hidden) : null;
  const lines = [
    ...fields.map((f) => `${f.label}${copy.separator}${f.value}`),
    ...(more ? [more] : []),
  ];
  const url = linkUrl(listUrl);
  const fallback = [
    heading,
    digest.summary,
    ...lines,
    ...(url ? [`${digest.buttonLabel}${copy.separator}${url}`] : []),
  ].join('\n');
  return {
    heading,
    summary: digest.summary,
    source: copy.source,
    fields,
    lines,
    buttonLabel: digest.buttonLabel,
    url,
    fallback,
    more,
  };
}

/** The URL as an absolute http(s) URL, or `null`: nothing else becomes a link or a button. */
export function linkUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * Cuts `text` to at most `max` UTF-16 code units, ellipsis included, without splitting a
 * surrogate pair. Providers count characters; code units never undercount them.
 */
export function truncate(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return ellipsis.slice(0, Math.max(0, max));
  let end = max - ellipsis.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}${ellipsis}`;
}

/**
 * Escapes `raw` with `escapeText` and cuts the result to `max` code units without splitting an
 * escape sequence (`&amp;`) or a surrogate pair; the ellipsis counts toward `max`.
 */
export function truncateEscaped(
  raw: string,
  max: number,
  escapeText: (text: string) => string,
  ellipsis = ELLIPSIS,
): string {
  const full = escapeText(raw);
  if (full.length <= max) return full;
  const budget = max - ellipsis.length;
  if (budget <= 0) return ellipsis.slice(0, Math.max(0, max));
  let out = '';
  for (const ch of raw) {
    const piece = escapeText(ch);
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return `${out}${ellipsis}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** A time as members read it: `2026-12-01 18:05` in Japan time (WORKPLACE's zone). */
export function formatDecidedAt(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const jst = new Date(d.getTime() + 9 * 3600_000).toISOString();
  return `${jst.slice(0, 10)} ${jst.slice(11, 16)} JST`;
}
