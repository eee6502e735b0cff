/**
 * A member's notification preferences (updateMyPreferences): the cells of the rule matrix they
 * switched off, their quiet hours and their digest. Stored as one row per member; no row means
 * everything follows the rules.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Channel, Locale, NotificationType } from '../../adapters/types.ts';
import { type Db, inJson } from '../../db/client.ts';
import { memberPreferences, notificationRules } from '../../db/schema.ts';
import { auditStatement } from '../audit.ts';
import type { Principal } from '../auth.ts';
import { InputError, type UserError } from '../errors.ts';
import type { UserRow } from '../users.ts';
import type { DigestSettings } from './digest-schedule.ts';
import type { QuietHours } from './quiet-hours.ts';
import type { Weekday } from './zoned-time.ts';

export interface ChannelChoice {
  type: NotificationType;
  channel: Channel;
  enabled: boolean;
}

export interface Preferences {
  /** Only the cells switched off; everything else follows the rules. */
  channelsOff: { type: NotificationType; channel: Channel }[];
  quietHours: QuietHours | null;
  digest: DigestSettings | null;
}

/** What updateMyPreferences was given: a field left out (undefined) stays, null clears. */
export interface PreferencesInput {
  channels?: ChannelChoice[] | null;
  quietHours?: { start: string; end: string; days: Weekday[]; timeZone?: string | null } | null;
  digest?: { types: NotificationType[]; at: string[]; timeZone?: string | null } | null;
}

export const NO_PREFERENCES: Preferences = { channelsOff: [], quietHours: null, digest: null };

/** The usual zone of a member's locale, when quiet hours or a digest name none. */
export const LOCALE_TIME_ZONES: Record<Locale, string> = {
  JA: 'Asia/Tokyo',
  KO: 'Asia/Seoul',
  EN: 'Asia/Tokyo',
};

type Row = typeof memberPreferences.$inferSelect;

function fromRow(row: Row | undefined): Preferences {
  if (!row) return NO_PREFERENCES;
  return {
    channelsOff: JSON.parse(row.channelsOff) as Preferences['channelsOff'],
    quietHours: row.quietHours ? (JSON.parse(row.quietHours) as QuietHours) : null,
    digest: row.digest ? (JSON.parse(row.digest) as DigestSettings) : null,
  };
}

/** Preferences of members by row id (members without a row get NO_PREFERENCES). */
export async function preferencesOf(
  db: Db,
  tenantId: string,
  userRowIds: readonly string[],
): Promise<Map<string, Preferences>> {
  const rows = userRowIds.length
    ? await db
        .select()
        .from(memberPreferences)
        .where(
          and(
            eq(memberPreferences.tenantId, tenantId),
            inJson(memberPreferences.userRowId, [...new Set(userRowIds)]),
          ),
        )
    : [];
  const byRow = new Map(rows.map((r) => [r.userRowId, r]));
  return new Map(userRowIds.map((id) => [id, fromRow(byRow.get(id))]));
}

/**
 * Preferences of the members with these WORKPLACE ids, read in the same round trip as the
 * members themselves (emit): keyed by member row id.
 */
export async function preferencesByUserIds(
  db: Db,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, Preferences>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(memberPreferences)
    .where(
      and(
        eq(memberPreferences.tenantId, tenantId),
        sql`${memberPreferences.userRowId} in (select id from users where tenant_id = ${tenantId} and user_id in (select value from json_each(${JSON.stringify([...new Set(userIds)])})))`,
      ),
    );
  return new Map(rows.map((r) => [r.userRowId, fromRow(r)]));
}

/**
 * Applies updateMyPreferences for `member` (validated shapes; zones already checked). Switching
 * off a required cell is refused with the cell's field; nothing is stored when anything is wrong.
 */
