/**
 * What the member sees in the chat where they clicked (DECISIONS.md, "Feedback in the chat"):
 * the answer to the click itself (received, already decided, closed, not yours), then
 * WORKPLACE's verdict. Slack: the original DM is edited by chat.update (its buttons go) and
 * refusals are ephemeral; LINE: the click is answered ("received", or why not) by the click's
 * reply token (free; one reply per token), the verdict by push; LINE WORKS: a bot message. Slack calls are queued and paced at their
 * method's tier (`kind: 'chat'` jobs); LINE and LINE WORKS answer inline.
 */
import { lineRetryKey, pushText, replyMessage } from '../../adapters/line/index.ts';
import { sendLineWorksText } from '../../adapters/line-works/index.ts';
import { formatDecidedAt } from '../../adapters/messages.ts';
import {
  renderSlackMessage,
  slackChatUpdate,
  slackPostEphemeral,
} from '../../adapters/slack/index.ts';
import type { Locale, SendResult } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { catalog } from '../../i18n/catalogs.ts';
import { lineWorksUserIdOf } from '../channels/line-works.ts';
import { slackMethodKey } from '../channels/slack.ts';
import type { DispatchEnv } from '../channels/types.ts';
import { getDelivery } from '../deliveries.ts';
import { notificationOf } from '../dispatch/send.ts';
import { type IntegrationCredentials, loadCredentials } from '../integrations.ts';
import { type Gate, slackMethodPerMinute, slackPerMinutePace } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { ChatMessage } from '../queue-messages.ts';
import { backoffSeconds, MAX_INLINE_WAIT_MS, type Verdict } from '../retry-policy.ts';
import { lineChannelToken, lineWorksAppCredentials, type TokenSource } from '../tokens.ts';
import { getUserByRowId, type UserRow } from '../users.ts';
import { getEvent } from '../workflow-events.ts';
import { enqueueChat } from './chat-queue.ts';
import type { ClickOutcome } from './click.ts';
import { isSuperseded } from './event-actions.ts';
import type { DecisionFeedback } from './feedback.ts';
import { type DecisionRow, findDecision } from './store.ts';

export interface ChatDeps {
  db: Db;
  env: DispatchEnv;
  gate: Gate;
  tokens: TokenSource;
  queue: Queue;
  timeoutMs: number;
  log?: Logger;
}

/** A reply token is used only this long after the click (LINE gives about a minute). */
export const LINE_REPLY_WINDOW_MS = 50_000;
/** A chat job is tried this often before it is dropped (feedback is never worth a DLQ entry). */
const MAX_CHAT_ATTEMPTS = 6;

/** The answer to a click itself, in the member's words (JA for a stranger). */
export function clickAnswer(outcome: ClickOutcome): string {
  const locale = (outcome.member?.locale as Locale | undefined) ?? 'JA';
  const copy = catalog(outcome.kind === 'refused' ? 'JA' : locale).decision;
  switch (outcome.kind) {
    case 'recorded':
      return copy.received(outcome.decision.action as never);
    case 'decided':
      return copy.alreadyDecided(
        outcome.decision.action as never,
        formatDecidedAt(outcome.decision.decidedAt),
      );
    case 'closed':
      return copy.closed;
    case 'allowed':
      return '';
    case 'refused':
      return outcome.why === 'invalid' ? copy.invalid : copy.notAllowed;
  }
}

/** The line under a decided or closed Slack message (its current state), or null. */
export function decisionNote(
  locale: Locale,
  decision: DecisionRow | null | undefined,
  closed: boolean,
): string | null {
  const copy = catalog(locale).decision;
  if (decision) {
    const action = decision.action as 'APPROVE';
    if (decision.status === 'ACCEPTED') return copy.accepted(action);
    if (decision.status === 'REFUSED') return copy.refused(action, decision.reason ?? '');
    if (decision.status === 'FAILED') return copy.failed(action);
    return copy.received(action);
  }
  return closed ? copy.closed : null;
}

/**
 * Sends `text` to a LINE user: by reply while `replyToken` is set (free), else by push with a
 * retry key of `pushKey` (counted against the monthly quota). Returns whether it went out.
 */
