// Integration: integration settings, verification and rules through /graphql with real D1
// and the Slack / LINE fakes on 127.0.0.1.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { dumpDatabase, fake, gql, rsaKeyPair, tenantId, tokens } from './helpers.ts';

const SLACK = `{ integrations { slack { kind enabled status lastError lastVerifiedAt updatedAt
  teamId teamName botUserId botToken { configured hint updatedAt } } } }`;

const CONFIGURE_SLACK = `mutation ($input: ConfigureSlackInput!) {
  configureSlack(input: $input) {
    integration { enabled status botToken { configured hint } }
    errors { code message field }
  }
}`;

describe('configureSlack', () => {
  it('stores the token encrypted and shows it redacted', async () => {
    const t = tenantId();
    const { admin } = await tokens(t);
    const secret = `xoxb-${crypto.randomUUID()}-SECRETVALUE`;
    const r = await gql(CONFIGURE_SLACK, { input: { enabled: true, botToken: secret } }, admin);
    expect(r.data?.configureSlack).toEqual({
      integration: {
        enabled: true,
        status: 'UNVERIFIED',
        botToken: { configured: true, hint: 'ALUE' },
      },
      errors: [],
    });
    const read = await gql(SLACK, {}, admin);
    expect(read.data?.integrations.slack).toMatchObject({
      kind: 'SLACK',
      enabled: true,
      status: 'UNVERIFIED',
      botToken: { configured: true, hint: 'ALUE' },
    });
    expect(JSON.stringify(read)).not.toContain(secret);
    expect(await dumpDatabase()).not.toContain(secret);
    expect(await dumpDatabase()).not.toContain(secret.slice(0, 20));
  });

  it('requires a token to enable and leaves omitted fields unchanged', async () => {
    const { admin } = await tokens(tenantId());
    const missing = await gql(CONFIGURE_SLACK, { input: { enabled: true } }, admin);
    expect(missing.data?.configureSlack.integration).toBeNull();
    expect(missing.data?.configureSlack.errors).toEqual([
      {
        code: 'REQUIRED',
        message: expect.stringContaining('botToken'),
        field: ['input', 'botToken'],
      },
    ]);
    await gql(
      CONFIGURE_SLACK,
      { input: { enabled: true, botToken: 'xoxb-1-abcdefghijkl' } },
      admin,
    );
    const off = await gql(CONFIGURE_SLACK, { input: { enabled: false } }, admin);
    expect(off.data?.configureSlack.integration).toEqual({
      enabled: false,
      status: 'DISABLED',
      botToken: { configured: true, hint: 'ijkl' },
    });
    const bad = await gql(
      CONFIGURE_SLACK,
      { input: { enabled: true, botToken: 'has space' } },
      admin,
    );
    expect(bad.data?.configureSlack.errors[0]).toMatchObject({
      code: 'INVALID',
      field: ['input', 'botToken'],
    });
    const cleared = await gql(CONFIGURE_SLACK, { input: { enabled: false, botToken: '' } }, admin);
    expect(cleared.data?.configureSlack.integration.botToken).toEqual({
      configured: false,
      hint: null,
    });
  });
});

