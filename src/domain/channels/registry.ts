import type { Channel } from '../../adapters/types.ts';
import { googleChatDriver } from './google-chat.ts';
import { lineDriver } from './line.ts';
import { lineWorksDriver } from './line-works.ts';
import { slackDriver } from './slack.ts';
import type { ChannelDriver } from './types.ts';

/** The channels Renkei delivers to, read-only; a channel without a driver is SKIPPED. */
export const DRIVERS: Readonly<Partial<Record<Channel, ChannelDriver>>> = Object.freeze({
  SLACK: slackDriver,
  GOOGLE_CHAT: googleChatDriver,
  LINE: lineDriver,
  LINE_WORKS: lineWorksDriver,
});
