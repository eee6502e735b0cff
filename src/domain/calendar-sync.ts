/**
 * The calendar half of the queue consumer (カレンダー登録): an absence job claims its absence,
 * creates, replaces (full PUT) or deletes the event in the member's LINE WORKS default calendar
 * and records the outcome; the dead-letter consumer and the cron sweeper finish or re-enqueue
 * jobs that got lost (ARCHITECTURE.md, "The flow of one notification"). The wanted state comes
 * from absences.ts.
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
import { and, eq, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import {
  createCalendarEvent,
  deleteCalendarEvent,
  type LineWorksAbsence,
  type LineWorksCalendarFailure,
  updateCalendarEvent,
} from '../adapters/line-works/index.ts';
import { type Db, inJson, sameTenant } from '../db/client.ts';
import { absences, users } from '../db/schema.ts';
import { type AbsenceRow, enqueueAbsences } from './absences.ts';
import {
  CALENDAR_DISABLED,
  type CalendarState,
  calendarCredentials,
} from './calendar-integration.ts';
import { lineWorksUserIdOf } from './channels/line-works.ts';
import { newId } from './ids.ts';
import { type Gate, lineWorksPace } from './limits.ts';
import type { AbsenceMessage } from './queue-messages.ts';
import { backoffSeconds, MAX_INLINE_WAIT_MS, type Requeue, type Verdict } from './retry-policy.ts';
import { sweepInChunks } from './sweep-chunks.ts';
import type { LineWorksAppCredentials, LineWorksScope, TokenSource } from './tokens.ts';
import type { UserRow } from './users.ts';

const CALENDAR_SCOPES: readonly LineWorksScope[] = ['calendar'];
/** RateGate key of the calendar API (LINE WORKS counts each API separately). */
const CALENDAR_PACE_KEY = 'calendar';

export interface SyncDeps {
  db: Db;
  env: Pick<Env, 'SECRETS_KEY' | 'LINE_WORKS_API_BASE'>;
  gate: Gate;
  tokens: TokenSource;
  timeoutMs: number;
  requeue: Requeue;
}

export interface QueuedAbsence {
  id: string;
  body: AbsenceMessage;
}

/**
 * How long a claim holds an absence: longer than one pass can take (a token and two calendar
 * calls of at most PROVIDER_TIMEOUT_MS each, plus an inline pacing wait), so two jobs never
 * call LINE WORKS for one absence at once. A job that died lets go when its lease ends, and
 * the sweeper picks the absence up.
 */
export const ABSENCE_LEASE_MS = 120_000;
/** Changes made while a job holds an absence are applied by that job, up to this many passes. */
const MAX_PASSES = 4;

/** Handles the calendar jobs of one queue batch; returns a verdict per message id. */
export async function syncAbsences(
  deps: SyncDeps,
  messages: readonly QueuedAbsence[],
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  const byTenant = new Map<string, QueuedAbsence[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m]);
  }
  for (const [tenantId, msgs] of byTenant) await syncTenant(deps, tenantId, msgs, verdicts);
  return verdicts;
}

/** A claimed absence: the row as claimed and the claim that holds it. */
interface Claimed {
  msg: QueuedAbsence;
  row: AbsenceRow;
  claimId: string;
}

/**
 * Claims the PENDING absences of `ids` nobody holds, in one conditional UPDATE … RETURNING:
 * a row comes back to exactly one job, however many messages (retries, redeliveries, the
 * sweeper) name it at once.
 */
async function claimAbsences(db: Db, tenantId: string, ids: string[], claimId: string) {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const until = new Date(now + ABSENCE_LEASE_MS).toISOString();
  return db
    .update(absences)
    .set({
      claimId,
      leaseUntil: until,
      attempts: sql`${absences.attempts} + 1`,
      // The sweeper looks past the lease only.
      dueAt: until,
    })
    .where(
      and(
        sameTenant(absences.tenantId, tenantId),
        inJson(absences.id, ids),
        pendingWork(),
        or(isNull(absences.leaseUntil), lt(absences.leaseUntil, at)),
      ),
    )
    .returning();
}

/** Rows a calendar job has to act on: PENDING, or cancelled while an event still exists. */
function pendingWork() {
  return or(
    eq(absences.syncStatus, 'PENDING'),
    and(eq(absences.cancelled, true), isNotNull(absences.calendarEventId)),
  ) as SQL;
}

function needsWork(row: AbsenceRow): boolean {
  return row.syncStatus === 'PENDING' || (row.cancelled && row.calendarEventId !== null);
}