describe('configureLine and configureLineWorks validation', () => {
  const CONFIGURE_LINE = `mutation ($input: ConfigureLineInput!) {
    configureLine(input: $input) {
      integration { enabled status loginChannelId friendUrl callbackUrl webhookUrl
        loginChannelSecret { configured } messagingChannelSecret { configured } channelAccessToken { configured hint } }
      errors { code message field }
    }
  }`;

  it('refuses a non-https friend URL and reports missing fields by path', async () => {
    const { admin } = await tokens(tenantId());
    const r = await gql(
      CONFIGURE_LINE,
      { input: { enabled: true, friendUrl: 'http://line.me/R/ti/p/@abc', loginChannelId: 'abc' } },
      admin,
    );
    const fields = r.data?.configureLine.errors.map((e: { field: string[] }) => e.field.join('.'));
    expect(fields).toEqual(['input.loginChannelId', 'input.friendUrl']);
    const missing = await gql(
      CONFIGURE_LINE,
      { input: { enabled: true, loginChannelId: '1650000001' } },
      admin,
    );
    expect(missing.data?.configureLine.errors.map((e: { field: string[] }) => e.field[1])).toEqual([
      'loginChannelSecret',
      'messagingChannelSecret',
      'channelAccessToken',
      'friendUrl',
    ]);
  });

  it('derives callback and webhook URLs from PUBLIC_BASE_URL', async () => {
    const t = tenantId();
    const { admin } = await tokens(t);
    const r = await gql(
      CONFIGURE_LINE,
      {
        input: {
          enabled: true,
          loginChannelId: '1650000001',
          loginChannelSecret: 'login-secret-value-1234',
          messagingChannelSecret: 'messaging-secret-5678',
          channelAccessToken: 'channel-token-abcdefgh',
          friendUrl: 'https://line.me/R/ti/p/@renkei',
        },
      },
      admin,
    );
    expect(r.data?.configureLine.errors).toEqual([]);
    expect(r.data?.configureLine.integration).toMatchObject({
      callbackUrl: `${env.PUBLIC_BASE_URL}/line/callback`,
      webhookUrl: `${env.PUBLIC_BASE_URL}/line/webhook/${t}`,
      channelAccessToken: { configured: true, hint: 'efgh' },
    });
  });

  const CONFIGURE_LW = `mutation ($input: ConfigureLineWorksInput!) {
    configureLineWorks(input: $input) {
      integration { enabled status domainId adminEmail clientId serviceAccount botId privateKey { configured } clientSecret { configured hint } }
      errors { code message field }
    }
  }`;

  it('accepts a PKCS#8 key and refuses anything else', async () => {
    const { admin } = await tokens(tenantId());
    const { privatePem } = await rsaKeyPair();
    const base = {
      enabled: true,
      domainId: '10000001',
      adminEmail: 'admin@example.co.jp',
      clientId: 'client-abc',
      clientSecret: 'client-secret-xyz',
      serviceAccount: 'abcd.serviceaccount@example.co.jp',
      botId: '2000001',
    };
    const pkcs1 = privatePem.replace(/PRIVATE KEY/g, 'RSA PRIVATE KEY');
    for (const privateKey of [
      'not a key',
      pkcs1,
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    ]) {
      const bad = await gql(CONFIGURE_LW, { input: { ...base, privateKey } }, admin);
      expect(bad.data?.configureLineWorks.errors).toEqual([
        { code: 'INVALID', message: expect.any(String), field: ['input', 'privateKey'] },
      ]);
    }
    const ok = await gql(CONFIGURE_LW, { input: { ...base, privateKey: privatePem } }, admin);
    expect(ok.data?.configureLineWorks.errors).toEqual([]);
    expect(ok.data?.configureLineWorks.integration).toMatchObject({
      domainId: '10000001',
      botId: '2000001',
      privateKey: { configured: true },
    });
    expect(await dumpDatabase()).not.toContain(privatePem.split('\n')[3]);
    const email = await gql(CONFIGURE_LW, { input: { enabled: true, adminEmail: 'nope' } }, admin);
    expect(email.data?.configureLineWorks.errors[0].field).toEqual(['input', 'adminEmail']);
  });
});

