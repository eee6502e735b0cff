/**
 * A LINE decision click: a `postback` event on the tenant's signed Messaging webhook (the
 * signature and the webhookEventId dedupe are line-login.ts's). The clicker is the event's
 * `source.userId`. A refusal is answered at once with the reply token; a recorded decision keeps
 * the token so WORKPLACE's verdict can be a free reply within the minute (a push otherwise).
 * https://developers.line.biz/en/reference/messaging-api/#postback-event
 */
import type { Db } from '../../db/client.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { WebhookEventHandler } from '../line-link/types.ts';
import type { Logger } from '../log.ts';
import type { TokenSource } from '../tokens.ts';
import { clickAnswer, lineAnswer } from './chat-feedback.ts';
import { handleClick } from './click.ts';

/** Replies and pushes answer within this (the webhook waits for them). */
const POSTBACK_TIMEOUT_MS = 10_000;

export interface LinePostbackDeps {
  db: Db;
  env: { SECRETS_KEY: string; LINE_API_BASE: string };
  queue: Queue;
  tokens: TokenSource;
  log: Logger;
  timeoutMs: number;
}

export interface LinePostbackEvent {
  lineUserId: string;
  data: unknown;
  replyToken: string | null;
  webhookEventId: string | null;
}

/** Handles one postback; true when it named a decision button (recorded or answered). */
export async function handleLinePostback(
  deps: LinePostbackDeps,
  tenantId: string,
  creds: IntegrationCredentials,
  event: LinePostbackEvent,
): Promise<boolean> {
  const outcome = await handleClick(
    { db: deps.db, secretsKey: deps.env.SECRETS_KEY, queue: deps.queue, settings: creds.settings },
    tenantId,
    { clicker: { channel: 'LINE', lineUserId: event.lineUserId }, value: event.data },
  );
  if (outcome.kind === 'recorded') {
    // "Received" at once with the click's (free) reply token: one token allows one reply, so
    // WORKPLACE's verdict is pushed later (one push per decision, whenever the verdict comes).
    await lineAnswer(
      deps,
      tenantId,
      creds,
      {
        lineUserId: event.lineUserId,
        replyToken: event.replyToken,
        pushKey: `decision-received:${tenantId}:${outcome.decision.id}`,
      },
      clickAnswer(outcome),
    );
    return true;
  }
  // Not one of Renkei's buttons (a rich menu's postback, junk): not ours to answer.
  if (outcome.kind === 'refused' && outcome.why === 'invalid') return false;
  const text = clickAnswer(outcome);
  if (!text) return false;
  // A refusal goes to whoever clicked; a stranger is answered only by reply (never a push).
  if (outcome.kind === 'refused' && !event.replyToken) return true;
  await lineAnswer(
    deps,
    tenantId,
    creds,
    {
      lineUserId: event.lineUserId,
      replyToken: event.replyToken,
      pushKey: `decision-answer:${tenantId}:${event.webhookEventId ?? crypto.randomUUID()}`,
    },
    text,
  );
  return true;
}

/** The webhook's `postback` handler (line-link/webhook.ts), queuing decisions on `queue`. */
export function linePostbackHandler(queue: Queue): WebhookEventHandler {
  return async function linePostback(ctx, event, eventId) {
    if (!ctx.creds) return false;
    const postback = (event as { postback?: { data?: unknown } }).postback;
    return handleLinePostback(
      { ...ctx, queue, timeoutMs: POSTBACK_TIMEOUT_MS },
      ctx.tenantId,
      ctx.creds,
      {
        lineUserId: event.source.userId,
        data: postback && typeof postback === 'object' ? postback.data : null,
        replyToken:
          typeof event.replyToken === 'string' && event.replyToken ? event.replyToken : null,
        webhookEventId: eventId,
      },
    );
  };
}
