/** Test helpers for the delivery pipeline: a tenant with Slack and Google Chat, emit, wait. */
import { env } from 'cloudflare:workers';
import { fake, gql, tenantId, token, tokens } from './helpers.ts';

export const EVENT = `query ($id: ID!) { workflowEvent(id: $id) {
  id summary { queued sending retrying sent failed skipped }
  deliveries(first: 50) { totalCount edges { node { id channel status attempts reason providerMessageId sentAt user { userId } } } }
} }`;
export const EMIT = `mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) {
  duplicate event { id idempotencyKey } errors { code message field } } }`;

export interface Setup {
  tenant: string;
  admin: string;
  service: string;
  slackToken: string;
  members: string[];
  webhook: string;
}

/** A tenant with Slack and Google Chat on, rules on for APPROVAL_REQUESTED, and members. */
export async function setup(memberCount = 2): Promise<Setup> {
  const tenant = tenantId('d');
  const { admin, service } = await tokens(tenant);
  const slackToken = `xoxb-${crypto.randomUUID()}`;
  await fake(env.SLACK_API_BASE, '/__fake/state', {
    tokens: {
      [slackToken]: { team: 'Acme', team_id: `T${tenant}`, user_id: 'U0BOT', bot_id: 'B0BOT' },
    },
  });
  await gql(
    `mutation ($t: String) { configureSlack(input: { enabled: true, botToken: $t }) { errors { code } } }`,
    { t: slackToken },
    admin,
  );
  await gql(
    'mutation { configureGoogleChat(input: { enabled: true }) { errors { code } } }',
    {},
    admin,
  );
  await gql(
    `mutation { setNotificationRules(rules: [
      { type: APPROVAL_REQUESTED, channel: SLACK, enabled: true },
      { type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }]) { errors { code } } }`,
    {},
    admin,
  );
  const members = Array.from({ length: memberCount }, (_, i) => `m${i}-${tenant}`);
  await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    {
      u: [
        ...members.map((userId, i) => ({ userId, locale: i === 0 ? 'EN' : 'JA' })),
        { userId: `nobind-${tenant}` },
      ],
    },
    service,
  );
  const space = `SP${crypto.randomUUID().slice(0, 8)}`;
  const webhook = `${env.GOOGLE_CHAT_WEBHOOK_ORIGIN}/v1/spaces/${space}/messages?key=K1&token=T-${crypto.randomUUID()}`;
  for (const [i, m] of members.entries()) {
    const memberId = `U${tenant.replace(/[^a-z0-9]/gi, '').toUpperCase()}${i}`;
    const input: Record<string, string> = { slackMemberId: memberId };
    if (i === 0) input.googleChatWebhookUrl = webhook;
    await gql(
      'mutation ($i: UpdateMyBindingsInput!) { updateMyBindings(input: $i) { errors { message } } }',
      { i: input },
      await token(tenant, 'user', m),
    );
  }
  return { tenant, admin, service, slackToken, members, webhook };
}

export async function emit(s: Setup, recipients: string[], key: string = crypto.randomUUID()) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: key,
        type: 'APPROVAL_REQUESTED',
        documentId: 'WF-2026-0042',
        title: '出張申請 (大阪)',
        url: 'https://workplace.example/wf/0042',
        actorName: '山田 太郎',
        comment: 'ご確認ください',
        recipients,
      },
    },
    s.service,
  );
  return r.data?.emitWorkflowEvent;
}

/** Polls the event until `done` holds (the queue consumer runs in the background). */
export async function waitFor(s: Setup, eventId: string, done: (e: any) => boolean, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await gql(EVENT, { id: eventId }, s.admin);
    const e = r.data?.workflowEvent;
    if (done(e) || Date.now() > until) return e;
    await new Promise((res) => setTimeout(res, 200));
  }
}

export const byUser = (e: any, userId: string, channel: string) =>
  e.deliveries.edges
    .map((x: any) => x.node)
    .find((d: any) => d.user.userId === userId && d.channel === channel);
