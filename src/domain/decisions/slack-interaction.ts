/**
 * `POST /slack/interactivity/{tenant}` (DECISIONS.md): the signature is checked on the raw body
 * with the tenant's signing secret before anything is parsed; then a decision button's click is
 * handled by the rules (click.ts). APPROVE is recorded at once; REJECT and RETURN first open the
 * comment modal (views.open with the click's trigger_id), whose submission records the decision
 * with the comment. Everything slow (chat.update, ephemeral answers, forwarding) is queued, so
 * Slack gets its answer well within 3 seconds.
 */

import {
  commentModal,
  parseSlackInteraction,
  SLACK_COMMENT_ACTION_ID,
  SLACK_COMMENT_BLOCK_ID,
  SLACK_COMMENT_CALLBACK_ID,
  SLACK_DECISION_ACTION_IDS,
  slackViewsOpen,
  verifySlackSignature,
} from '../../adapters/slack/index.ts';
import type { DecisionAction, Locale } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { catalog } from '../../i18n/catalogs.ts';
import { declaredAs } from '../../lib/media-type.ts';
import { loadCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import { clickAnswer } from './chat-feedback.ts';
import { enqueueChat } from './chat-queue.ts';
import { type ClickOutcome, handleClick } from './click.ts';

export interface SlackInteractionDeps {
  db: Db;
  env: { SECRETS_KEY: string; SLACK_API_BASE: string };
  queue: Queue;
  timeoutMs: number;
  log: Logger;
}

export type HttpAnswer = { status: 200 | 400 | 401 | 415; json?: unknown };

const ACTION_OF_ID: Readonly<Record<string, DecisionAction>> = Object.fromEntries(
  Object.entries(SLACK_DECISION_ACTION_IDS).map(([action, id]) => [id, action as DecisionAction]),
);

/** views.open must answer before the trigger_id's 3 seconds run out. */
const VIEWS_OPEN_TIMEOUT_MS = 2500;

export async function handleSlackInteraction(
  deps: SlackInteractionDeps,
  tenantId: string,
  rawBody: ArrayBuffer,
  headers: { timestamp?: string | null; signature?: string | null; contentType?: string },
): Promise<HttpAnswer> {
  if (!headers.signature || !headers.timestamp) return { status: 401 };
  const creds = await loadCredentials(deps.db, deps.env.SECRETS_KEY, tenantId, 'SLACK');
  const signingSecret = creds?.secrets.signingSecret;
  if (
    !creds ||
    !signingSecret ||
    !(await verifySlackSignature(signingSecret, rawBody, headers.timestamp, headers.signature))
  ) {
    return { status: 401 };
  }
  // Slack posts interactions as a form (PROVIDERS.md); a body declared otherwise is not Slack's.
  if (!declaredAs(headers.contentType, 'application/x-www-form-urlencoded')) return { status: 415 };
  const interaction = parseSlackInteraction(rawBody);
  if (!interaction) return { status: 400 };
  const botToken = creds.secrets.botToken ?? '';
  const clickDeps = {
    db: deps.db,
    secretsKey: deps.env.SECRETS_KEY,
    queue: deps.queue,
    settings: creds.settings,
  };

  if (interaction.type === 'block_actions') {
    const action = ACTION_OF_ID[interaction.actionId];
    // The link button and anything else of the message: nothing to decide.
    if (!action) return { status: 200 };
    if (!interaction.userId || !interaction.teamId) return { status: 400 };
    const clicker = {
      channel: 'SLACK' as const,
      slackUserId: interaction.userId,
      slackTeamId: interaction.teamId,
    };
    const needsModal = action === 'REJECT' || action === 'RETURN';
    const outcome = await handleClick(clickDeps, tenantId, {
      clicker,
      value: interaction.value,
      check: needsModal,
      // The value names its own action: a value of another button under this action_id is refused.
      expectedAction: action,
    });
    if (outcome.kind === 'allowed') {
      const opened = await slackViewsOpen(
        { base: deps.env.SLACK_API_BASE, botToken, timeoutMs: VIEWS_OPEN_TIMEOUT_MS },
        interaction.triggerId,
        commentModal(outcome.member.locale as Locale, action, interaction.value),
      );
      if (!opened.ok) {
        deps.log.warn('slack: views.open failed', {
          tenant: tenantId,
          reason: opened.failure.reason,
        });
      }
      return { status: 200 };
    }
    return answerClick(deps, tenantId, interaction, outcome);
  }

  if (interaction.type === 'view_submission') {
    if (interaction.callbackId !== SLACK_COMMENT_CALLBACK_ID) return { status: 200 };
    if (!interaction.userId || !interaction.teamId) return { status: 400 };
    const comment =
      interaction.values[SLACK_COMMENT_BLOCK_ID]?.[SLACK_COMMENT_ACTION_ID]?.trim() || null;
    const outcome = await handleClick(clickDeps, tenantId, {
      clicker: {
        channel: 'SLACK',
        slackUserId: interaction.userId,
        slackTeamId: interaction.teamId,
      },
      value: interaction.privateMetadata,
      comment,
    });
    if (outcome.kind === 'recorded') {
      await enqueueChat(deps.queue, tenantId, [
        { type: 'slack-refresh', deliveryId: outcome.delivery.id },
      ]);
      // An empty 200 closes the modal.
      return { status: 200 };
    }
    // The modal stays open and says why nothing was recorded.
    const text = clickAnswer(outcome) || catalog('JA').decision.invalid;
    return {
      status: 200,
      json: { response_action: 'errors', errors: { [SLACK_COMMENT_BLOCK_ID]: text } },
    };
  }
  return { status: 200 };
}

/** What the clicker sees: the message edited (recorded), or an ephemeral refusal. */
async function answerClick(
  deps: SlackInteractionDeps,
  tenantId: string,
  click: { userId: string; channelId: string },
  outcome: ClickOutcome,
): Promise<HttpAnswer> {
  if (outcome.kind === 'recorded') {
    await enqueueChat(deps.queue, tenantId, [
      { type: 'slack-refresh', deliveryId: outcome.delivery.id },
    ]);
    return { status: 200 };
  }
  const text = clickAnswer(outcome);
  if (text && click.channelId) {
    await enqueueChat(deps.queue, tenantId, [
      { type: 'slack-ephemeral', channel: click.channelId, user: click.userId, text },
    ]);
  }
  // A closed message keeps its buttons until chat.update removes them: do it now.
  if (outcome.kind === 'closed' || outcome.kind === 'decided') {
    await enqueueChat(deps.queue, tenantId, [
      { type: 'slack-refresh', deliveryId: outcome.delivery.id },
    ]);
  }
  return { status: 200 };
}
