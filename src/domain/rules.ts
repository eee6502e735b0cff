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
  /** Members cannot switch this cell off. */
  required: boolean;
  /** Ignores members' quiet hours and digests. */
  urgent: boolean;
}

/** A cell as setNotificationRules takes it: `required` / `urgent` left out stay as they are. */
export interface NotificationRuleInput {
  type: NotificationType;
  channel: Channel;
  enabled: boolean;
  required?: boolean | null;
  urgent?: boolean | null;
}

/** What routing needs of a switched-on cell. */
export interface RuleFlags {
  required: boolean;
  urgent: boolean;
}

/** The whole type × channel matrix; anything an admin never turned on is off. */
export async function listRules(db: Db, tenantId: string): Promise<NotificationRule[]> {
  const rows = await db
    .select()
    .from(notificationRules)
    .where(eq(notificationRules.tenantId, tenantId));
  const byCell = new Map(rows.map((r) => [`${r.type}/${r.channel}`, r]));
  return NOTIFICATION_TYPES.flatMap((type) =>
    CHANNELS.map((channel) => {
      const r = byCell.get(`${type}/${channel}`);
      return {
        type,
        channel,
        enabled: r?.enabled ?? false,
        required: r?.required ?? false,
        urgent: r?.urgent ?? false,
      };
    }),
  );
}

/** Channels switched on for one notification type, with their required / urgent flags. */
export async function channelsFor(
  db: Db,
  tenantId: string,
  type: NotificationType,
): Promise<Map<Channel, RuleFlags>> {
  const rows = await db
    .select({
      channel: notificationRules.channel,
      required: notificationRules.required,
      urgent: notificationRules.urgent,
    })
    .from(notificationRules)
    .where(
      and(
        eq(notificationRules.tenantId, tenantId),
        eq(notificationRules.type, type),
        eq(notificationRules.enabled, true),
      ),
    );
  return new Map(
    rows.map((r) => [r.channel as Channel, { required: r.required, urgent: r.urgent }]),
  );
}

/** Sets the given cells of the matrix (others unchanged) with one audit entry. */
export async function setRules(db: Db, actor: Principal, rules: readonly NotificationRuleInput[]) {
  const seen = new Map<string, string>();
  rules.forEach((r, i) => {
    const key = `${r.type}/${r.channel}`;
    const value = `${r.enabled}/${r.required ?? '-'}/${r.urgent ?? '-'}`;
    if (seen.has(key) && seen.get(key) !== value) {
      throw new InputError([
        {
          code: 'INVALID',
          message: `${r.type} × ${r.channel} is given twice with different values`,
          field: ['rules', String(i)],
        },
      ]);
    }
    seen.set(key, value);
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
          required: r.required ?? false,
          urgent: r.urgent ?? false,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [notificationRules.tenantId, notificationRules.type, notificationRules.channel],
          set: {
            enabled: r.enabled,
            ...(r.required != null ? { required: r.required } : {}),
            ...(r.urgent != null ? { urgent: r.urgent } : {}),
            updatedAt: now,
          },
        }),
    );
    const audit = auditStatement(
      db,
      {
        tenantId: actor.tenantId,
        actor: actor.subject,
        action: 'rules.set',
        detail: rules.map(ruleDetail).join(', '),
      },
      now,
    );
    await db.batch([audit, ...writes]);
  }
  return listRules(db, actor.tenantId);
}

/** `TYPE/CHANNEL=on` plus `,required` / `,urgent` (or `,not required` …) when given. */
function ruleDetail(r: NotificationRuleInput): string {
  const flags = [
    r.required == null ? null : r.required ? 'required' : 'not required',
    r.urgent == null ? null : r.urgent ? 'urgent' : 'not urgent',
  ].filter(Boolean);
  return `${r.type}/${r.channel}=${r.enabled ? 'on' : 'off'}${flags.map((f) => `,${f}`).join('')}`;
}
