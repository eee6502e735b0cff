/**
 * Absences (マイ不在日程): WORKPLACE's approved absences as Renkei records them. `upsertAbsence` /
 * `cancelAbsence` store the wanted state and enqueue an absence job on the delivery queue (the
 * consumer, calendar-sync.ts, puts it into the member's LINE WORKS calendar); the reads serve
 * `absences` and `node(id:)`.
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
import { and, asc, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { absences } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { calendarEnabled } from './calendar-integration.ts';
import { sendMessages } from './enqueue.ts';
import { InputError } from './errors.ts';
import { newId } from './ids.ts';
import type { AbsenceMessage } from './queue-messages.ts';
import { getUserByUserId } from './users.ts';

export type AbsenceRow = typeof absences.$inferSelect;
export type AbsenceSyncStatus = 'PENDING' | 'SYNCED' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

/** Validated `AbsenceInput` (the graph checks dates, times and the zone). */
export interface AbsenceInput {
  absenceId: string;
  userId: string;
  title: string;
  startDate: string;
  endDate: string;
  allDay: boolean;
  startTime?: string | null;
  endTime?: string | null;
  timeZone: string;
  note?: string | null;
}

export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';
export const MAX_ABSENCES_LISTED = 1000;

/** Fields that define the calendar event: a change in any of them needs a PUT. */
function wanted(input: AbsenceInput, userRowId: string) {
  return {
    userRowId,
    title: input.title,
    startDate: input.startDate,
    endDate: input.endDate,
    allDay: input.allDay,
    startTime: input.allDay ? null : (input.startTime ?? null),
    endTime: input.allDay ? null : (input.endTime ?? null),
    timeZone: input.timeZone,
    note: input.note ?? null,
  };
}

/** Puts absence rows on the queue for the calendar consumer (calendar-sync.ts), one message each. */
export async function enqueueAbsences(queue: Queue, tenantId: string, rowIds: readonly string[]) {
  await sendMessages(
    queue,
    rowIds.map((absenceRowId) => ({
      body: { kind: 'absence', tenantId, absenceRowId } satisfies AbsenceMessage,
    })),
  );
}

/**
 * Records an absence and enqueues its calendar job. Sending the same absence again changes
 * nothing and calls LINE WORKS no more; a changed one is re-synced with a full PUT.
 */
export async function upsertAbsence(
  db: Db,
  queue: Queue<AbsenceMessage>,
  actor: Principal,
  input: AbsenceInput,
): Promise<AbsenceRow> {
  const tenantId = actor.tenantId;
  const user = await getUserByUserId(db, tenantId, input.userId);
  if (!user) {
    throw new InputError([
      {
        code: 'NOT_FOUND',
        message: `Unknown member "${input.userId}" (sync it with upsertUsers first)`,
        field: ['input', 'userId'],
      },
    ]);
  }
  const want = wanted(input, user.id);
  const existing = await findAbsence(db, tenantId, input.absenceId);
  const now = new Date().toISOString();
  const calendar = await calendarEnabled(db, tenantId);
  const same =
    existing &&
    !existing.cancelled &&
    (Object.keys(want) as (keyof typeof want)[]).every((k) => existing[k] === want[k]);
  if (same && (existing.syncStatus === 'SYNCED' || existing.syncStatus === 'PENDING')) {
    return existing;
  }
  const skipped = calendar.enabled ? null : calendar.reason;
  const set = {
    ...want,
    cancelled: false,
    syncStatus: skipped ? 'SKIPPED' : 'PENDING',
    reason: skipped,
    updatedAt: now,
    dueAt: now,
  };
  const id = existing?.id ?? newId();
  const [rows] = await db.batch([
    existing
      ? db
          .update(absences)
          // Counted in SQL: two concurrent changes are two versions, never one.
          .set({ ...set, version: same ? existing.version : sql`${absences.version} + 1` })
          .where(and(eq(absences.tenantId, tenantId), eq(absences.id, existing.id)))
          .returning()
      : db
          .insert(absences)
          .values({ id, tenantId, absenceId: input.absenceId, createdAt: now, ...set })
          // Created concurrently by another call: this one is a change of it, not lost.
          .onConflictDoUpdate({
            target: [absences.tenantId, absences.absenceId],
            set: { ...set, version: sql`${absences.version} + 1` },
          })
          .returning(),
    auditStatement(
      db,
      {
        tenantId,
        actor: actor.subject,
        action: 'absence.upsert',
        target: input.absenceId,
        detail: { userId: input.userId, status: set.syncStatus },
      },
      now,
    ),
  ]);
  const row = rows[0];
  if (!row) throw new Error('absence row vanished after upsert');
  if (row.syncStatus === 'PENDING') {
    await enqueueAbsences(queue, tenantId, [row.id]);
  }
  return row;
}

