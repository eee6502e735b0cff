/**
 * LINE's monthly message quota as Renkei keeps it (PROVIDERS.md, v2 facts › LINE): LINE's last
 * reading (limit, used, checkedAt), Renkei's own pushes since, and whether LINE said the month
 * is used up. Pushes claim room here before they go, so the consumer stops at the limit instead
 * of learning it from 429s, and admins read the same numbers under `integrations { line }`.
 */
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { integrations, lineQuotas } from '../db/schema.ts';

export type LineQuotaRow = typeof lineQuotas.$inferSelect;

/** From this share of the limit on, the LINE integration's lastError says so. */
export const WARN_PERCENT = 80;

/**
 * Why a LINE delivery ends FAILED without a push. Members read their own deliveries, so the
 * reason carries no numbers: those are for admins, in the integration's lastError.
 */
export const QUOTA_USED_UP =
  'LINE monthly message quota used up: not sent; LINE messages resume when the month turns ' +
  '(Japan time) or the company upgrades its LINE plan';

const TOKYO_OFFSET_MS = 9 * 3_600_000;

/**
 * The month LINE counts in, `YYYY-MM`. LINE's reference only says "the current month"; its
 * plans are billed in Japan, so this assumes the Asia/Tokyo calendar month (UTC+9, no
 * daylight saving time).
 */
export function lineMonth(nowMs = Date.now()): string {
  return new Date(nowMs + TOKYO_OFFSET_MS).toISOString().slice(0, 7);
}

/** The instant the current LINE month began (00:00 Asia/Tokyo on the 1st), as ISO text. */
export function lineMonthStart(nowMs = Date.now()): string {
  const d = new Date(nowMs + TOKYO_OFFSET_MS);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - TOKYO_OFFSET_MS).toISOString();
}

/** `LineQuota` of the contract. */
export interface LineQuotaView {
  limit: number | null;
  used: number;
  checkedAt: string;
}

/**
 * What admins see: LINE's count at `checkedAt` plus the pushes Renkei let through since (LINE
 * has them too, but Renkei has not read them back yet); null before the first good read.
 */
export function lineQuotaView(row: LineQuotaRow | null | undefined): LineQuotaView | null {
  if (!row || row.checkedAt === null || row.used === null) return null;
  return { limit: row.quotaLimit, used: row.used + row.pushed, checkedAt: row.checkedAt };
}

/**
 * The quota in admin words for the integration's lastError, or null when there is nothing to
 * act on: a failed read, ≥ 80 % used, or used up (by Renkei's count or by LINE's refusal).
 * Figures of an earlier month say nothing about this one and are left out.
 */
