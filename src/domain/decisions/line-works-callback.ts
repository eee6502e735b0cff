/**
 * `POST /line-works/callback/{tenant}` (DECISIONS.md): `X-WORKS-BotId` must be the tenant's bot
 * and `X-WORKS-Signature` the Bot Secret's HMAC of the raw body, both checked before parsing.
 * A decision button's click is a message event with a postback; the clicker is named by their
 * resource id, matched against the member's (learned with `GET /users/{loginId}`). LINE WORKS
 * never resends a callback, so the answer is 200 for anything signed; the member's feedback is a
 * bot message, queued.
 */
import {
  parseLineWorksCallback,
  verifyLineWorksSignature,
} from '../../adapters/line-works/index.ts';
import type { Db } from '../../db/client.ts';
import { declaredAs } from '../../lib/media-type.ts';
import { loadCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import type { TokenSource } from '../tokens.ts';
import { clickAnswer } from './chat-feedback.ts';
import { enqueueChat } from './chat-queue.ts';
import { handleClick } from './click.ts';
import { lineWorksResourceId } from './line-works-identity.ts';
import type { HttpAnswer } from './slack-interaction.ts';

export interface LineWorksCallbackDeps {
  db: Db;
  env: { SECRETS_KEY: string; LINE_WORKS_API_BASE: string };
  queue: Queue;
  tokens: TokenSource;
  timeoutMs: number;
  log: Logger;
}

export async function handleLineWorksCallback(
  deps: LineWorksCallbackDeps,
  tenantId: string,
  rawBody: ArrayBuffer,
  headers: { botId?: string | null; signature?: string | null; contentType?: string },
): Promise<HttpAnswer> {
  if (!headers.signature || !headers.botId) return { status: 401 };
  const creds = await loadCredentials(deps.db, deps.env.SECRETS_KEY, tenantId, 'LINE_WORKS');
  const botSecret = creds?.secrets.botSecret;
  const botId = creds?.settings.botId == null ? '' : String(creds.settings.botId);
  if (!creds || !botSecret || !botId || headers.botId.trim() !== botId) return { status: 401 };
  if (!(await verifyLineWorksSignature(botSecret, rawBody, headers.signature))) {
    return { status: 401 };
  }
  if (!declaredAs(headers.contentType, 'application/json')) return { status: 415 };
  const click = parseLineWorksCallback(rawBody);
  if (click === null) return { status: 400 };
  if (click === 'ignored') return { status: 200 };
  const outcome = await handleClick(
    {
      db: deps.db,
      secretsKey: deps.env.SECRETS_KEY,
      queue: deps.queue,
      settings: creds.settings,
      lineWorksResourceId: (member) =>
        lineWorksResourceId(
          {
            db: deps.db,
            tokens: deps.tokens,
            apiBase: deps.env.LINE_WORKS_API_BASE,
            timeoutMs: deps.timeoutMs,
            log: deps.log,
          },
          tenantId,
          creds,
          member,
        ),
    },
    tenantId,
    {
      clicker: { channel: 'LINE_WORKS', resourceId: click.userId, domainId: click.domainId },
      value: click.postback,
    },
  );
  // Not one of Renkei's buttons (another bot feature's postback, junk): left unanswered.
  const text = outcome.kind === 'refused' && outcome.why === 'invalid' ? '' : clickAnswer(outcome);
  if (text) {
    await enqueueChat(deps.queue, tenantId, [
      { type: 'line-works-text', userId: click.userId, text },
    ]);
  }
  return { status: 200 };
}
