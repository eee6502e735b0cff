#!/usr/bin/env node
/**
 * `npm start`: a local Renkei with a demo tenant. Writes .dev.vars with generated secrets if
 * absent, applies the local D1 migrations to every shard, starts the DEMO provider fakes
 * (test/fakes, on 127.0.0.1 — no message leaves this machine) unless --real-providers is given,
 * runs `wrangler dev` on :8787 pointed at them, seeds tenant "demo" and prints tokens.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { graphqlClient, mintToken } from './local-client.mjs';
import { startStack } from './local-stack.mjs';

const PORT = Number(process.env.PORT ?? 8787);
const real = process.argv.includes('--real-providers');
const TENANT = 'demo';

const stack = await startStack({ port: PORT, fakePortBase: 8790, realProviders: real });
const BASE = stack.base;
const vars = stack.devVars;
const fakes = stack.fakes;
process.on('SIGINT', () => {
  stack.stop();
  process.exit(0);
});
process.on('SIGTERM', () => {
  stack.stop();
  process.exit(0);
});
stack.wrangler.on('exit', (code) => {
  stack.stop();
  process.exit(code ?? 0);
});

const gql = graphqlClient(BASE);
const token = (role, sub) => mintToken({ secret: vars.AUTH_JWT_SECRET, role, sub, tenant: TENANT });
const admin = await token('admin', 'admin-1');
const service = await token('service', 'workplace');
const members = [
  // sato's LINE WORKS login id is in the demo LINE WORKS directory (test/fakes/index.ts).
  {
    userId: 'sato',
    displayName: '佐藤 花子',
    email: 'sato@demo.example',
    locale: 'JA',
    lineWorksUserId: 'sato@demo.example',
  },
  { userId: 'kim', displayName: '김민수', email: 'kim@demo.example', locale: 'KO' },
  { userId: 'smith', displayName: 'Alex Smith', email: 'smith@demo.example', locale: 'EN' },
];
await gql(
  service,
  'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
  { u: members },
);
if (fakes) {
  await gql(
    admin,
    'mutation ($t: String, $s: String) { configureSlack(input: { enabled: true, botToken: $t, signingSecret: $s }) { errors { message } } }',
    {
      t: 'xoxb-demo-renkei',
      // The demo Slack fake signs simulated clicks with it (scripts/click.mjs).
      s: 'demo-slack-signing-secret',
    },
  );
  await gql(admin, 'mutation { verifyIntegration(kind: SLACK) { ok } }');
  await gql(
    admin,
    'mutation { configureGoogleChat(input: { enabled: true }) { errors { message } } }',
  );
  await gql(
    admin,
    `mutation { setNotificationRules(rules: [
      { type: APPROVAL_REQUESTED, channel: SLACK, enabled: true },
      { type: APPROVED, channel: SLACK, enabled: true },
      { type: REJECTED, channel: SLACK, enabled: true },
      { type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }]) { errors { message } } }`,
  );
  // LINE: the demo fakes seed this Login channel, Messaging channel and official account.
  await gql(
    admin,
    `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { message } } }`,
    {
      i: {
        enabled: true,
        loginChannelId: '1650000000',
        loginChannelSecret: 'demo-login-secret',
        messagingChannelSecret: 'demo-messaging-secret',
        channelAccessToken: 'line-demo-channel-token',
        friendUrl: 'https://line.me/R/ti/p/@renkei-demo',
      },
    },
  );
  await gql(admin, 'mutation { verifyIntegration(kind: LINE) { ok } }');
  await gql(
    admin,
    'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE, enabled: true }]) { errors { message } } }',
  );
  // LINE WORKS: the demo fakes seed this app and bot; the Bot Secret lets Renkei verify the
  // bot's callbacks (decision clicks, scripts/click.mjs line-works) and sets the bot's callback.
  const privateKeyFile = path.resolve(
    import.meta.dirname,
    '..',
    '.wrangler/demo-line-works-key.pem',
  );
  if (existsSync(privateKeyFile)) {
    await gql(
      admin,
      `mutation ($i: ConfigureLineWorksInput!) { configureLineWorks(input: $i) { errors { message } } }`,
      {
        i: {
          enabled: true,
          domainId: '10000001',
          adminEmail: 'admin@renkei-demo.example',
          clientId: 'demo-client-id',
          clientSecret: 'demo-client-secret',
          serviceAccount: 'demo.serviceaccount@renkei-demo.example',
          privateKey: readFileSync(privateKeyFile, 'utf8'),
          botId: '2000000',
          botSecret: 'demo-line-works-bot-secret',
        },
      },
    );
    await gql(
      admin,
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE_WORKS, enabled: true }]) { errors { message } } }',
    );
  }
  for (const [i, m] of members.entries()) {
    const input = { slackMemberId: `U0DEMO${i}` };
    if (i === 0)
      input.googleChatWebhookUrl = `${fakes.googleChatOrigin}/v1/spaces/AAAADEMO/messages?key=demo-key&token=demo-token`;
    await gql(
      await token('user', m.userId),
      'mutation ($i: UpdateMyBindingsInput!) { updateMyBindings(input: $i) { errors { message } } }',
      { i: input },
    );
  }
}

console.log(`
────────────────────────────────────────────────────────────────────────────
 Renkei is running: GraphiQL at ${BASE}/graphql   (tenant "${TENANT}")
 ${fakes ? `Providers: DEMO fakes on 127.0.0.1 (Slack ${fakes.slackApiBase}); nothing leaves this machine.` : 'Providers: the real endpoints (--real-providers).'}

 In GraphiQL open "Headers" and paste one of:
 admin   {"Authorization": "Bearer ${admin}"}

 user    {"Authorization": "Bearer ${await token('user', 'sato')}"}

 service {"Authorization": "Bearer ${service}"}

 More: npm run token -- <admin|user|service> [sub] [tenant]
 Try (service): mutation { emitWorkflowEvent(input: { idempotencyKey: "wf-1", type: APPROVAL_REQUESTED,
   documentId: "WF-1", title: "出張申請", url: "https://workplace.example/wf/1",
   recipients: ["sato", "kim", "smith"] }) { event { id summary { sent skipped } } errors { message } } }
 then (admin): { deliveries { edges { node { user { userId } channel status reason } } } }
 LINE (user "sato"): mutation { startLineLogin { authorizeUrl } }, open the URL in a browser
   (fake LINE Login) → ${BASE}/line/callback shows the add-friend QR code; then
   node scripts/line-webhook.mjs follow|unfollow sends the signed webhook (see README).
────────────────────────────────────────────────────────────────────────────
`);
