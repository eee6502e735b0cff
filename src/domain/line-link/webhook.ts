/**
 * The Messaging API webhook of one tenant (PROVIDERS.md, LINE): the signature is checked over the
 * raw body before anything is parsed, events are deduplicated on `webhookEventId`, and each event
 * goes to the handler of its `type` (friendship.ts: follow / unfollow; decisions/line-postback.ts:
 * postback).
 * https://developers.line.biz/en/reference/messaging-api/#webhooks
 */
import { verifyLineSignature } from '../../adapters/line/index.ts';
import type { Db } from '../../db/client.ts';
import { declaredAs } from '../../lib/media-type.ts';
import { linePostbackHandler } from '../decisions/line-postback.ts';
import { loadCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import type { TokenSource } from '../tokens.ts';
import { lineFollowed, lineUnfollowed } from './friendship.ts';
import {
  LINE_USER_ID,
  type LineAuthStore,
  type LineEnv,
  type LineUserEvent,
  type WebhookEventHandler,
} from './types.ts';

/** How the webhook route answers LINE. */
export type WebhookOutcome = { status: 200 | 400 | 401 | 415; handled: number };

/**
 * The handler of an event type, or null for a type Renkei does not act on (LINE expects unknown
 * events to be ignored; they are not remembered for deduplication either).
 */
function handlerFor(type: string, queue?: Queue): WebhookEventHandler | null {
  switch (type) {
    case 'follow':
      return lineFollowed;
    case 'unfollow':
      return lineUnfollowed;
    case 'postback':
      // v2: a decision button (decisions/line-postback.ts); ignored without a queue.
      return queue ? linePostbackHandler(queue) : null;
    default:
      return null;
  }
}

/**
 * Verifies `x-line-signature` with the Messaging channel secret, parses the body and hands every
 * event from a LINE user to its type's handler, once per `webhookEventId`. A handler that throws
 * lets LINE's redelivery be processed again (its event id is forgotten).
 * https://developers.line.biz/en/reference/messaging-api/#signature-validation
 */
export async function handleLineWebhook(
  db: Db,
  env: LineEnv,
  store: LineAuthStore,
  tokens: TokenSource,
  log: Logger,
  tenantId: string,
  rawBody: ArrayBuffer,
  signature: string | null | undefined,
  /** v2: where decisions from postbacks are queued. */
  queue?: Queue,
  /** The request's Content-Type: a signed body declared as anything but JSON is refused (415). */
  contentType?: string,
): Promise<WebhookOutcome> {
  if (!signature) return { status: 401, handled: 0 };
  const creds = await loadCredentials(db, env.SECRETS_KEY, tenantId, 'LINE');
  const secret = creds?.secrets.messagingChannelSecret;
  if (!secret || !(await verifyLineSignature(secret, rawBody, signature))) {
    return { status: 401, handled: 0 };
  }
  if (!declaredAs(contentType, 'application/json')) return { status: 415, handled: 0 };
  let body: { events?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(rawBody)) as { events?: unknown };
  } catch {
    return { status: 400, handled: 0 };
  }
  if (!Array.isArray(body?.events)) return { status: 400, handled: 0 };
  const ctx = { db, env, creds, tokens, log, tenantId };
  let handled = 0;
  for (const event of body.events as unknown[]) {
    // Only events from a LINE user are acted on; anything else, null and scalars included, is
    // skipped.
    if (!isLineUserEvent(event)) continue;
    const handle = handlerFor(event.type, queue);
    if (!handle) continue;
    const eventId = typeof event.webhookEventId === 'string' ? event.webhookEventId : null;
    if (eventId && (await store.seenWebhookEvent(tenantId, eventId))) continue;
    try {
      if (await handle(ctx, event, eventId)) handled++;
    } catch (err) {
      if (eventId) await store.forgetWebhookEvent(tenantId, eventId);
      throw err;
    }
  }
  return { status: 200, handled };
}

function isLineUserEvent(event: unknown): event is LineUserEvent {
  if (!event || typeof event !== 'object') return false;
  const { type, source } = event as { type?: unknown; source?: { userId?: unknown } };
  if (typeof type !== 'string') return false;
  const lineUserId = source && typeof source === 'object' ? source.userId : undefined;
  return typeof lineUserId === 'string' && LINE_USER_ID.test(lineUserId);
}