/** Marks an absence cancelled and enqueues the deletion of its calendar event. */
export async function cancelAbsence(
  db: Db,
  queue: Queue<AbsenceMessage>,
  actor: Principal,
  absenceId: string,
): Promise<AbsenceRow> {
  const tenantId = actor.tenantId;
  const existing = await findAbsence(db, tenantId, absenceId);
  if (!existing) {
    throw new InputError([
      { code: 'NOT_FOUND', message: `No absence "${absenceId}"`, field: ['absenceId'] },
    ]);
  }
  if (existing.cancelled) return existing;
  const now = new Date().toISOString();
  // Nothing was ever put in a calendar and nothing is on its way: done at once.
  const nothingToDelete = !existing.calendarEventId && existing.syncStatus !== 'PENDING';
  const [rows] = await db.batch([
    db
      .update(absences)
      .set({
        cancelled: true,
        version: sql`${absences.version} + 1`,
        // Decided on the row as it is now: a job may have created an event since it was read.
        syncStatus: nothingToDelete
          ? sql`case when ${absences.calendarEventId} is null and ${absences.syncStatus} <> 'PENDING' and ${absences.claimId} is null then 'CANCELLED' else 'PENDING' end`
          : 'PENDING',
        reason: null,
        updatedAt: now,
        dueAt: now,
      })
      .where(and(eq(absences.tenantId, tenantId), eq(absences.id, existing.id)))
      .returning(),
    auditStatement(
      db,
      { tenantId, actor: actor.subject, action: 'absence.cancel', target: absenceId },
      now,
    ),
  ]);
  const row = rows[0] ?? existing;
  if (row.syncStatus === 'PENDING') {
    await enqueueAbsences(queue, tenantId, [row.id]);
  }
  return row;
}

export async function findAbsence(db: Db, tenantId: string, absenceId: string) {
  return db.query.absences.findFirst({
    where: and(eq(absences.tenantId, tenantId), eq(absences.absenceId, absenceId)),
  });
}

export async function getAbsenceByRowId(db: Db, tenantId: string, rowId: string) {
  return db.query.absences.findFirst({
    where: and(eq(absences.tenantId, tenantId), eq(absences.id, rowId)),
  });
}

/** Absences overlapping [from, to] (inclusive dates), optionally of one member, by start. */
export async function listAbsences(
  db: Db,
  tenantId: string,
  filter: { userRowId?: string | null; from?: string | null; to?: string | null },
) {
  const conds: SQL[] = [eq(absences.tenantId, tenantId)];
  if (filter.userRowId) conds.push(eq(absences.userRowId, filter.userRowId));
  if (filter.from) conds.push(gte(absences.endDate, filter.from));
  if (filter.to) conds.push(lte(absences.startDate, filter.to));
  return db
    .select()
    .from(absences)
    .where(and(...conds))
    .orderBy(asc(absences.startDate), asc(absences.id))
    .limit(MAX_ABSENCES_LISTED);
}
