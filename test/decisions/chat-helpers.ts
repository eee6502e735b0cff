/** Decision tests on LINE WORKS and LINE: a tenant set up for each, and signed clicks. */
import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { fake, gql, rsaKeyPair, tenantD1, tenantId, tokens } from '../helpers.ts';
export const BOT_SECRET = 'lw-bot-secret-0123456789';

export async function lineWorksTenant() {
  const tenant = tenantId('lwd');
  const { admin, service } = await tokens(tenant);
  const { privatePem, publicPem } = await rsaKeyPair();
  const clientId = `client-${crypto.randomUUID()}`;
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const domainId = String(100_000_000 + Math.floor(Math.random() * 800_000_000));
  const serviceAccount = `sa-${tenant}.serviceaccount@works-${domainId}.example`;
  const member = `m-${tenant}`;
  const resourceId = crypto.randomUUID();
  await fake(env.LINE_WORKS_AUTH_BASE, '/__fake/state', {
    apps: { [clientId]: { clientSecret, serviceAccount, publicKeyPem: publicPem, domainId } },
    directory: { [domainId]: [{ userId: resourceId, email: member }] },
  });
  const saved = await gql(
    `mutation ($input: ConfigureLineWorksInput!) { configureLineWorks(input: $input) {
      integration { botId callbackUrl botSecret { configured } } errors { code message } } }`,
    {
      input: {
        enabled: true,
        domainId,
        adminEmail: 'admin@works.example',
        clientId,
        clientSecret,
        serviceAccount,
        privateKey: privatePem,
        botSecret: BOT_SECRET,
      },
    },
    admin,
  );
  expect(saved.data?.configureLineWorks.errors).toEqual([]);
  const integration = saved.data?.configureLineWorks.integration;
  await gql(
    'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE_WORKS, enabled: true }]) { errors { code } } }',
    {},
    admin,
  );
  await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: [{ userId: member }, { userId: `other-${tenant}` }] },
    service,
  );
  return {
    tenant,
    admin,
    service,
    members: [member],
    member,
    resourceId,
    domainId,
    botId: integration.botId as string,
    integration,
  };
}

export async function lineWorksClick(
  t: { tenant: string; botId: string; domainId: string },
  userId: string,
  postback: string,
  options: { secret?: string; botId?: string; rawBody?: string } = {},
) {
  const signed = await fake(env.LINE_WORKS_API_BASE, '/__fake/callback', {
    botSecret: options.secret ?? BOT_SECRET,
    botId: options.botId ?? t.botId,
    userId,
    domainId: t.domainId,
    postback,
    text: '承認',
    ...(options.rawBody !== undefined ? { rawBody: options.rawBody } : {}),
  });
  return exports.default.fetch(`https://renkei.test/line-works/callback/${t.tenant}`, {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  });
}

export async function botMessagesTo(botId: string, userId: string) {
  return fake(
    env.LINE_WORKS_API_BASE,
    `/__fake/requests?path=/v1.0/bots/${botId}/users/${encodeURIComponent(userId)}/messages`,
  );
}

export const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => (b % 16).toString(16)).join('');

/** `value` with its last character changed to one it is not (a MAC that no longer verifies). */
export const tamperLast = (value: string) =>
  `${value.slice(0, -1)}${value.endsWith('Z') ? 'Y' : 'Z'}`;

/** LINE on an existing tenant: the channel configured, its rule on, `member` linked. */
export async function addLine(t: { tenant: string; admin: string }, member: string) {
  const channelToken = `line-token-${crypto.randomUUID()}`;
  const messagingSecret = `messaging-secret-${hex(16)}`;
  const lineUserId = `U${hex(32)}`;
  const basicId = `@${hex(8)}`;
  await fake(env.LINE_API_BASE, '/__fake/state', {
    bots: { [channelToken]: { userId: `U${hex(32)}`, basicId, displayName: 'Acme' } },
    users: { [lineUserId]: { displayName: 'Hanako', friend: true } },
  });
  const configured = await gql(
    `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { code message } } }`,
    {
      i: {
        enabled: true,
        loginChannelId: '1650009999',
        loginChannelSecret: `login-${hex(8)}`,
        messagingChannelSecret: messagingSecret,
        channelAccessToken: channelToken,
        friendUrl: `https://line.me/R/ti/p/${basicId}`,
      },
    },
    t.admin,
  );
  expect(configured.data?.configureLine.errors).toEqual([]);
  await gql(
    'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: LINE, enabled: true }]) { errors { code } } }',
    {},
    t.admin,
  );
  // The member linked earlier (LINE Login + follow, covered by line.test.ts).
  const d1 = await tenantD1(t.tenant);
  await d1
    .prepare(
      "update users set line_user_id = ?, line_status = 'LINKED' where tenant_id = ? and user_id = ?",
    )
    .bind(lineUserId, t.tenant, member)
    .run();
  return { channelToken, messagingSecret, lineUserId };
}

export async function lineTenant() {
  const tenant = tenantId('lnd');
  const { admin, service } = await tokens(tenant);
  const member = `m-${tenant}`;
  await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: [{ userId: member }] },
    service,
  );
  const line = await addLine({ tenant, admin }, member);
  return { tenant, admin, service, members: [member], member, ...line };
}

/** The LINE Messaging API requests the fake recorded at `path`, e.g. `/v2/bot/message/push`. */
export async function lineRequests(path: string, contains: string) {
  return fake(env.LINE_API_BASE, `/__fake/requests?path=${path}&contains=${contains}`);
}

export async function linePostback(
  t: { tenant: string; messagingSecret: string },
  userId: string,
  data: string,
  webhookEventId?: string,
) {
  const signed = await fake(env.LINE_API_BASE, '/__fake/postback', {
    channelSecret: t.messagingSecret,
    userId,
    data,
    ...(webhookEventId ? { webhookEventId } : {}),
  });
  return exports.default.fetch(`https://renkei.test/line/webhook/${t.tenant}`, {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  });
}
