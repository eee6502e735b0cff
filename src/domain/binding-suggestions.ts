/**
 * Binding suggestions (issue 15): accounts findBindings proposed, confirmed or rejected by an
 * admin (anyone's) or by the member (their own). Confirming writes the binding exactly as the
 * member would: a Slack member id as updateMyBindings stores it, a LINE WORKS id as
 * `lineWorksUserId`. A member's own binding is never overwritten by a suggestion.
 */
import { and, count, desc, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Db, inJson, sameTenant } from '../db/client.ts';
import { bindingSuggestions, users } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { InputError, type UserError } from './errors.ts';
import { fromGlobalId } from './ids.ts';
import { pageOf } from './pagination.ts';
import { freeForMember, getUserByUserId } from './users.ts';

export type SuggestionRow = typeof bindingSuggestions.$inferSelect;
export type SuggestionStatus = 'PROPOSED' | 'CONFIRMED' | 'REJECTED';

/** At most this many ids per confirm or reject call. */
export const MAX_RESOLVE_IDS = 100;

/** Newest first; the cursor is the (createdAt, id) of the last one seen. */
export async function listSuggestions(
  db: Db,
  tenantId: string,
  opts: {
    first: number;
    after: { createdAt: string; id: string } | null;
    channel: string | null;
    status: string | null;
  },
) {
  const filters: SQL[] = [eq(bindingSuggestions.tenantId, tenantId)];
  if (opts.channel) filters.push(eq(bindingSuggestions.channel, opts.channel));
  if (opts.status) filters.push(eq(bindingSuggestions.status, opts.status));
  const base = and(...filters);
  const after = opts.after;
  const page = after
    ? and(
        base,
        or(
          lt(bindingSuggestions.createdAt, after.createdAt),
          and(
            eq(bindingSuggestions.createdAt, after.createdAt),
            lt(bindingSuggestions.id, after.id),
          ),
        ),
      )
    : base;
  const [rows, total] = await db.batch([
    db
      .select()
      .from(bindingSuggestions)
      .where(page)
      .orderBy(desc(bindingSuggestions.createdAt), desc(bindingSuggestions.id))
      .limit(opts.first + 1),
    db.select({ n: count() }).from(bindingSuggestions).where(base),
  ]);
  return pageOf(rows, opts.first, total);
}

/** PROPOSED suggestions of each member row, newest first (User.bindingSuggestions). */
export async function proposedByUserRows(
  db: Db,
  tenantId: string,
  userRowIds: readonly string[],
): Promise<Map<string, SuggestionRow[]>> {
  const out = new Map<string, SuggestionRow[]>();
  if (userRowIds.length === 0) return out;
  const rows = await db
    .select()
    .from(bindingSuggestions)
    .where(
      and(
        eq(bindingSuggestions.tenantId, tenantId),
        eq(bindingSuggestions.status, 'PROPOSED'),
        inJson(bindingSuggestions.userRowId, [...new Set(userRowIds)]),
      ),
    )
    .orderBy(desc(bindingSuggestions.createdAt), desc(bindingSuggestions.id));
  for (const r of rows) out.set(r.userRowId, [...(out.get(r.userRowId) ?? []), r]);
  return out;
}

export async function getSuggestion(db: Db, tenantId: string, id: string) {
  return db.query.bindingSuggestions.findFirst({
    where: and(eq(bindingSuggestions.tenantId, tenantId), eq(bindingSuggestions.id, id)),
  });
}

const notFound = (i: number): UserError => ({
  code: 'NOT_FOUND',
  message: 'No such binding suggestion',
  field: ['ids', String(i)],
});

/**
 * Confirms or rejects suggestions, all or none: an id that is unknown, another tenant's, or (for
 * a member) someone else's is NOT_FOUND (the same answer, so nothing is confirmed to exist); one
 * already resolved, or whose member already has a binding on that channel, is CONFLICT.
 */
