/**
 * The LINE WORKS calendar integration of a tenant (カレンダー登録): whether it is on, and the API
 * 2.0 app it calls the calendar API with (its own, or the messenger's).
 * https://developers.worksmobile.com/en/docs/calendar-default-event-user-create
 */
import type { Db } from '../db/client.ts';
import { loadCredentials } from './integrations.ts';
import { lineWorksPerMinute } from './limits.ts';
import { type LineWorksAppCredentials, lineWorksAppCredentials } from './tokens.ts';

export interface CalendarState {
  enabled: boolean;
  reason: string | null;
  app: LineWorksAppCredentials | null;
  /** Requests per minute the tenant's LINE WORKS plan allows. */
  perMinute: number;
}

/**
 * The calendar integration's credentials: its own, or the messenger's when
 * `useMessengerCredentials` is on (so a rotated key is entered once).
 */
export async function calendarCredentials(
  db: Db,
  secretsKey: string,
  tenantId: string,
): Promise<CalendarState> {
  const calendar = await loadCredentials(db, secretsKey, tenantId, 'LINE_WORKS_CALENDAR');
  if (!calendar?.enabled) {
    return {
      enabled: false,
      reason: CALENDAR_DISABLED,
      app: null,
      perMinute: lineWorksPerMinute({}),
    };
  }
  const messenger = calendar.settings.useMessengerCredentials
    ? await loadCredentials(db, secretsKey, tenantId, 'LINE_WORKS')
    : null;
  const source = calendar.settings.useMessengerCredentials ? messenger : calendar;
  const app = source ? lineWorksAppCredentials(source.settings, source.secrets) : null;
  const perMinute = lineWorksPerMinute(messenger?.settings ?? calendar.settings);
  if (!app) {
    return {
      enabled: false,
      reason: calendar.settings.useMessengerCredentials
        ? 'LINE WORKS calendar uses the messenger credentials, which are not configured'
        : 'LINE WORKS calendar credentials are incomplete',
      app: null,
      perMinute,
    };
  }
  return { enabled: true, reason: null, app, perMinute };
}

/** Why nothing is synced while the integration is off. */
export const CALENDAR_DISABLED = 'LINE WORKS calendar integration is disabled';

/** Whether the tenant's calendar integration is on (no secrets read), and why not. */
export async function calendarEnabled(db: Db, tenantId: string) {
  const row = await db.query.integrations.findFirst({
    where: (i, { and: both, eq: is }) =>
      both(is(i.tenantId, tenantId), is(i.kind, 'LINE_WORKS_CALENDAR')),
  });
  return row?.enabled
    ? { enabled: true, reason: null }
    : { enabled: false, reason: CALENDAR_DISABLED };
}
