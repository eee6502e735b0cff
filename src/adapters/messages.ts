/**
 * The words of a notification, per locale (JA, EN, KO), shared by every adapter. Output is
 * plain text: each adapter escapes it and adds its own markup (Slack mrkdwn, Google Chat text
 * and card HTML, LINE flex, ...). Length limits differ per provider, so the adapters cut the
 * comment themselves; this module only bounds the title and actor name.
 */
import type { DigestItem, Locale, Notification, NotificationType } from './types.ts';

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

interface TypeCopy {
  heading: string;
  summary: string;
  actor: string;
}

interface LocaleCopy {
  types: Record<NotificationType, TypeCopy>;
  test: TypeCopy;
  comment: string;
  buttonLabel: string;
  source: string;
  /** Between a heading label and the title. */
  separator: string;
  digest: {
    heading: (total: number) => string;
    summary: string;
    more: (n: number) => string;
    buttonLabel: string;
  };
}

const COPY: Record<Locale, LocaleCopy> = {
  JA: {
    types: {
      APPROVAL_REQUESTED: {
        heading: '承認依頼',
        summary: '承認依頼が届いています。内容を確認してください。',
        actor: '申請者',
      },
      APPROVED: { heading: '承認', summary: '申請が承認されました。', actor: '承認者' },
      REJECTED: { heading: '却下', summary: '申請が却下されました。', actor: '却下者' },
      RETURNED: {
        heading: '差し戻し',
        summary: '申請が差し戻されました。内容を修正して再申請してください。',
        actor: '差し戻し者',
      },
      COMPLETED: { heading: '決裁完了', summary: '決裁が完了しました。', actor: '最終承認者' },
      COMMENTED: { heading: 'コメント', summary: '文書にコメントがあります。', actor: '投稿者' },
      CIRCULATED: {
        heading: '回覧',
        summary: '文書が回覧されました。内容を確認してください。',
        actor: '申請者',
      },
      WITHDRAWN: {
        heading: '取り下げ',
        summary: '承認待ちの申請が取り下げられました。対応は不要です。',
        actor: '申請者',
      },
      REMINDER: {
        heading: 'リマインダー',
        summary: '承認待ちの文書があります。確認をお願いします。',
        actor: '申請者',
      },
    },
    test: {
      heading: 'テスト通知',
      summary: 'WORKPLACE の通知がこの宛先に届くことを確認するためのテスト送信です。',
      actor: '送信者',
    },
    comment: 'コメント',
    buttonLabel: '文書を開く',
    source: 'WORKPLACE ワークフロー',
    separator: ': ',
    digest: {
      heading: (total) => `通知のまとめ（${total}件）`,
      summary: 'まとめて届いた通知です。新しい順に表示しています。',
      more: (n) => `ほか${n}件`,
      buttonLabel: 'すべて表示',
    },
  },
  EN: {
    types: {
      APPROVAL_REQUESTED: {
        heading: 'Approval requested',
        summary: 'A document is waiting for your approval.',
        actor: 'Applicant',
      },
      APPROVED: {
        heading: 'Approved',
        summary: 'Your document was approved.',
        actor: 'Approved by',
      },
      REJECTED: {
        heading: 'Rejected',
        summary: 'Your document was rejected.',
        actor: 'Rejected by',
      },
      RETURNED: {
        heading: 'Returned',
        summary: 'Your document was sent back for changes. Please revise and resubmit it.',
        actor: 'Returned by',
      },
      COMPLETED: {
        heading: 'Approval completed',
        summary: 'The approval of your document is complete.',
        actor: 'Final approver',
      },
      COMMENTED: {
        heading: 'New comment',
        summary: 'There is a new comment on a document you are part of.',
        actor: 'Comment by',
      },
      CIRCULATED: {
        heading: 'For your information',
        summary: 'A document was circulated to you for reference.',
        actor: 'Applicant',
      },
      WITHDRAWN: {
        heading: 'Withdrawn',
        summary: 'A document waiting for your approval was withdrawn. No action is needed.',
        actor: 'Applicant',
      },
      REMINDER: {
        heading: 'Reminder',
        summary: 'A document is still waiting for your approval.',
        actor: 'Applicant',
      },
    },
    test: {
      heading: 'Test notification',
      summary: 'This is a test message to confirm that WORKPLACE notifications reach you here.',
      actor: 'Sent by',
    },
    comment: 'Comment',
    buttonLabel: 'Open document',
    source: 'WORKPLACE Workflow',
    separator: ': ',
    digest: {
      heading: (total) => `Digest: ${total} notification${total === 1 ? '' : 's'}`,
      summary: 'Your notifications collected into one message, newest first.',
      more: (n) => `and ${n} more`,
      buttonLabel: 'View all',
    },
  },
  KO: {
    types: {
      APPROVAL_REQUESTED: {
        heading: '결재 요청',
        summary: '결재 요청이 도착했습니다. 내용을 확인해 주세요.',
        actor: '기안자',
      },
      APPROVED: { heading: '승인', summary: '문서가 승인되었습니다.', actor: '결재자' },
      REJECTED: { heading: '반려', summary: '문서가 반려되었습니다.', actor: '반려자' },
      RETURNED: {
        heading: '보완 요청',
        summary: '문서가 보완 요청으로 되돌아왔습니다. 수정 후 다시 상신해 주세요.',
        actor: '요청자',
      },
      COMPLETED: { heading: '결재 완료', summary: '결재가 완료되었습니다.', actor: '최종 결재자' },
      COMMENTED: {
        heading: '의견 등록',
        summary: '문서에 새 의견이 등록되었습니다.',
        actor: '작성자',
      },
      CIRCULATED: {
        heading: '회람',
        summary: '참고용으로 문서가 회람되었습니다.',
        actor: '기안자',
      },
      WITHDRAWN: {
        heading: '회수',
        summary: '결재 대기 중이던 문서가 회수되었습니다. 별도 조치는 필요하지 않습니다.',
        actor: '기안자',
      },
      REMINDER: {
        heading: '결재 대기 알림',
        summary: '결재를 기다리는 문서가 있습니다. 확인해 주세요.',
        actor: '기안자',
      },
    },
    test: {
      heading: '테스트 알림',
      summary: 'WORKPLACE 알림이 이곳으로 전달되는지 확인하기 위한 테스트 메시지입니다.',
      actor: '보낸 사람',
    },
    comment: '의견',
    buttonLabel: '문서 열기',
    source: 'WORKPLACE 워크플로',
    separator: ': ',
    digest: {
      heading: (total) => `알림 모음 (${total}건)`,
      summary: '모아서 보내 드리는 알림입니다. 최신순으로 표시합니다.',
      more: (n) => `외 ${n}건`,
      buttonLabel: '모두 보기',
    },
  },
};