export function lineQuotaNotice(
  row: LineQuotaRow | null | undefined,
  nowMs = Date.now(),
): string | null {
  if (!row) return null;
  const parts: string[] = [];
  if (row.error) {
    parts.push(
      `LINE monthly quota not read: ${row.error} (${row.checkedAt ? `last read ${row.checkedAt}` : 'never read'}; Renkei tries again after sending, daily and on verifyIntegration)`,
    );
  }
  if (row.month === lineMonth(nowMs)) {
    const stop =
      'LINE deliveries end FAILED without being sent until the month turns (the 1st, Japan time) ' +
      'or the plan is upgraded in LINE Official Account Manager and verifyIntegration(kind: LINE) shows room';
    if (row.exhaustedAt) {
      parts.push(
        `LINE monthly quota used up: LINE refused a push at ${row.exhaustedAt} with "You have reached your monthly limit."; ${stop}`,
      );
    } else if (row.quotaLimit !== null && row.used !== null) {
      const used = row.used + row.pushed;
      const limit = row.quotaLimit;
      const percent = limit > 0 ? Math.floor((used * 100) / limit) : 100;
      if (used >= limit) {
        parts.push(
          `LINE monthly quota used up: ${used} of ${limit} messages used (${percent} %); ${stop}`,
        );
      } else if (used * 100 >= WARN_PERCENT * limit) {
        parts.push(
          `LINE monthly quota: ${used} of ${limit} messages used (${percent} %); pushes stop at ${limit} until the month turns (the 1st, Japan time) or the plan is upgraded in LINE Official Account Manager`,
        );
      }
    }
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

export async function readLineQuota(db: Db, tenantId: string): Promise<LineQuotaRow | null> {
  return (
    (await db.query.lineQuotas.findFirst({ where: eq(lineQuotas.tenantId, tenantId) })) ?? null
  );
}

/** Room claimed for one consumer batch. */
export interface LinePushClaim {
  month: string;
  requested: number;
  granted: number;
  /** The row as it was before the claim (null: never read). */
  before: LineQuotaRow | null;
  /** The row after the claim when it counted the pushes (same month), else null. */
  after: LineQuotaRow | null;
}

/**
 * Claims room for up to `count` pushes, atomically (one D1 batch: concurrent consumer batches
 * cannot both take the last message). Without a reading, or with one of an earlier month (LINE
 * has reset since), everything is granted and LINE's answer decides; after LINE's refusal this
 * month, nothing is.
 */
export async function claimLinePushes(
  db: Db,
  tenantId: string,
  count: number,
  nowMs = Date.now(),
): Promise<LinePushClaim> {
  const month = lineMonth(nowMs);
  const n = sql`cast(${count} as integer)`;
  const room = sql`case
    when ${lineQuotas.exhaustedAt} is not null then 0
    when ${lineQuotas.quotaLimit} is null or ${lineQuotas.used} is null then ${n}
    else min(${n}, max(0, ${lineQuotas.quotaLimit} - ${lineQuotas.used} - ${lineQuotas.pushed}))
  end`;
  const [before, after] = await db.batch([
    db.select().from(lineQuotas).where(eq(lineQuotas.tenantId, tenantId)),
    db
      .update(lineQuotas)
      .set({ pushed: sql`${lineQuotas.pushed} + ${room}` })
      .where(and(eq(lineQuotas.tenantId, tenantId), eq(lineQuotas.month, month)))
      .returning(),
  ]);
  const was = before[0] ?? null;
  const now = after[0] ?? null;
  const granted = was && now ? Math.max(0, now.pushed - was.pushed) : count;
  return { month, requested: count, granted: Math.min(count, granted), before: was, after: now };
}

/**
 * After the batch's pushes: gives back room claimed but not used (retries, failures), and records
 * LINE's "You have reached your monthly limit." (`refused`) for this month. Says whether LINE's
 * own count should be read now (`now`: the batch crossed 80 % or the limit by Renkei's count),
 * when due (`due`: something was pushed or refused) or not at all.
 */
export async function settleLinePushes(
  db: Db,
  tenantId: string,
  claim: LinePushClaim,
  outcome: { sent: number; refused: boolean },
  nowMs = Date.now(),
): Promise<'now' | 'due' | 'no'> {
  const at = new Date(nowMs).toISOString();
  const unused = claim.granted - outcome.sent;
  const writes = [];
  if (claim.after && unused > 0) {
    // Only against the reading the claim counted on: a read since has reset the count.
    writes.push(
      db
        .update(lineQuotas)
        .set({ pushed: sql`max(0, ${lineQuotas.pushed} - cast(${unused} as integer))` })
        .where(
          and(
            eq(lineQuotas.tenantId, tenantId),
            eq(lineQuotas.month, claim.month),
            claim.after.checkedAt === null
              ? isNull(lineQuotas.checkedAt)
              : eq(lineQuotas.checkedAt, claim.after.checkedAt),
          ),
        ),
    );
  }
  if (outcome.refused) {
    const sameMonth = sql`${lineQuotas.month} = ${claim.month}`;
    writes.push(
      db
        .insert(lineQuotas)
        .values({ tenantId, month: claim.month, exhaustedAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: lineQuotas.tenantId,
          set: {
            month: claim.month,
            exhaustedAt: at,
            // An earlier month's figures do not describe this one.
            quotaLimit: sql`case when ${sameMonth} then ${lineQuotas.quotaLimit} else null end`,
            used: sql`case when ${sameMonth} then ${lineQuotas.used} else null end`,
            checkedAt: sql`case when ${sameMonth} then ${lineQuotas.checkedAt} else null end`,
            pushed: sql`case when ${sameMonth} then ${lineQuotas.pushed} else 0 end`,
            updatedAt: at,
          },
        }),
    );
  }
  if (writes.length > 0) await db.batch(writes as [never, ...never[]]);
  if (outcome.sent === 0 && !outcome.refused) return 'no';
  const b = claim.before;
  if (b && b.month === claim.month && b.quotaLimit !== null && b.used !== null) {
    const from = b.used + b.pushed;
    const to = from + outcome.sent;
    const limit = b.quotaLimit;
    if (
      (from * 100 < WARN_PERCENT * limit && to * 100 >= WARN_PERCENT * limit) ||
      (from < limit && to >= limit)
    ) {
      return 'now';
    }
  }
  return 'due';
}

/**
 * Takes the turn to read LINE's quota when the last attempt is older than `minAgeMs` (or there
 * was none): one D1 statement, so of several consumer batches finishing together one reads.
 */
export async function claimLineQuotaRead(
  db: Db,
  tenantId: string,
  minAgeMs: number,
  nowMs = Date.now(),
): Promise<boolean> {
  const at = new Date(nowMs).toISOString();
  const cutoff = new Date(nowMs - minAgeMs).toISOString();
  const rows = await db
    .insert(lineQuotas)
    .values({ tenantId, month: lineMonth(nowMs), attemptedAt: at, updatedAt: at })
    .onConflictDoUpdate({
      target: lineQuotas.tenantId,
      set: { attemptedAt: at },
      setWhere: or(isNull(lineQuotas.attemptedAt), lt(lineQuotas.attemptedAt, cutoff)),
    })
    .returning({ tenantId: lineQuotas.tenantId });
  return rows.length > 0;
}

/**
 * Records a good read: LINE's limit and count replace Renkei's estimate. LINE's refusal earlier
 * this month stands until the month turns or a verification (`verified`) shows room again.
 */
export async function recordLineQuotaRead(
  db: Db,
  tenantId: string,
  reading: { limit: number | null; used: number },
  options: { verified?: boolean } = {},
  nowMs = Date.now(),
): Promise<void> {
  const at = new Date(nowMs).toISOString();
  const month = lineMonth(nowMs);
  const room = reading.limit === null || reading.used < reading.limit;
  const keepRefusal = !(options.verified && room);
  const values = {
    tenantId,
    month,
    quotaLimit: reading.limit,
    used: reading.used,
    checkedAt: at,
    pushed: 0,
    exhaustedAt: null,
    attemptedAt: at,
    error: null,
    updatedAt: at,
  };
  await db
    .insert(lineQuotas)
    .values(values)
    .onConflictDoUpdate({
      target: lineQuotas.tenantId,
      set: {
        ...values,
        tenantId: undefined,
        exhaustedAt: keepRefusal
          ? sql`case when ${lineQuotas.month} = ${month} then ${lineQuotas.exhaustedAt} else null end`
          : null,
      },
    });
}

/** Records a failed read (the figures of the last good one stay). */
export async function recordLineQuotaFailure(
  db: Db,
  tenantId: string,
  reason: string,
  nowMs = Date.now(),
): Promise<void> {
  const at = new Date(nowMs).toISOString();
  await db
    .insert(lineQuotas)
    .values({ tenantId, month: lineMonth(nowMs), attemptedAt: at, error: reason, updatedAt: at })
    .onConflictDoUpdate({
      target: lineQuotas.tenantId,
      set: { attemptedAt: at, error: reason, updatedAt: at },
    });
}

/** A failed read is tried again by the cron after this long. */
export const RETRY_READ_MS = 3_600_000;
/** A good read older than this is renewed by the cron. */
export const DAILY_READ_MS = 86_400_000;

/**
 * Tenants whose LINE quota the cron should read now, oldest attempt first, at most `limit`:
 * LINE enabled and never read, or the last good read over a day old (failures retried hourly),
 * or the figures of an earlier month and no attempt yet this month.
 */
export async function dueLineQuotaTenants(
  db: Db,
  limit: number,
  nowMs = Date.now(),
): Promise<string[]> {
  const hourAgo = new Date(nowMs - RETRY_READ_MS).toISOString();
  const dayAgo = new Date(nowMs - DAILY_READ_MS).toISOString();
  const month = lineMonth(nowMs);
  const monthStart = lineMonthStart(nowMs);
  const attempted = sql`coalesce(${lineQuotas.attemptedAt}, '')`;
  const checked = sql`coalesce(${lineQuotas.checkedAt}, '')`;
  const rows = await db
    .select({ tenantId: integrations.tenantId })
    .from(integrations)
    .leftJoin(lineQuotas, eq(lineQuotas.tenantId, integrations.tenantId))
    .where(
      and(
        eq(integrations.kind, 'LINE'),
        eq(integrations.enabled, true),
        or(
          isNull(lineQuotas.tenantId),
          and(
            sql`${attempted} < ${hourAgo}`,
            or(sql`${checked} < ${dayAgo}`, sql`${lineQuotas.month} <> ${month}`),
          ),
          and(sql`${lineQuotas.month} <> ${month}`, sql`${attempted} < ${monthStart}`),
        ),
      ),
    )
    .orderBy(asc(attempted))
    .limit(limit);
  return rows.map((r) => r.tenantId);
}
