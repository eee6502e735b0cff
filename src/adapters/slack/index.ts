export { renderSlackMessage } from './slack.message.ts';
export { classifySlackError, slackAdapter, slackAuthTest } from './slack.provider.ts';
export type {
  SlackAuthTestResult,
  SlackCredentials,
  SlackTarget,
} from './slack.types.ts';
