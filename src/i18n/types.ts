/**
 * The shape of a locale's catalog: every text a member sees from Renkei (notifications, the LINE
 * callback page, bot texts, deciding from the chat). Each locale file is typed with it, so a text
 * missing in one locale (or a notification type without its words) does not compile.
 */
import type { DecisionAction, NotificationType } from '../adapters/types.ts';

/** The words of one kind of notification. */
export interface NotificationWords {
  /** e.g. `承認依頼` / `Approval requested` / `결재 요청`; the title follows it. */
  heading: string;
  /** One sentence that says what happened and what to do. */
  summary: string;
  /** The label of the actor, e.g. `申請者` / `Applicant` / `기안자`. */
  actor: string;
}

/** Texts of a workflow notification, shared by every adapter (plain text, unescaped). */
export interface NotificationCatalog {
  types: Readonly<Record<NotificationType, NotificationWords>>;
  /** A `sendTestNotification` message, whatever its type. */
  test: NotificationWords;
  /** The label of the comment. */
  comment: string;
  /** The label of the link to the document. */
  buttonLabel: string;
  /** Where the message comes from (a card subtitle). */
  source: string;
  /** Between a label and its value. */
  separator: string;
}

/** The page LINE Login returns the member to (src/workers/line-page.ts). */
export interface LinePageCatalog {
  title: string;
  linked: string;
  pendingFriend: string;
  scan: string;
  openOnPhone: string;
  qrAlt: string;
  expired: string;
  invalid: string;
  denied: string;
  failed: string;
  notConfigured: string;
  taken: string;
  again: string;
}

/** A digest of several notifications (members' preferences); `{n}` is a count. */
export interface DigestCatalog {
  /** With the number of notifications, e.g. `通知のまとめ（{n}件）`. */
  heading: string;
  summary: string;
  /** The notifications not listed in full, e.g. `ほか{n}件`. */
  more: string;
  /** The link to the page listing them all. */
  buttonLabel: string;
  /** That page's title. */
  pageTitle: string;
}

/**
 * The words of deciding from the chat (DECISIONS.md): buttons, the Slack modal, feedback. The
 * feedback texts quote the action by its label in `labels`.
 */
export interface DecisionCatalog {
  /** Button labels (≤ 20 characters: LINE's postback label limit). */
  labels: Readonly<Record<DecisionAction, string>>;
  /** What the member's click shows in a LINE chat (postback `displayText`). */
  displayText: Readonly<Record<DecisionAction, string>>;
  modal: { title: string; submit: string; close: string; commentLabel: string; hint: string };
  /** The click was recorded and is on its way to WORKPLACE. */
  received(action: DecisionAction): string;
  accepted(action: DecisionAction): string;
  refused(action: DecisionAction, reason: string): string;
  failed(action: DecisionAction): string;
  /** A later click: what was already decided and when (`at` already formatted). */
  alreadyDecided(action: DecisionAction, at: string): string;
  closed: string;
  notAllowed: string;
  invalid: string;
}

export interface Catalog {
  /** The locale's language tag in HTML (`<html lang>`). */
  lang: string;
  notification: NotificationCatalog;
  digest: DigestCatalog;
  decision: DecisionCatalog;
  linePage: LinePageCatalog;
  /** What the official account says once a member added it as a friend. */
  lineLinkCompleted: string;
  /** The LINE WORKS bot as members see it (registered with `POST /bots`). */
  lineWorksBot: { botName: string; description: string };
}
