/**
 * The one contract every provider adapter implements. Adapters take credentials and base URLs
 * as arguments, never read `env`, touch no D1 and no GraphQL: they render, sign, send and
 * classify. The queue consumer decides what a classification means for the delivery.
 */

export type Channel = 'LINE_WORKS' | 'SLACK' | 'GOOGLE_CHAT' | 'LINE';
export type Locale = 'JA' | 'EN' | 'KO';
export type NotificationType =
  | 'APPROVAL_REQUESTED'
  | 'APPROVED'
  | 'REJECTED'
  | 'RETURNED'
  | 'COMPLETED'
  | 'COMMENTED'
  | 'CIRCULATED'
  | 'WITHDRAWN'
  | 'REMINDER';

/** What an approver may answer from the chat: 承認 / 却下 / 差し戻し (DECISIONS.md). */
export type DecisionAction = 'APPROVE' | 'REJECT' | 'RETURN';

/** One decision button: the action and its opaque value (≤ 300 chars, LINE's postback limit). */
export interface DecisionButton {
  action: DecisionAction;
  value: string;
}

/** What one recipient is told: the event, in the recipient's locale. */
export interface Notification {
  type: NotificationType;
  locale: Locale;
  documentId: string;
  title: string;
  url: string;
  actorName?: string | null;
  comment?: string | null;
  /** A test message sent by sendTestNotification rather than a workflow event. */
  test?: boolean;
  /** A digest: the notifications folded into this one message (the rest is ignored then). */
  digest?: DigestContent;
  /** Decision buttons to offer (empty or absent: the link only). */
  decisions?: DecisionButton[];
}

/** One notification listed in a digest. */
export interface DigestItem {
  type: NotificationType;
  title: string;
  url: string;
  actorName?: string | null;
}

/** What a digest message lists: the newest items in full, and how many there are in all. */
export interface DigestContent {
  /** Newest first; at most DIGEST_ITEMS_IN_FULL. */
  items: DigestItem[];
  total: number;
  /** A page listing every item (the "and N more" link). */
  listUrl: string;
}

/**
 * Outcome of one send attempt.
 * - `sent`: the provider accepted the message.
 * - `retry`: transient (429, 5xx, timeout, reset); `afterSeconds` when the provider said so.
 * - `failed`: permanent; `scope` says whose fault it is: the whole `integration` (bad token,
 *   missing scope), the `recipient` (unknown member, deleted webhook), just this `message`, or
 *   the integration's `quota` (an allowance such as LINE's monthly messages is used up: the
 *   integration itself is fine and sends again once the allowance resets).
 * `learned` carries recipient state worth caching (e.g. Slack's DM channel id).
 */
export type SendResult =
  | { kind: 'sent'; providerMessageId?: string; learned?: Record<string, string> }
  | {
      kind: 'retry';
      reason: string;
      afterSeconds?: number;
      learned?: Record<string, string>;
      /**
       * Set when nothing was sent because a pacing limit holds the call until then (ms since
       * epoch): the delivery goes back on the queue without using up an attempt.
       */
      deferUntil?: number;
    }
  | {
      kind: 'failed';
      reason: string;
      scope: 'integration' | 'recipient' | 'message' | 'quota';
      learned?: Record<string, string>;
    };

/** Everything an adapter needs for one attempt. */
export interface SendRequest<Credentials, Target> {
  /** Provider API base URL (a wrangler var; a fake on 127.0.0.1 in tests). */
  base: string;
  credentials: Credentials;
  target: Target;
  message: Notification;
  /** Stable per delivery: providers with idempotency keys derive them from it. */
  deliveryId: string;
  /** Per-request timeout; a timeout is classified `retry`. */
  timeoutMs: number;
  /**
   * Resolves when the rate-limited request may go: the adapter awaits it right before that
   * request (for Slack, after conversations.open, before chat.postMessage), so the time spent
   * on other calls does not eat into the pacing.
   */
  pace?: () => Promise<void>;
}

export interface ProviderAdapter<Credentials, Target> {
  readonly channel: Channel;
  send(request: SendRequest<Credentials, Target>): Promise<SendResult>;
}
