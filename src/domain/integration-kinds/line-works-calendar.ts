/**
 * LINE WORKS calendar registration of absences: its own app credentials, or the messenger's.
 * https://developers.worksmobile.com/jp/docs/calendar
 */
import { defineKind, flag } from './define.ts';
import { LINE_WORKS_APP_FIELDS, lineWorksApp } from './line-works-app.ts';

export const lineWorksCalendarKind = defineKind({
  kind: 'LINE_WORKS_CALENDAR',
  description: 'LINE WORKS calendar registration of absences (カレンダー登録).',
  fields: { useMessengerCredentials: flag(), ...lineWorksApp },
  required: (merged) => (merged.useMessengerCredentials ? [] : LINE_WORKS_APP_FIELDS),
});
