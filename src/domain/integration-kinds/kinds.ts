/** Every integration kind, in the order the contract lists them. */
import type { IntegrationKind, Kind } from './define.ts';
import { googleChatKind } from './google-chat.ts';
import { lineKind } from './line.ts';
import { lineWorksKind } from './line-works.ts';
import { lineWorksCalendarKind } from './line-works-calendar.ts';
import { slackKind } from './slack.ts';

export const KINDS = {
  LINE_WORKS: lineWorksKind,
  SLACK: slackKind,
  GOOGLE_CHAT: googleChatKind,
  LINE: lineKind,
  LINE_WORKS_CALENDAR: lineWorksCalendarKind,
} as const satisfies Record<IntegrationKind, Kind>;

export const INTEGRATION_KINDS = Object.keys(KINDS) as IntegrationKind[];