/**
 * Renders the plain-text parts of a notification in its locale: heading, summary, actor and
 * comment fields, button label, link and a plain fallback. A test message
 * (`Notification.test`) uses the test copy whatever its `type`.
 */
export function renderText(n: Notification, options: RenderOptions = {}): RenderedText {
  const copy = COPY[n.locale] ?? COPY.EN;
  if (n.digest) return renderDigestText(copy, n.digest.items, n.digest.total, n.digest.listUrl);
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

/** A digest's words: a heading with the count, one `item` field per listed notification. */
function renderDigestText(
  copy: LocaleCopy,
  items: readonly DigestItem[],
  total: number,
  listUrl: string,
): RenderedText {
  const heading = copy.digest.heading(total);
  const fields: RenderedField[] = items.slice(0, DIGEST_ITEMS_IN_FULL).map((item) => ({
    kind: 'item',
    label: copy.types[item.type]?.heading ?? item.type,
    value: truncate(oneLine(item.title), MAX_DIGEST_TITLE),
    url: linkUrl(item.url),
  }));
  const hidden = total - fields.length;
  const more = hidden > 0 ? copy.digest.more(hidden) : null;
  const lines = [
    ...fields.map((f) => `${f.label}${copy.separator}${f.value}`),
    ...(more ? [more] : []),
  ];
  const url = linkUrl(listUrl);
  const fallback = [
    heading,
    copy.digest.summary,
    ...lines,
    ...(url ? [`${copy.digest.buttonLabel}${copy.separator}${url}`] : []),
  ].join('\n');
  return {
    heading,
    summary: copy.digest.summary,
    source: copy.source,
    fields,
    lines,
    buttonLabel: copy.digest.buttonLabel,
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
