import { describeNetworkFailure, fetchWithTimeout, type ReadResponse, readJson } from '../http.ts';
import { truncate } from '../messages.ts';
import { classifyLineWorksError } from './line-works.errors.ts';
import type {
  LineWorksAbsence,
  LineWorksCalendarFailure,
  LineWorksCalendarRequest,
  LineWorksEventBody,
  LineWorksEventComponent,
} from './line-works.types.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
/** Field limits of the event object. */
const MAX_SUMMARY = 200;
const MAX_DESCRIPTION = 5000;

export interface CreateCalendarEventRequest extends LineWorksCalendarRequest {
  absence: LineWorksAbsence;
}

export interface UpdateCalendarEventRequest extends LineWorksCalendarRequest {
  eventId: string;
  absence: LineWorksAbsence;
}

export interface DeleteCalendarEventRequest extends LineWorksCalendarRequest {
  eventId: string;
}

/**
 * Builds the event body for an absence. All-day absences end on the day after their last day:
 * whether LINE WORKS reads `end.date` as exclusive is unconfirmed, so this assumes the
 * iCalendar convention (DTEND exclusive), as PROVIDERS.md decides.
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
export function absenceEventBody(absence: LineWorksAbsence): LineWorksEventBody {
  const component: LineWorksEventComponent = {
    summary: truncate(absence.title, MAX_SUMMARY),
    start: absence.allDay
      ? { date: absence.startDate }
      : { dateTime: `${absence.startDate}T${absence.startTime}:00`, timeZone: absence.timeZone },
    end: absence.allDay
      ? { date: nextDay(absence.endDate) }
      : { dateTime: `${absence.endDate}T${absence.endTime}:00`, timeZone: absence.timeZone },
    transparency: 'OPAQUE',
    visibility: 'PUBLIC',
  };
  if (absence.note) component.description = truncate(absence.note, MAX_DESCRIPTION);
  return { eventComponents: [component], sendNotification: false };
}

/**
 * Creates the absence in the member's default calendar (`POST /users/{userId}/calendar/events`)
 * and returns the new `eventId`.
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
export async function createCalendarEvent(
  request: CreateCalendarEventRequest,
): Promise<{ ok: true; eventId: string } | LineWorksCalendarFailure> {
  const invalid = checkAbsence(request.absence);
  if (invalid) return invalid;
  const result = await call(
    request,
    'POST',
    eventsPath(request),
    absenceEventBody(request.absence),
  );
  if (!result.ok) return result;
  const body = (await readJson(result.response)) as
    | { eventComponents?: { eventId?: unknown }[] }
    | undefined;
  const eventId = body?.eventComponents?.[0]?.eventId;
  if (typeof eventId !== 'string' || eventId === '') {
    // The event may exist without our knowing its id: retrying could duplicate it, so this is
    // reported as permanent for an operator to look at.
    return {
      ok: false,
      retryable: false,
      status: result.response.status,
      code: 'INVALID_RESPONSE',
      reason: 'LINE WORKS created the event but returned no eventComponents[0].eventId',
    };
  }
  return { ok: true, eventId };
}

/**
 * Replaces the whole event (`PUT /users/{userId}/calendar/events/{eventId}`): every field is
 * sent again. https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
export async function updateCalendarEvent(
  request: UpdateCalendarEventRequest,
): Promise<{ ok: true } | LineWorksCalendarFailure> {
  const invalid = checkAbsence(request.absence);
  if (invalid) return invalid;
  const body = absenceEventBody(request.absence);
  const [component] = body.eventComponents;
  if (component) component.eventId = request.eventId;
  const result = await call(request, 'PUT', eventPath(request, request.eventId), body);
  return result.ok ? { ok: true } : result;
}

/**
 * Deletes the event (`DELETE /users/{userId}/calendar/events/{eventId}` → 204). A 404 means it
 * is already gone, which is what was wanted.
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
export async function deleteCalendarEvent(
  request: DeleteCalendarEventRequest,
): Promise<{ ok: true; alreadyGone: boolean } | LineWorksCalendarFailure> {
  const result = await call(request, 'DELETE', eventPath(request, request.eventId), undefined, 404);
  if (!result.ok) return result;
  return { ok: true, alreadyGone: result.response.status === 404 };
}

async function call(
  request: LineWorksCalendarRequest,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: LineWorksEventBody,
  alsoOk?: number,
): Promise<{ ok: true; response: ReadResponse } | LineWorksCalendarFailure> {
  const headers: Record<string, string> = { authorization: `Bearer ${request.accessToken}` };
  if (body) headers['content-type'] = 'application/json';
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}${path}`,
    { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) },
    request.timeoutMs,
  );
  if (!outcome.ok) {
    return {
      ok: false,
      retryable: true,
      status: 0,
      code: 'NO_RESPONSE',
      reason: describeNetworkFailure('LINE WORKS calendar', outcome.failure),
    };
  }
  const { response } = outcome;
  if (response.ok || response.status === alsoOk) return { ok: true, response };
  const error = await classifyLineWorksError(response, [request.accessToken]);
  const failure: LineWorksCalendarFailure = {
    ok: false,
    retryable: error.kind === 'retry',
    status: error.status,
    code: error.code,
    reason: error.reason,
  };
  if (error.kind === 'retry') {
    if (error.afterSeconds !== undefined) failure.afterSeconds = error.afterSeconds;
    if (error.tokenRejected) failure.tokenRejected = true;
  } else {
    failure.scope = error.scope;
  }
  return failure;
}

function eventsPath(request: LineWorksCalendarRequest): string {
  return `/users/${encodeURIComponent(request.userId)}/calendar/events`;
}

function eventPath(request: LineWorksCalendarRequest, eventId: string): string {
  return `${eventsPath(request)}/${encodeURIComponent(eventId)}`;
}

function checkAbsence(absence: LineWorksAbsence): LineWorksCalendarFailure | null {
  const datesOk = isDate(absence.startDate) && isDate(absence.endDate);
  const timesOk =
    absence.allDay ||
    (TIME.test(absence.startTime ?? '') &&
      TIME.test(absence.endTime ?? '') &&
      `${absence.endDate}T${absence.endTime}` > `${absence.startDate}T${absence.startTime}`);
  if (datesOk && timesOk && absence.endDate >= absence.startDate && absence.title.trim() !== '') {
    return null;
  }
  return {
    ok: false,
    retryable: false,
    status: 0,
    code: 'INVALID_ABSENCE',
    reason:
      'Absence needs a title, YYYY-MM-DD dates with endDate ≥ startDate and, unless all day, ' +
      'HH:mm times that end after they start',
  };
}

function isDate(date: string): boolean {
  return DATE.test(date) && addDays(date, 0) === date;
}

/** The calendar day after `date` (`YYYY-MM-DD`), computed in UTC so no zone shifts it. */
function nextDay(date: string): string {
  return addDays(date, 1);
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