describe('verifyIntegration', () => {
  const VERIFY = `mutation ($kind: IntegrationKind!) {
    verifyIntegration(kind: $kind) {
      ok errors { code message }
      integration { kind status lastError lastVerifiedAt ... on SlackMessenger { teamId teamName botUserId } ... on LineMessenger { basicId } }
    }
  }`;

  it('Slack: auth.test fills the team and bot fields, invalid_auth sets ERROR', async () => {
    const { admin } = await tokens(tenantId());
    const good = `xoxb-${crypto.randomUUID()}`;
    await fake(env.SLACK_API_BASE, '/__fake/state', {
      tokens: { [good]: { team: 'Acme', team_id: 'T0ACME', user_id: 'U0BOT', bot_id: 'B0ACME' } },
    });
    await gql(CONFIGURE_SLACK, { input: { enabled: true, botToken: good } }, admin);
    const ok = await gql(VERIFY, { kind: 'SLACK' }, admin);
    expect(ok.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: {
        status: 'ACTIVE',
        teamId: 'T0ACME',
        teamName: 'Acme',
        botUserId: 'U0BOT',
        lastError: null,
      },
    });
    const sent = await fake(env.SLACK_API_BASE, `/__fake/requests?path=auth.test&contains=${good}`);
    expect(sent).toHaveLength(1);
    expect(sent[0].method).toBe('POST');
    expect(sent[0].headers.authorization).toBe(`Bearer ${good}`);

    await gql(
      CONFIGURE_SLACK,
      { input: { enabled: true, botToken: 'xoxb-revoked-token-0000' } },
      admin,
    );
    const bad = await gql(VERIFY, { kind: 'SLACK' }, admin);
    expect(bad.data?.verifyIntegration).toMatchObject({
      ok: false,
      errors: [{ code: 'PROVIDER_REJECTED', message: expect.stringContaining('invalid_auth') }],
      integration: { status: 'ERROR', lastError: expect.stringContaining('invalid_auth') },
    });
  });

  it('LINE: reads the bot info with the channel token', async () => {
    const { admin } = await tokens(tenantId());
    const channelToken = `line-token-${crypto.randomUUID()}`;
    await fake(env.LINE_API_BASE, '/__fake/state', {
      bots: {
        [channelToken]: {
          userId: `U${'a'.repeat(32)}`,
          basicId: '@renkei01',
          displayName: 'Renkei',
        },
      },
    });
    await gql(
      `mutation ($input: ConfigureLineInput!) { configureLine(input: $input) { errors { field } } }`,
      {
        input: {
          enabled: true,
          loginChannelId: '1650000002',
          loginChannelSecret: 'login-secret-value-1234',
          messagingChannelSecret: 'messaging-secret-5678',
          channelAccessToken: channelToken,
          friendUrl: 'https://line.me/R/ti/p/@renkei01',
        },
      },
      admin,
    );
    const r = await gql(VERIFY, { kind: 'LINE' }, admin);
    expect(r.data?.verifyIntegration).toMatchObject({
      ok: true,
      errors: [],
      integration: { status: 'ACTIVE', basicId: '@renkei01' },
    });
    const calls = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/info&contains=${channelToken}`,
    );
    expect(calls[0].headers.authorization).toBe(`Bearer ${channelToken}`);
  });

  it('says NOT_CONFIGURED for an integration never set up', async () => {
    const { admin } = await tokens(tenantId());
    const r = await gql(VERIFY, { kind: 'SLACK' }, admin);
    expect(r.data?.verifyIntegration).toMatchObject({
      ok: false,
      errors: [{ code: 'NOT_CONFIGURED' }],
    });
  });
});

describe('notification rules', () => {
  it('starts all off and sets only the given cells', async () => {
    const { admin } = await tokens(tenantId());
    const all = await gql('{ notificationRules { type channel enabled } }', {}, admin);
    expect(all.data?.notificationRules).toHaveLength(9 * 4);
    expect(all.data?.notificationRules.every((r: { enabled: boolean }) => !r.enabled)).toBe(true);
    const set = await gql(
      `mutation { setNotificationRules(rules: [
        { type: APPROVAL_REQUESTED, channel: SLACK, enabled: true },
        { type: REJECTED, channel: LINE, enabled: true }
      ]) { rules { type channel enabled } errors { code } } }`,
      {},
      admin,
    );
    const on = set.data?.setNotificationRules.rules.filter((r: { enabled: boolean }) => r.enabled);
    expect(on).toEqual([
      { type: 'APPROVAL_REQUESTED', channel: 'SLACK', enabled: true },
      { type: 'REJECTED', channel: 'LINE', enabled: true },
    ]);
    const conflict = await gql(
      `mutation { setNotificationRules(rules: [
        { type: APPROVED, channel: SLACK, enabled: true },
        { type: APPROVED, channel: SLACK, enabled: false }
      ]) { rules { type } errors { code field } } }`,
      {},
      admin,
    );
    expect(conflict.data?.setNotificationRules.errors).toEqual([
      { code: 'INVALID', field: ['rules', '1'] },
    ]);
    const bad = await gql(
      'mutation { setNotificationRules(rules: [{ type: NOPE, channel: SLACK, enabled: true }]) { errors { code } } }',
      {},
      admin,
    );
    expect(bad.errors?.[0]?.message).toMatch(/NOPE/);
  });
});

describe('configureLineWorksCalendar and configureGoogleChat', () => {
  const CAL = `mutation ($input: ConfigureLineWorksCalendarInput!) { configureLineWorksCalendar(input: $input) {
    integration { kind enabled status useMessengerCredentials clientId privateKey { configured } }
    errors { code field } } }`;

  it('enables with the messenger credentials, or requires its own', async () => {
    const { admin } = await tokens(tenantId());
    const own = await gql(CAL, { input: { enabled: true, useMessengerCredentials: false } }, admin);
    expect(own.data?.configureLineWorksCalendar.errors.map((e: any) => e.field[1])).toEqual([
      'domainId',
      'clientId',
      'clientSecret',
      'serviceAccount',
      'privateKey',
    ]);
    const shared = await gql(
      CAL,
      { input: { enabled: true, useMessengerCredentials: true } },
      admin,
    );
    expect(shared.data?.configureLineWorksCalendar).toEqual({
      integration: {
        kind: 'LINE_WORKS_CALENDAR',
        enabled: true,
        status: 'UNVERIFIED',
        useMessengerCredentials: true,
        clientId: null,
        privateKey: { configured: false },
      },
      errors: [],
    });
  });

  it('switches Google Chat on and off', async () => {
    const { admin } = await tokens(tenantId());
    const on = await gql(
      'mutation { configureGoogleChat(input: { enabled: true }) { integration { enabled status } errors { code } } }',
      {},
      admin,
    );
    expect(on.data?.configureGoogleChat).toEqual({
      integration: { enabled: true, status: 'ACTIVE' },
      errors: [],
    });
    const off = await gql(
      'mutation { configureGoogleChat(input: { enabled: false }) { integration { enabled status } errors { code } } }',
      {},
      admin,
    );
    expect(off.data?.configureGoogleChat.integration).toEqual({
      enabled: false,
      status: 'DISABLED',
    });
  });
});