async function syncTenant(
  deps: SyncDeps,
  tenantId: string,
  msgs: QueuedAbsence[],
  verdicts: Map<string, Verdict>,
) {
  const { db } = deps;
  const claimId = newId();
  const ids = [...new Set(msgs.map((m) => m.body.absenceRowId))];
  const claimedRows = await claimAbsences(db, tenantId, ids, claimId);
  const rowById = new Map(claimedRows.map((r) => [r.id, r]));
  const jobs: Claimed[] = [];
  for (const m of msgs) {
    const row = rowById.get(m.body.absenceRowId);
    // Gone, settled, held by another job (which applies every change before it lets go), or
    // already taken by this batch: a duplicate job changes nothing.
    if (!row) {
      verdicts.set(m.id, { action: 'ack' });
      continue;
    }
    rowById.delete(row.id);
    jobs.push({ msg: m, row, claimId });
  }
  if (jobs.length === 0) return;
  const calendar = await calendarCredentials(db, deps.env.SECRETS_KEY, tenantId);
  const members = await db
    .select()
    .from(users)
    .where(
      and(
        sameTenant(users.tenantId, tenantId),
        inJson(users.id, [...new Set(jobs.map((j) => j.row.userRowId))]),
      ),
    );
  const memberById = new Map(members.map((u) => [u.id, u]));

  const now = Date.now();
  // A slot the queue brought us back too late for is not ours any more (as in dispatch).
  const need = jobs.filter((j) => j.msg.body.slotAt === undefined || j.msg.body.slotAt < now);
  const slots = calendar.enabled
    ? await deps.gate.reserve(
        'LINE_WORKS',
        tenantId,
        need.map(() => ({ key: CALENDAR_PACE_KEY })),
        lineWorksPace(calendar.perMinute),
      )
    : [];
  const slotOf = new Map(need.map((j, i) => [j.msg.id, slots[i] ?? now]));
  await Promise.all(
    jobs.map(async (job) => {
      const { msg, row } = job;
      const user = memberById.get(row.userRowId);
      if (!calendar.enabled || !calendar.app || !user) {
        const reason = !user
          ? 'the member no longer exists'
          : (calendar.reason ?? CALENDAR_DISABLED);
        await finish(db, job, row, { syncStatus: row.cancelled ? 'CANCELLED' : 'SKIPPED', reason });
        verdicts.set(msg.id, { action: 'ack' });
        return;
      }
      const slotAt = slotOf.get(msg.id) ?? msg.body.slotAt ?? now;
      verdicts.set(msg.id, await syncClaimed(deps, tenantId, calendar, job, user, slotAt));
    }),
  );
}

type Step = { ok: true; eventId: string | null } | LineWorksCalendarFailure;

/**
 * Brings one claimed absence's calendar event to its wanted state, pass after pass while the
 * wanted state keeps changing under the claim: each pass waits for its pacing slot, re-reads
 * the row (the stored event id included), makes the calls and settles only if the row's version
 * is still the one it applied. Nothing but the claim holder calls LINE WORKS for the absence.
 */
