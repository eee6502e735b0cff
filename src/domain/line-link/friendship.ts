/**
 * A member's friendship with the company's official account (PROVIDERS.md, LINE): `follow` links
 * a member whose LINE userId is pending and answers with the completion message (by reply, else
 * push); `unfollow` marks them BLOCKED, and their LINE deliveries are skipped.
 * https://developers.line.biz/en/reference/messaging-api/#follow-event
 * https://developers.line.biz/en/reference/messaging-api/#unfollow-event
 */
import { and, eq } from 'drizzle-orm';
import { lineRetryKey, pushText, replyMessage } from '../../adapters/line/index.ts';
import type { Locale } from '../../adapters/types.ts';
import { users } from '../../db/schema.ts';
import { catalog } from '../../i18n/catalogs.ts';
import { auditStatement } from '../audit.ts';
import { lineChannelToken } from '../channels/line.ts';
import type { UserRow } from '../users.ts';
import {
  LINE_LINK_TIMEOUT_MS,
  type LineUserEvent,
  type WebhookContext,
  type WebhookEventHandler,
} from './types.ts';

/** The completion message a member receives after adding the official account. */
export function linkCompletedText(locale: Locale): string {
  return catalog(locale).lineLinkCompleted;
}

/** `follow`: the member's binding becomes LINKED and they are told so. */
export const lineFollowed: WebhookEventHandler = async (ctx, event, eventId) => {
  const members = await setFriendStatus(ctx, event, 'LINKED');
  if (members.length === 0) return false;
  await sendLinkCompleted(ctx, members[0] as UserRow, event, eventId);
  return true;
};

/** `unfollow` (the member blocked the account): the binding becomes BLOCKED. */
export const lineUnfollowed: WebhookEventHandler = async (ctx, event) =>
  (await setFriendStatus(ctx, event, 'BLOCKED')).length > 0;

/** Sets the friendship status of the members with the event's LINE userId; returns them. */
async function setFriendStatus(
  ctx: WebhookContext,
  event: LineUserEvent,
  status: 'LINKED' | 'BLOCKED',
): Promise<UserRow[]> {
  const { db, log, tenantId } = ctx;
  const lineUserId = event.source.userId;
  const members = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.lineUserId, lineUserId)));
  if (members.length === 0) {
    // A friend who never logged in through WORKPLACE: nothing to link.
    log.info('line webhook: event from an unknown LINE user', {
      tenant: tenantId,
      type: event.type,
    });
    return [];
  }
  const at = new Date().toISOString();
  await db.batch([
    db
      .update(users)
      .set(
        status === 'LINKED'
          ? { lineStatus: status, lineLinkedAt: at, updatedAt: at }
          : { lineStatus: status, updatedAt: at },
      )
      .where(and(eq(users.tenantId, tenantId), eq(users.lineUserId, lineUserId))),
    ...members.map((m) =>
      auditStatement(
        db,
        {
          tenantId,
          actor: 'line',
          action: status === 'LINKED' ? 'binding.line.follow' : 'binding.line.unfollow',
          target: m.userId,
          detail: { was: m.lineStatus, status },
        },
        at,
      ),
    ),
  ]);
  return members;
}

async function sendLinkCompleted(
  ctx: WebhookContext,
  member: UserRow,
  event: LineUserEvent,
  eventId: string | null,
) {
  const { env, creds, log, tenantId } = ctx;
  if (!creds || !member.lineUserId) return;
  const token = await lineChannelToken(ctx.tokens, tenantId, creds);
  if (!token?.ok) {
    log.warn('line webhook: no channel token for the completion message', { tenant: tenantId });
    return;
  }
  const channelAccessToken = token.token;
  const text = linkCompletedText(member.locale as Locale);
  if (typeof event.replyToken === 'string' && event.replyToken !== '') {
    const r = await replyMessage({
      apiBase: env.LINE_API_BASE,
      channelAccessToken,
      replyToken: event.replyToken,
      messages: [{ type: 'text', text }],
      timeoutMs: LINE_LINK_TIMEOUT_MS,
    });
    if (r.ok) return;
    log.warn('line webhook: reply failed, pushing instead', { tenant: tenantId, reason: r.reason });
  }
  const pushed = await pushText({
    apiBase: env.LINE_API_BASE,
    channelAccessToken,
    to: member.lineUserId,
    text,
    retryKey: await lineRetryKey(`link-completed:${tenantId}:${eventId ?? member.id}`),
    timeoutMs: LINE_LINK_TIMEOUT_MS,
  });
  if (!pushed.ok) {
    log.warn('line webhook: completion message not sent', {
      tenant: tenantId,
      reason: pushed.reason,
    });
  }
}
