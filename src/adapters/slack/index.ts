export {
  commentModal,
  SLACK_COMMENT_ACTION_ID,
  SLACK_COMMENT_BLOCK_ID,
  SLACK_COMMENT_CALLBACK_ID,
  slackChatUpdate,
  slackPostEphemeral,
  slackViewsOpen,
} from './slack.chat.ts';
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
export type {
  SlackBlockAction,
  SlackInteraction,
  SlackViewSubmission,
} from './slack.interactivity.ts';
export { parseSlackInteraction, verifySlackSignature } from './slack.interactivity.ts';
export { renderSlackMessage, SLACK_DECISION_ACTION_IDS } from './slack.message.ts';
export { classifySlackError, slackAdapter, slackAuthTest } from './slack.provider.ts';
export type {
  SlackAuthTestResult,
  SlackCredentials,
  SlackTarget,
} from './slack.types.ts';