async function syncClaimed(
  deps: SyncDeps,
  tenantId: string,
  calendar: CalendarState,
  job: Claimed,
  user: UserRow,
  firstSlotAt: number,
): Promise<Verdict> {
  const { db } = deps;
  const app = calendar.app as LineWorksAppCredentials;
  let slotAt = firstSlotAt;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    if (pass > 0) {
      [slotAt = Date.now()] = await deps.gate.reserve(
        'LINE_WORKS',
        tenantId,
        [{ key: CALENDAR_PACE_KEY }],
        lineWorksPace(calendar.perMinute),
      );
    }
    const wait = slotAt - Date.now();
    if (wait > MAX_INLINE_WAIT_MS) {
      // Not an attempt: let go, due at the slot, and come back shortly before it.
      const released = await release(db, job, {
        dueAt: new Date(slotAt).toISOString(),
        attempts: sql`max(${absences.attempts} - 1, 0)`,
      });
      if (released) await deps.requeue([{ body: job.msg.body, slotAt }]);
      return { action: 'ack' };
    }
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // What to do is read after the wait: a change or an event id stored meanwhile counts.
    const row = await heldRow(db, job);
    if (!row) return { action: 'ack' };
    if (!needsWork(row)) {
      await release(db, job, {});
      return { action: 'ack' };
    }
    const target = lineWorksUserIdOf(user);
    const step = await withToken(deps, tenantId, app, (accessToken) =>
      applyStep(deps, accessToken, row, target),
    );
    if (step.ok) {
      const settled = await finish(
        db,
        job,
        row,
        {
          syncStatus: row.cancelled ? 'CANCELLED' : 'SYNCED',
          reason: null,
          calendarEventId: step.eventId,
          calendarUserId: step.eventId ? target : null,
          syncedVersion: row.version,
          attempts: 0,
        },
        { sameVersion: true },
      );
      if (settled) return { action: 'ack' };
      // Changed while the calls ran: keep what the calendar now holds, then the next pass.
      await keepEvent(db, job, step.eventId, step.eventId ? target : null);
      continue;
    }
    if (step.retryable) {
      const delaySeconds = step.afterSeconds ?? backoffSeconds(row.attempts);
      // LINE WORKS said the calendar API's minute is used up: no new slots until it resets.
      if (step.status === 429 && step.afterSeconds !== undefined) {
        await deps.gate.hold?.(
          'LINE_WORKS',
          tenantId,
          CALENDAR_PACE_KEY,
          Date.now() + step.afterSeconds * 1000,
        );
      }
      await release(db, job, {
        syncStatus: 'PENDING',
        reason: step.reason,
        dueAt: new Date(Date.now() + delaySeconds * 1000).toISOString(),
      });
      return { action: 'retry', delaySeconds };
    }
    const failed = await finish(
      db,
      job,
      row,
      { syncStatus: 'FAILED', reason: step.reason },
      { sameVersion: true },
    );
    if (failed) return { action: 'ack' };
  }
  // Still changing after every pass: let go and put a fresh job on the queue.
  if (await release(db, job, {})) {
    await deps.requeue([{ body: job.msg.body, slotAt: Date.now() }]);
  }
  return { action: 'ack' };
}

/** The absence as it is now, while `job` still holds it (null once the claim is lost). */
async function heldRow(db: Db, job: Claimed): Promise<AbsenceRow | null> {
  const row = await db.query.absences.findFirst({
    where: and(
      eq(absences.tenantId, job.row.tenantId),
      eq(absences.id, job.row.id),
      eq(absences.claimId, job.claimId),
    ),
  });
  return row ?? null;
}

async function applyStep(
  deps: SyncDeps,
  accessToken: string,
  row: AbsenceRow,
  target: string,
): Promise<Step> {
  const base = { apiBase: deps.env.LINE_WORKS_API_BASE, accessToken, timeoutMs: deps.timeoutMs };
  const eventId = row.calendarEventId;
  const holder = row.calendarUserId ?? target;
  if (row.cancelled) {
    if (!eventId) return { ok: true, eventId: null };
    const r = await deleteCalendarEvent({ ...base, userId: holder, eventId });
    return r.ok ? { ok: true, eventId: null } : r;
  }
  const absence = toLineWorksAbsence(row);
  if (eventId && holder === target) {
    if (row.syncedVersion >= row.version) return { ok: true, eventId };
    const r = await updateCalendarEvent({ ...base, userId: target, eventId, absence });
    if (r.ok) return { ok: true, eventId };
    // Deleted in LINE WORKS meanwhile: put it back.
    if (r.status !== 404) return r;
  } else if (eventId) {
    // The absence moved to another member: remove it from the first one's calendar.
    const r = await deleteCalendarEvent({ ...base, userId: holder, eventId });
    if (!r.ok) return r;
  }
  const created = await createCalendarEvent({ ...base, userId: target, absence });
  return created.ok ? { ok: true, eventId: created.eventId } : created;
}

/** Runs a calendar call; a 401 drops the token and tries once more with a new one. */
async function withToken(
  deps: SyncDeps,
  tenantId: string,
  app: LineWorksAppCredentials,
  call: (accessToken: string) => Promise<Step>,
): Promise<Step> {
  for (let attempt = 0; ; attempt++) {
    const token = await deps.tokens.lineWorks(tenantId, app, CALENDAR_SCOPES);
    if (!token.ok) {
      return { ok: false, retryable: token.retryable, status: 0, reason: token.reason };
    }
    const result = await call(token.token);
    if (result.ok || !result.tokenRejected || attempt > 0) return result;
    await deps.tokens.dropLineWorks(tenantId, app, CALENDAR_SCOPES, token.token);
  }
}

/** Column values to write: plain, or computed in SQL from the row. */
type AbsenceSet = { [K in keyof AbsenceRow]?: AbsenceRow[K] | SQL };