export async function resolveSuggestions(
  db: Db,
  principal: Principal,
  globalIds: readonly string[],
  action: 'confirm' | 'reject',
): Promise<{ suggestions: SuggestionRow[]; errors: UserError[] }> {
  const tenantId = principal.tenantId;
  if (globalIds.length === 0 || globalIds.length > MAX_RESOLVE_IDS) {
    throw new InputError([
      {
        code: 'INVALID',
        message: `Give 1 to ${MAX_RESOLVE_IDS} suggestion ids`,
        field: ['ids'],
      },
    ]);
  }
  const rowIds = globalIds.map((g) => {
    const parsed = fromGlobalId(g);
    return parsed?.type === 'BindingSuggestion' ? parsed.rowId : null;
  });
  const wanted = [...new Set(rowIds.filter((r): r is string => r !== null))];
  const rows = wanted.length
    ? await db
        .select()
        .from(bindingSuggestions)
        .where(
          and(
            sameTenant(bindingSuggestions.tenantId, tenantId),
            inJson(bindingSuggestions.id, wanted),
          ),
        )
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  // A member reaches only their own suggestions (and never creates a row by asking).
  const selfRowId =
    principal.role === 'admin'
      ? null
      : ((await getUserByUserId(db, tenantId, principal.subject))?.id ?? '');
  const members = await memberRows(
    db,
    tenantId,
    rows.map((r) => r.userRowId),
  );
  // Who already holds each proposed Slack account: one account reaches one member.
  const holders =
    action === 'confirm' ? await slackHolders(db, tenantId, rows) : new Map<string, string>();
  const errors: UserError[] = [];
  const chosen: SuggestionRow[] = [];
  const seen = new Set<string>();
  const claimed = new Set<string>();
  rowIds.forEach((rowId, i) => {
    const row = rowId ? byId.get(rowId) : undefined;
    if (!row || (selfRowId !== null && row.userRowId !== selfRowId)) {
      errors.push(notFound(i));
      return;
    }
    if (seen.has(row.id)) return;
    seen.add(row.id);
    if (row.status !== 'PROPOSED') {
      errors.push({
        code: 'CONFLICT',
        message: `This suggestion is already ${row.status.toLowerCase()}`,
        field: ['ids', String(i)],
      });
      return;
    }
    if (action === 'confirm') {
      const member = members.get(row.userRowId);
      const bound = member
        ? row.channel === 'SLACK'
          ? member.slackMemberId
          : member.lineWorksUserId
        : null;
      const key = `${row.userRowId}:${row.channel}`;
      if (!member || bound || claimed.has(key)) {
        errors.push({
          code: 'CONFLICT',
          message:
            row.channel === 'SLACK'
              ? 'The member already has a Slack member ID; a suggestion never replaces it'
              : 'The member already has a LINE WORKS id; a suggestion never replaces it',
          field: ['ids', String(i)],
        });
        return;
      }
      const holder = row.channel === 'SLACK' ? holders.get(row.externalId) : undefined;
      if (holder !== undefined && holder !== row.userRowId) {
        errors.push({
          code: 'CONFLICT',
          message: 'This Slack account is already bound to another member',
          field: ['ids', String(i)],
        });
        return;
      }
      claimed.add(key);
      if (row.channel === 'SLACK') holders.set(row.externalId, row.userRowId);
    }
    chosen.push(row);
  });
  if (errors.length > 0) throw new InputError(errors);

  const now = new Date().toISOString();
  const status: SuggestionStatus = action === 'confirm' ? 'CONFIRMED' : 'REJECTED';
  const statements = chosen.flatMap((row) => {
    const member = members.get(row.userRowId);
    const writes = [];
    const bound = row.channel === 'SLACK' ? users.slackMemberId : users.lineWorksUserId;
    if (action === 'confirm') {
      // Exactly what updateMyBindings / upsertUsers store; only while the member has none.
      const set =
        row.channel === 'SLACK'
          ? {
              slackMemberId: row.externalId,
              slackDmChannelId: null,
              slackError: null,
              updatedAt: now,
            }
          : { lineWorksUserId: row.externalId, updatedAt: now };
      writes.push(
        db
          .update(users)
          .set(set)
          .where(
            and(
              eq(users.tenantId, tenantId),
              eq(users.id, row.userRowId),
              sql`${bound} is null`,
              ...(row.channel === 'SLACK'
                ? [freeForMember(users.slackMemberId, tenantId, row.externalId, row.userRowId)]
                : []),
            ),
          ),
      );
    }
    writes.push(
      db
        .update(bindingSuggestions)
        .set({ status, resolvedBy: principal.subject, resolvedAt: now, updatedAt: now })
        .where(
          and(
            eq(bindingSuggestions.tenantId, tenantId),
            eq(bindingSuggestions.id, row.id),
            eq(bindingSuggestions.status, 'PROPOSED'),
            ...(action === 'confirm'
              ? [
                  sql`exists (select 1 from users where users.tenant_id = ${tenantId}
                    and users.id = ${row.userRowId} and ${bound} = ${row.externalId})`,
                ]
              : []),
          ),
        ),
      auditStatement(
        db,
        {
          tenantId,
          actor: principal.subject,
          action: `binding.suggestion.${action}`,
          target: member?.userId ?? null,
          detail: { channel: row.channel, externalId: row.externalId, suggestionId: row.id },
        },
        now,
      ),
    );
    return writes;
  });
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  const after = await db
    .select()
    .from(bindingSuggestions)
    .where(
      and(
        eq(bindingSuggestions.tenantId, tenantId),
        inJson(
          bindingSuggestions.id,
          chosen.map((r) => r.id),
        ),
      ),
    );
  const changed = new Map(after.map((r) => [r.id, r]));
  // Someone bound the member (or resolved the suggestion) between the read and the write.
  const raced = chosen.filter((r) => changed.get(r.id)?.status !== status);
  return {
    suggestions: chosen.flatMap((r) => {
      const row = changed.get(r.id);
      return row && row.status === status ? [row] : [];
    }),
    errors: raced.map((r) => ({
      code: 'CONFLICT' as const,
      message: 'The suggestion changed meanwhile; reload and try again',
      field: ['ids', String(rowIds.indexOf(r.id))],
    })),
  };
}

/** The member row id holding each Slack account that `rows` propose, by account id. */
async function slackHolders(db: Db, tenantId: string, rows: readonly SuggestionRow[]) {
  const ids = [...new Set(rows.filter((r) => r.channel === 'SLACK').map((r) => r.externalId))];
  const held = ids.length
    ? await db
        .select({ id: users.id, slackMemberId: users.slackMemberId })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), inJson(users.slackMemberId, ids)))
    : [];
  return new Map<string, string>(held.map((h) => [h.slackMemberId as string, h.id]));
}

async function memberRows(db: Db, tenantId: string, rowIds: readonly string[]) {
  const ids = [...new Set(rowIds)];
  const rows = ids.length
    ? await db
        .select()
        .from(users)
        .where(and(sameTenant(users.tenantId, tenantId), inJson(users.id, ids)))
    : [];
  return new Map(rows.map((r) => [r.id, r]));
}
