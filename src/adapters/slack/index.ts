export type {
  SlackDirectoryFailure,
  SlackListResult,
  SlackLookupResult,
  SlackMember,
} from './slack.directory.ts';
export {
  isProposableSlackMember,
  slackListUsers,
  slackLookupByEmail,
  slackMemberName,
} from './slack.directory.ts';
export { renderSlackMessage } from './slack.message.ts';
export { classifySlackError, slackAdapter, slackAuthTest } from './slack.provider.ts';
export type {
  SlackAuthTestResult,
  SlackCredentials,
  SlackTarget,
} from './slack.types.ts';
