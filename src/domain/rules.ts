/** Notification rules (通知管理): which channels receive which workflow notification types. */
import { and, eq } from 'drizzle-orm';
import type { Channel, NotificationType } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { notificationRules } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { InputError } from './errors.ts';

export const CHANNELS: readonly Channel[] = ['LINE_WORKS', 'SLACK', 'GOOGLE_CHAT', 'LINE'];
export const NOTIFICATION_TYPES: readonly NotificationType[] = [
  'APPROVAL_REQUESTED',
  'APPROVED',
  'REJECTED',
  'RETURNED',
  'COMPLETED',
  'COMMENTED',
  'CIRCULATED',
  'WITHDRAWN',
  'REMINDER',
];

export interface NotificationRule {
  type: NotificationType;
  channel: Channel;
  enabled: boolean;
}

/** The whole type × channel matrix; anything an admin never turned on is off. */
export async function listRules(db: Db, tenantId: string): Promise<NotificationRule[]> {
  const rows = await db
    .select()
    .from(notificationRules)
    .where(eq(notificationRules.tenantId, tenantId));
  const on = new Set(rows.filter((r) => r.enabled).map((r) => `${r.type}/${r.channel}`));
  return NOTIFICATION_TYPES.flatMap((type) =>
    CHANNELS.map((channel) => ({ type, channel, enabled: on.has(`${type}/${channel}`) })),
  );
}

/** Channels switched on for one notification type. */
export async function channelsFor(db: Db, tenantId: string, type: NotificationType) {
  const rows = await db
    .select({ channel: notificationRules.channel })
    .from(notificationRules)
    .where(
      and(
        eq(notificationRules.tenantId, tenantId),
        eq(notificationRules.type, type),
        eq(notificationRules.enabled, true),
      ),
    );
  return new Set(rows.map((r) => r.channel as Channel));
}

/** Sets the given cells of the matrix (others unchanged) with one audit entry. */
export async function setRules(db: Db, actor: Principal, rules: readonly NotificationRule[]) {
  const seen = new Map<string, boolean>();
  rules.forEach((r, i) => {
    const key = `${r.type}/${r.channel}`;
    if (seen.has(key) && seen.get(key) !== r.enabled) {
      throw new InputError([
        {
          code: 'INVALID',
          message: `${r.type} × ${r.channel} is given twice with different values`,
          field: ['rules', String(i)],
        },
      ]);
    }
    seen.set(key, r.enabled);
  });
  if (rules.length > 0) {
    const now = new Date().toISOString();
    const writes = rules.map((r) =>
      db
        .insert(notificationRules)
        .values({
          tenantId: actor.tenantId,
          type: r.type,
          channel: r.channel,
          enabled: r.enabled,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [notificationRules.tenantId, notificationRules.type, notificationRules.channel],
          set: { enabled: r.enabled, updatedAt: now },
        }),
    );
    const audit = auditStatement(
      db,
      {
        tenantId: actor.tenantId,
        actor: actor.subject,
        action: 'rules.set',
        detail: rules.map((r) => `${r.type}/${r.channel}=${r.enabled ? 'on' : 'off'}`).join(', '),
      },
      now,
    );
    await db.batch([audit, ...writes]);
  }
  return listRules(db, actor.tenantId);
}
