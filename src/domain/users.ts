/** The member directory (synced from WORKPLACE) and each member's channel bindings (マイ情報). */
import { type AnyColumn, and, asc, count, eq, gt, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { parseGoogleChatWebhook } from '../adapters/google-chat/index.ts';
import type { Locale } from '../adapters/types.ts';
import { type Db, inJson } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { auditStatement, auditStatementIfWritten } from './audit.ts';
import type { Principal } from './auth.ts';
import { seal, unseal } from './crypto.ts';
import { InputError, type UserError } from './errors.ts';
import { newId } from './ids.ts';
import { pageOf } from './pagination.ts';

export type UserRow = typeof users.$inferSelect;

export interface UserInput {
  userId: string;
  displayName?: string | null;
  email?: string | null;
  locale?: Locale | null;
  lineWorksUserId?: string | null;
}

export const MAX_USERS_PER_UPSERT = 1000;

/**
 * Inserts or updates members by WORKPLACE user id. A field left out stays as it is; `""`
 * clears displayName, email and lineWorksUserId.
 */
export async function upsertUsers(db: Db, actor: Principal, inputs: readonly UserInput[]) {
  const now = new Date().toISOString();
  const writes = inputs.map((u) => {
    const set: Partial<{
      [K in keyof typeof users.$inferInsert]: (typeof users.$inferInsert)[K] | SQL;
    }> = { updatedAt: now };
    if (u.displayName != null) set.displayName = u.displayName || null;
    if (u.email != null) set.email = u.email || null;
    if (u.locale != null) set.locale = u.locale;
    if (u.lineWorksUserId != null) {
      const next = u.lineWorksUserId || null;
      set.lineWorksUserId = next;
      // Another LINE WORKS account: its resource id (decision clicks) is learned anew.
      set.lineWorksResourceId = sql`case when ${users.lineWorksUserId} is ${next} then ${users.lineWorksResourceId} else null end`;
    }
    return db
      .insert(users)
      .values({
        id: newId(),
        tenantId: actor.tenantId,
        userId: u.userId,
        displayName: u.displayName || null,
        email: u.email || null,
        locale: u.locale ?? 'JA',
        lineWorksUserId: u.lineWorksUserId || null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({ target: [users.tenantId, users.userId], set });
  });
  const ids = inputs.map((u) => u.userId);
  const audit = auditStatement(
    db,
    {
      tenantId: actor.tenantId,
      actor: actor.subject,
      action: 'users.upsert',
      detail: { count: ids.length, userIds: ids.slice(0, 50) },
    },
    now,
  );
  if (writes.length > 0) await db.batch([audit, ...writes]);
  return findUsers(db, actor.tenantId, ids);
}

/** Members by WORKPLACE user id, in the order asked (unknown ids are left out). */
export async function findUsers(db: Db, tenantId: string, userIds: readonly string[]) {
  const rows = userIds.length
    ? await db
        .select()
        .from(users)
        .where(and(eq(users.tenantId, tenantId), inJson(users.userId, [...new Set(userIds)])))
    : [];
  const found = new Map(rows.map((r) => [r.userId, r]));
  return userIds.flatMap((id) => {
    const r = found.get(id);
    return r ? [r] : [];
  });
}

export async function getUserByRowId(db: Db, tenantId: string, rowId: string) {
  return db.query.users.findFirst({
    where: and(eq(users.tenantId, tenantId), eq(users.id, rowId)),
  });
}

export async function getUserByUserId(db: Db, tenantId: string, userId: string) {
  return db.query.users.findFirst({
    where: and(eq(users.tenantId, tenantId), eq(users.userId, userId)),
  });
}

/** The caller's own member row, created on first use when directory sync has not run yet. */
export async function ensureSelf(db: Db, principal: Principal): Promise<UserRow> {
  const existing = await getUserByUserId(db, principal.tenantId, principal.subject);
  if (existing) return existing;
  const now = new Date().toISOString();
  await db
    .insert(users)
    .values({
      id: newId(),
      tenantId: principal.tenantId,
      userId: principal.subject,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing();
  const row = await getUserByUserId(db, principal.tenantId, principal.subject);
  if (!row) throw new Error('member row vanished after insert');
  return row;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** D1 refuses a LIKE pattern longer than 50 bytes. */
const MAX_LIKE_PATTERN_BYTES = 50;

/** `column LIKE pattern` where `\` escapes `%`, `_` and itself (SQLite has no default escape). */
function likeEscaped(column: AnyColumn, pattern: string): SQL {
  return sql`${column} like ${pattern} escape '\\'`;
}

/**
 * The LIKE pattern matching `search` anywhere; a search whose pattern D1 would refuse is an
 * InputError on `search` rather than a failed statement.
 */
export function searchPattern(search: string): string {
  const pattern = `%${escapeLike(search)}%`;
  const bytes = new TextEncoder().encode(pattern).length;
  if (bytes > MAX_LIKE_PATTERN_BYTES) {
    throw new InputError([
      {
        code: 'INVALID',
        message: `search is too long: at most ${MAX_LIKE_PATTERN_BYTES - 2} bytes (a Japanese character is 3, each % _ \\ counts twice)`,
        field: ['search'],
      },
    ]);
  }
  return pattern;
}

/** Members ordered by user id, optionally matching `search` in id, name or email. */
export async function listUsers(
  db: Db,
  tenantId: string,
  opts: { first: number; afterUserId: string | null; search: string | null },
) {
  const filters: SQL[] = [eq(users.tenantId, tenantId)];
  if (opts.search) {
    const pattern = searchPattern(opts.search);
    const m = or(
      likeEscaped(users.userId, pattern),
      likeEscaped(users.displayName, pattern),
      likeEscaped(users.email, pattern),
    );
    if (m) filters.push(m);
  }
  const base = and(...filters);
  const page = opts.afterUserId ? and(base, gt(users.userId, opts.afterUserId)) : base;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(users)
      .where(page)
      .orderBy(asc(users.userId))
      .limit(opts.first + 1),
    db.select({ n: count() }).from(users).where(base),
  ]);
  return pageOf(rows, opts.first, total);
}

function webhookPlace(tenantId: string, rowId: string): string {
  return `user/${tenantId}/${rowId}/googleChatWebhook`;
}

/** The member's Google Chat webhook URL, decrypted, for the delivery consumer only. */
export async function googleChatWebhookOf(
  secretsKey: string,
  row: UserRow,
): Promise<string | null> {
  if (!row.googleChatWebhook) return null;
  return unseal(secretsKey, webhookPlace(row.tenantId, row.id), row.googleChatWebhook);
}

export const SLACK_MEMBER_ID = /^[UW][A-Z0-9]{2,20}$/;

/**
 * Updates the caller's own Slack member id and Google Chat webhook. `""` clears; a changed
 * binding also clears what was learned or reported broken about the old one.
 */
export async function updateMyBindings(
  db: Db,
  secretsKey: string,
  googleChatOrigin: string,
  principal: Principal,
  input: { slackMemberId?: string | null; googleChatWebhookUrl?: string | null },
): Promise<UserRow> {
  const slackId = input.slackMemberId?.trim();
  const webhookUrl = input.googleChatWebhookUrl?.trim();
  const webhook = webhookUrl ? parseGoogleChatWebhook(webhookUrl, googleChatOrigin) : null;
  // Validate before touching anything: a refused update stores nothing, not even the member row.
  const errors: UserError[] = [];
  if (slackId && !SLACK_MEMBER_ID.test(slackId)) {
    errors.push({
      code: 'INVALID',
      message: 'A Slack member ID looks like U0123ABCD (Profile > More > Copy member ID)',
      field: ['input', 'slackMemberId'],
    });
  }
  if (webhook && !webhook.ok) {
    errors.push({
      code: 'INVALID',
      message: webhook.reason,
      field: ['input', 'googleChatWebhookUrl'],
    });
  }
  if (errors.length > 0) throw new InputError(errors);

  const self = await ensureSelf(db, principal);
  const claimed = slackId && slackId !== self.slackMemberId ? slackId : null;
  const set: Partial<typeof users.$inferInsert> = {};
  const detail: Record<string, string> = {};
  if (slackId === '') {
    Object.assign(set, { slackMemberId: null, slackDmChannelId: null, slackError: null });
    detail.slack = 'cleared';
  } else if (claimed) {
    Object.assign(set, { slackMemberId: claimed, slackDmChannelId: null, slackError: null });
    detail.slack = `set ${claimed}`;
  }
  if (webhookUrl === '') {
    Object.assign(set, { googleChatWebhook: null, googleChatSpace: null, googleChatError: null });
    detail.googleChat = 'cleared';
  } else if (webhookUrl && webhook?.ok) {
    set.googleChatWebhook = await seal(
      secretsKey,
      webhookPlace(principal.tenantId, self.id),
      webhookUrl,
    );
    set.googleChatSpace = webhook.space;
    set.googleChatError = null;
    detail.googleChat = `set space ${webhook.space}`;
  }
  if (Object.keys(set).length === 0) return self;
  const now = new Date().toISOString();
  set.updatedAt = now;
  // A Slack member ID reaches one member of the tenant (else that member's DMs and button clicks
  // would count as the caller's): the update takes it only while no other member holds it, so
  // of two members claiming one ID at once one gets it; nothing is written or audited otherwise.
  const free = claimed
    ? freeForMember(users.slackMemberId, principal.tenantId, claimed, self.id)
    : sql`1`;
  const entry = {
    tenantId: principal.tenantId,
    actor: principal.subject,
    action: 'binding.update',
    target: self.userId,
    detail,
  };
  const [updated] = await db.batch([
    db
      .update(users)
      .set(set)
      .where(and(eq(users.tenantId, principal.tenantId), eq(users.id, self.id), free))
      .returning({ id: users.id }),
    auditStatementIfWritten(db, entry, now, users, self.id),
  ]);
  if (updated.length === 0 && claimed) throw new InputError([slackIdTaken()]);
  return (await getUserByRowId(db, principal.tenantId, self.id)) ?? self;
}

/**
 * SQL: no other member of the tenant holds `value` in `column` (a binding reaches one member),
 * for the WHERE of the update that binds it, so two members binding one account at once cannot
 * both succeed.
 */
export function freeForMember(
  column: SQLiteColumn,
  tenantId: string,
  value: string,
  selfId: string,
): SQL {
  return sql`not exists (select 1 from users as other where other.tenant_id = ${tenantId}
    and other.${sql.identifier(column.name)} = ${value} and other.id <> ${selfId})`;
}

function slackIdTaken(): UserError {
  return {
    code: 'CONFLICT',
    message:
      'This Slack member ID is already bound to another member; check that you copied your own (Profile > More > Copy member ID) or ask an admin',
    field: ['input', 'slackMemberId'],
  };
}