export async function lineAnswer(
  deps: {
    env: { LINE_API_BASE: string };
    tokens: TokenSource;
    timeoutMs: number;
    log?: Logger | undefined;
  },
  tenantId: string,
  creds: IntegrationCredentials,
  to: { lineUserId: string; replyToken?: string | null; pushKey: string },
  text: string,
): Promise<boolean> {
  const token = await lineChannelToken(deps.tokens, tenantId, creds);
  if (!token?.ok) return false;
  if (to.replyToken) {
    const r = await replyMessage({
      apiBase: deps.env.LINE_API_BASE,
      channelAccessToken: token.token,
      replyToken: to.replyToken,
      messages: [{ type: 'text', text }],
      timeoutMs: deps.timeoutMs,
    });
    if (r.ok) return true;
    deps.log?.warn('line: decision reply failed, pushing instead', { tenant: tenantId });
  }
  const pushed = await pushText({
    apiBase: deps.env.LINE_API_BASE,
    channelAccessToken: token.token,
    to: to.lineUserId,
    text,
    retryKey: await lineRetryKey(to.pushKey),
    timeoutMs: deps.timeoutMs,
  });
  return pushed.ok;
}

/** A LINE WORKS bot message to `userId` (a 401 drops the token and tries once more). */
async function lineWorksText(
  deps: ChatDeps,
  tenantId: string,
  creds: IntegrationCredentials,
  userId: string,
  text: string,
): Promise<SendResult> {
  const app = lineWorksAppCredentials(creds.settings, creds.secrets);
  const botId = typeof creds.settings.botId === 'string' ? creds.settings.botId : '';
  if (!app || !botId) return { kind: 'failed', scope: 'integration', reason: 'no LINE WORKS bot' };
  for (let attempt = 0; ; attempt++) {
    const token = await deps.tokens.lineWorks(tenantId, app, ['bot']);
    if (!token.ok) {
      return token.retryable
        ? { kind: 'retry', reason: token.reason }
        : { kind: 'failed', scope: 'integration', reason: token.reason };
    }
    const result = await sendLineWorksText({
      base: deps.env.LINE_WORKS_API_BASE,
      accessToken: token.token,
      botId,
      userId,
      text,
      timeoutMs: deps.timeoutMs,
    });
    if (result.kind !== 'retry' || result.learned?.tokenRejected !== 'true' || attempt > 0) {
      return result;
    }
    await deps.tokens.dropLineWorks(tenantId, app, ['bot'], token.token);
  }
}

/** The chat side of forwarding: the member hears WORKPLACE's verdict where they clicked. */
export function createChatFeedback(deps: ChatDeps): DecisionFeedback {
  return {
    async outcome(db, decision) {
      const tenantId = decision.tenantId;
      if (decision.channel === 'SLACK' && decision.deliveryId) {
        await enqueueChat(deps.queue, tenantId, [
          { type: 'slack-refresh', deliveryId: decision.deliveryId },
        ]);
        return;
      }
      const member = await getUserByRowId(db, tenantId, decision.userRowId);
      if (!member) return;
      const text = decisionNote(member.locale as Locale, decision, false) ?? '';
      if (decision.channel === 'LINE' && member.lineUserId) {
        const creds = await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, 'LINE');
        if (!creds) return;
        // The click's reply token went on "received" (line-postback.ts): the verdict is pushed.
        await lineAnswer(
          { ...deps },
          tenantId,
          creds,
          {
            lineUserId: member.lineUserId,
            replyToken: null,
            pushKey: `decision:${tenantId}:${decision.id}:${decision.status}:${decision.attempts}`,
          },
          text,
        );
        return;
      }
      if (decision.channel === 'LINE_WORKS') {
        await enqueueChat(deps.queue, tenantId, [
          {
            type: 'line-works-text',
            userId: member.lineWorksResourceId ?? lineWorksUserIdOf(member),
            text,
          },
        ]);
      }
    },
  };
}

export interface QueuedChat {
  id: string;
  attempts: number;
  body: ChatMessage;
}