const heldBy = (job: Claimed) =>
  and(
    eq(absences.tenantId, job.row.tenantId),
    eq(absences.id, job.row.id),
    eq(absences.claimId, job.claimId),
  );

/**
 * Writes a job's outcome and lets go of the absence, while the job still holds it; with
 * `sameVersion`, only if the wanted state did not change since `row` was read. True when written.
 */
async function finish(
  db: Db,
  job: Claimed,
  row: AbsenceRow,
  set: Partial<AbsenceRow>,
  options: { sameVersion?: boolean } = {},
): Promise<boolean> {
  const at = new Date().toISOString();
  const updated = await db
    .update(absences)
    .set({ ...set, claimId: null, leaseUntil: null, updatedAt: at, dueAt: at })
    .where(options.sameVersion ? and(heldBy(job), eq(absences.version, row.version)) : heldBy(job))
    .returning({ id: absences.id });
  return updated.length > 0;
}

/** Lets go of the absence (with `set`: a retry's reason and due time); true when it was held. */
async function release(db: Db, job: Claimed, set: AbsenceSet): Promise<boolean> {
  const updated = await db
    .update(absences)
    .set({ ...set, claimId: null, leaseUntil: null, updatedAt: new Date().toISOString() })
    .where(heldBy(job))
    .returning({ id: absences.id });
  return updated.length > 0;
}

/** Records the event the calendar holds now, keeping the claim (the next pass needs it). */
async function keepEvent(db: Db, job: Claimed, eventId: string | null, userId: string | null) {
  await db
    .update(absences)
    .set({ calendarEventId: eventId, calendarUserId: userId, updatedAt: new Date().toISOString() })
    .where(heldBy(job));
}

function toLineWorksAbsence(row: AbsenceRow): LineWorksAbsence {
  return {
    title: row.title,
    startDate: row.startDate,
    endDate: row.endDate,
    allDay: row.allDay,
    ...(row.startTime ? { startTime: row.startTime } : {}),
    ...(row.endTime ? { endTime: row.endTime } : {}),
    timeZone: row.timeZone,
    note: row.note,
  };
}

/** Dead-letter consumer: calendar jobs out of retries end FAILED with their last reason. */
export async function markAbsencesGaveUp(db: Db, messages: readonly QueuedAbsence[]) {
  const now = new Date().toISOString();
  const byTenant = new Map<string, string[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m.body.absenceRowId]);
  }
  for (const [tenantId, ids] of byTenant) {
    await db
      .update(absences)
      .set({
        syncStatus: 'FAILED',
        reason: sql`'gave up after ' || ${absences.attempts} || ' attempts: ' || coalesce(${absences.reason}, 'no reason recorded')`,
        updatedAt: now,
      })
      .where(
        and(
          sameTenant(absences.tenantId, tenantId),
          inJson(absences.id, ids),
          eq(absences.syncStatus, 'PENDING'),
          // A job holding the absence is still at work on it.
          or(isNull(absences.leaseUntil), lt(absences.leaseUntil, now)),
        ),
      );
  }
}

/**
 * Cron: re-enqueues calendar jobs still PENDING well past their due time and not held by a job
 * (the worker died between the D1 write and the queue send, or mid-sync), in bounded chunks,
 * each UPDATE naming its tenant.
 */
export async function sweepAbsences(
  db: Db,
  queue: Queue<AbsenceMessage>,
  options: { stuckSeconds: number; now?: number; chunk?: number },
) {
  const now = options.now ?? Date.now();
  const nowIso = new Date(now).toISOString();
  const overdue = new Date(now - options.stuckSeconds * 1000).toISOString();
  const stuckWhere = () =>
    and(
      eq(absences.syncStatus, 'PENDING'),
      lt(absences.dueAt, overdue),
      or(isNull(absences.leaseUntil), lt(absences.leaseUntil, nowIso)),
    );
  const requeued = await sweepInChunks(
    (limit) =>
      db
        .select({ id: absences.id, tenantId: absences.tenantId })
        .from(absences)
        .where(stuckWhere())
        .limit(limit),
    async (tenantId, ids) => {
      const stuck = await db
        .update(absences)
        .set({ dueAt: nowIso })
        .where(and(sameTenant(absences.tenantId, tenantId), inJson(absences.id, ids), stuckWhere()))
        .returning({ id: absences.id });
      await enqueueAbsences(
        queue,
        tenantId,
        stuck.map((s) => s.id),
      );
      return stuck.length;
    },
    options.chunk,
  );
  return { requeuedAbsences: requeued };
}
