/**
 * Throttling of sendTestNotification: a test message costs what a real one costs (a LINE push
 * counts against the tenant's monthly quota, PROVIDERS.md "v2 facts"), so each caller may send
 * only a few per channel in a window. Each allowed test is an audit entry
 * (`notification.test`), written by one conditional INSERT … SELECT that counts the caller's
 * recent ones: concurrent calls cannot all slip under the limit.
 */
import type { Channel } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import type { Principal } from './auth.ts';
import { InputError } from './errors.ts';
import { newId } from './ids.ts';

export const TEST_WINDOW_MS = 10 * 60_000;
/** Tests per caller, per channel, per window: members test their own binding, admins anyone's. */
export const TEST_LIMITS: Readonly<Record<'admin' | 'user', number>> = { admin: 20, user: 3 };
const ACTION = 'notification.test';

/**
 * Records one test notification by `actor` on `channel`, or refuses it with RATE_LIMITED
 * (saying when the next one is allowed) when the caller already sent their limit in the window.
 */
export async function reserveTestNotification(
  db: Db,
  actor: Principal,
  channel: Channel,
  recipient: string,
  now = Date.now(),
): Promise<void> {
  const limit = actor.role === 'admin' ? TEST_LIMITS.admin : TEST_LIMITS.user;
  const at = new Date(now).toISOString();
  const since = new Date(now - TEST_WINDOW_MS).toISOString();
  const inserted = await db.$client
    .prepare(
      `insert into audit_log (id, tenant_id, at, actor, action, target, detail)
       select ?1, ?2, ?3, ?4, ?5, ?6, ?7
       where (select count(*) from audit_log
              where tenant_id = ?2 and at > ?8 and action = ?5 and actor = ?4 and target = ?6) < ?9`,
    )
    .bind(
      newId(),
      actor.tenantId,
      at,
      actor.subject,
      ACTION,
      channel,
      JSON.stringify({ userId: recipient }),
      since,
      limit,
    )
    .run();
  if (inserted.meta.changes > 0) return;
  const recent = await db.$client
    .prepare(
      `select at from audit_log
       where tenant_id = ?1 and at > ?2 and action = ?3 and actor = ?4 and target = ?5
       order by at desc limit ?6`,
    )
    .bind(actor.tenantId, since, ACTION, actor.subject, channel, limit)
    .all<{ at: string }>();
  const oldest = recent.results.at(-1)?.at ?? at;
  const retryAt = new Date(Date.parse(oldest) + TEST_WINDOW_MS);
  const minutes = Math.round(TEST_WINDOW_MS / 60_000);
  throw new InputError([
    {
      code: 'RATE_LIMITED',
      message: `At most ${limit} test notifications per ${minutes} minutes on ${channel}; try again after ${retryAt.toISOString()}`,
      field: ['channel'],
    },
  ]);
}