/** Runs chat jobs of one shard; returns what to do with each message, by message id. */
export async function runChatJobs(
  deps: ChatDeps,
  messages: readonly QueuedChat[],
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  await Promise.all(
    messages.map(async (m) => {
      let result: SendResult;
      try {
        result = await runChatJob(deps, m.body);
      } catch (err) {
        result = { kind: 'retry', reason: (err as Error).message ?? 'internal error' };
      }
      if (result.kind === 'retry' && m.attempts < MAX_CHAT_ATTEMPTS) {
        const delaySeconds = result.deferUntil
          ? Math.max(1, Math.ceil((result.deferUntil - Date.now()) / 1000))
          : (result.afterSeconds ?? backoffSeconds(m.attempts));
        verdicts.set(m.id, { action: 'retry', delaySeconds });
        return;
      }
      if (result.kind !== 'sent') {
        deps.log?.warn('chat feedback not sent', {
          tenant: m.body.tenantId,
          job: m.body.job.type,
          reason: result.reason,
        });
      }
      verdicts.set(m.id, { action: 'ack' });
    }),
  );
  return verdicts;
}

/** Waits for a Slack method's slot (its tier, per workspace); a long wait is a retry. */
async function slackSlot(
  deps: ChatDeps,
  tenantId: string,
  settings: Record<string, unknown>,
  method: string,
): Promise<SendResult | null> {
  const [at = Date.now()] = await deps.gate.reserve(
    'SLACK',
    tenantId,
    [{ key: slackMethodKey(settings, method) }],
    { ...slackPerMinutePace(slackMethodPerMinute(method, settings)), scope: 'target' },
  );
  const wait = at - Date.now();
  if (wait > MAX_INLINE_WAIT_MS) {
    return { kind: 'retry', reason: `waiting for Slack's ${method} limit`, deferUntil: at };
  }
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return null;
}

async function runChatJob(deps: ChatDeps, msg: ChatMessage): Promise<SendResult> {
  const { db } = deps;
  const { tenantId, job } = msg;
  if (job.type === 'line-works-text') {
    const creds = await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, 'LINE_WORKS');
    if (!creds?.enabled) return { kind: 'failed', scope: 'integration', reason: 'LINE WORKS off' };
    return lineWorksText(deps, tenantId, creds, job.userId, job.text);
  }
  const creds = await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, 'SLACK');
  const botToken = creds?.secrets.botToken;
  if (!creds?.enabled || !botToken) {
    return { kind: 'failed', scope: 'integration', reason: 'Slack off' };
  }
  const call = { base: deps.env.SLACK_API_BASE, botToken, timeoutMs: deps.timeoutMs };
  if (job.type === 'slack-ephemeral') {
    const wait = await slackSlot(deps, tenantId, creds.settings, 'chat.postEphemeral');
    if (wait) return wait;
    const r = await slackPostEphemeral(call, {
      channel: job.channel,
      user: job.user,
      text: job.text,
    });
    return r.ok ? { kind: 'sent' } : r.failure;
  }
  const delivery = await getDelivery(db, tenantId, job.deliveryId);
  if (!delivery?.messageChannel || !delivery.messageTs) {
    return { kind: 'failed', scope: 'message', reason: 'the message was never posted' };
  }
  const [event, member] = await Promise.all([
    getEvent(db, tenantId, delivery.eventId),
    getUserByRowId(db, tenantId, delivery.userRowId),
  ]);
  if (!event || !member) return { kind: 'failed', scope: 'message', reason: 'gone' };
  const [decision, closed] = await Promise.all([
    findDecision(db, tenantId, event.id, member.id),
    isSuperseded(db, event),
  ]);
  const note = decisionNote(member.locale as Locale, decision, closed);
  // Still open and undecided: the buttons stay (nothing to show yet).
  if (!note) return { kind: 'sent' };
  const wait = await slackSlot(deps, tenantId, creds.settings, 'chat.update');
  if (wait) return wait;
  const rendered = renderSlackMessage(notificationOf(event, member as UserRow), { note });
  const r = await slackChatUpdate(call, {
    channel: delivery.messageChannel,
    ts: delivery.messageTs,
    ...rendered,
  });
  return r.ok ? { kind: 'sent' } : r.failure;
}