export async function updatePreferences(
  db: Db,
  actor: Principal,
  member: UserRow,
  input: PreferencesInput,
): Promise<Preferences> {
  const tenantId = actor.tenantId;
  const [current] = (await preferencesOf(db, tenantId, [member.id])).values();
  const next: Preferences = { ...(current ?? NO_PREFERENCES) };
  const zone = LOCALE_TIME_ZONES[member.locale as Locale] ?? 'Asia/Tokyo';

  if (input.channels !== undefined) {
    const choices = input.channels ?? [];
    const errors: UserError[] = [];
    const seen = new Map<string, boolean>();
    choices.forEach((c, i) => {
      const key = `${c.type}/${c.channel}`;
      if (seen.has(key) && seen.get(key) !== c.enabled) {
        errors.push({
          code: 'INVALID',
          message: `${c.type} on ${c.channel} is given twice with different values`,
          field: ['input', 'channels', String(i)],
        });
      }
      seen.set(key, c.enabled);
    });
    const off = choices.filter((c) => !c.enabled);
    if (off.length > 0) {
      const required = await db
        .select({ type: notificationRules.type, channel: notificationRules.channel })
        .from(notificationRules)
        .where(and(eq(notificationRules.tenantId, tenantId), eq(notificationRules.required, true)));
      const locked = new Set(required.map((r) => `${r.type}/${r.channel}`));
      choices.forEach((c, i) => {
        if (!c.enabled && locked.has(`${c.type}/${c.channel}`)) {
          errors.push({
            code: 'INVALID',
            message: `${c.type} on ${c.channel} is required by your administrator and cannot be switched off`,
            field: ['input', 'channels', String(i), 'enabled'],
          });
        }
      });
    }
    if (errors.length > 0) throw new InputError(errors);
    const unique = new Map(off.map((c) => [`${c.type}/${c.channel}`, c]));
    next.channelsOff = [...unique.values()].map((c) => ({ type: c.type, channel: c.channel }));
  }
  if (input.quietHours !== undefined) {
    const q = input.quietHours;
    next.quietHours = q
      ? { start: q.start, end: q.end, days: [...new Set(q.days)], timeZone: q.timeZone ?? zone }
      : null;
  }
  if (input.digest !== undefined) {
    const d = input.digest;
    next.digest = d
      ? {
          types: [...new Set(d.types)],
          at: [...new Set(d.at)].sort(),
          timeZone: d.timeZone ?? zone,
        }
      : null;
  }

  const now = new Date().toISOString();
  const values = {
    channelsOff: JSON.stringify(next.channelsOff),
    quietHours: next.quietHours ? JSON.stringify(next.quietHours) : null,
    digest: next.digest ? JSON.stringify(next.digest) : null,
    updatedAt: now,
  };
  // A stored row gets only the fields this call names: two partial updates at once both stay
  // ("a field left out stays"), where writing the whole merged row lost one of them.
  const named = {
    ...(input.channels !== undefined ? { channelsOff: values.channelsOff } : {}),
    ...(input.quietHours !== undefined ? { quietHours: values.quietHours } : {}),
    ...(input.digest !== undefined ? { digest: values.digest } : {}),
    updatedAt: now,
  };
  await db.batch([
    db
      .insert(memberPreferences)
      .values({ tenantId, userRowId: member.id, ...values })
      .onConflictDoUpdate({
        target: [memberPreferences.tenantId, memberPreferences.userRowId],
        set: named,
      }),
    auditStatement(
      db,
      {
        tenantId,
        actor: actor.subject,
        action: 'preferences.update',
        target: member.userId,
        detail: {
          ...(input.channels !== undefined
            ? { channelsOff: next.channelsOff.map((c) => `${c.type}/${c.channel}`) }
            : {}),
          ...(input.quietHours !== undefined ? { quietHours: next.quietHours } : {}),
          ...(input.digest !== undefined ? { digest: next.digest } : {}),
        },
      },
      now,
    ),
  ]);
  // What is stored now, with any change made meanwhile by another call.
  const [stored] = (await preferencesOf(db, tenantId, [member.id])).values();
  return stored ?? next;
}
