// Integration: directory sync, member bindings, audit log, node ids and tenant isolation.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { dumpDatabase, gql, tenantId, token, tokens } from './helpers.ts';

const UPSERT = `mutation ($users: [UserInput!]!) {
  upsertUsers(users: $users) { users { id userId displayName email locale bindings { lineWorks { userId overridden } } } errors { code message field } }
}`;
const BINDINGS = `mutation ($input: UpdateMyBindingsInput!) {
  updateMyBindings(input: $input) {
    user { userId bindings { slack { memberId } googleChat { configured space } line { status } } }
    errors { code message field }
  }
}`;

describe('upsertUsers and users', () => {
  it('syncs the directory and pages through it with search', async () => {
    const { service, admin } = await tokens(tenantId());
    const list = Array.from({ length: 25 }, (_, i) => ({
      userId: `u${String(i).padStart(3, '0')}`,
      displayName: i % 2 ? `佐藤 ${i}` : `Suzuki ${i}`,
      email: `u${i}@example.co.jp`,
      locale: i === 1 ? 'EN' : undefined,
    }));
    list[2] = { ...list[2], lineWorksUserId: 'suzuki2@works.example' } as (typeof list)[number];
    const r = await gql(UPSERT, { users: list }, service);
    expect(r.data?.upsertUsers.errors).toEqual([]);
    expect(r.data?.upsertUsers.users).toHaveLength(25);
    expect(r.data?.upsertUsers.users[1]).toMatchObject({ userId: 'u001', locale: 'EN' });
    expect(r.data?.upsertUsers.users[2].bindings.lineWorks).toEqual({
      userId: 'suzuki2@works.example',
      overridden: true,
    });
    expect(r.data?.upsertUsers.users[3].bindings.lineWorks).toEqual({
      userId: 'u003',
      overridden: false,
    });

    // A partial update leaves other fields alone.
    await gql(UPSERT, { users: [{ userId: 'u001', displayName: 'Renamed' }] }, service);
    const PAGE = `query ($after: String, $search: String) { users(first: 10, after: $after, search: $search) {
      totalCount edges { cursor node { userId displayName locale } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;
    const p1 = await gql(PAGE, {}, admin);
    expect(p1.data?.users.totalCount).toBe(25);
    expect(p1.data?.users.edges.map((e: any) => e.node.userId).slice(0, 2)).toEqual([
      'u000',
      'u001',
    ]);
    expect(p1.data?.users.edges[1].node).toEqual({
      userId: 'u001',
      displayName: 'Renamed',
      locale: 'EN',
    });
    expect(p1.data?.users.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p3 = await gql(
      PAGE,
      {
        after: (await gql(PAGE, { after: p1.data?.users.pageInfo.endCursor }, admin)).data?.users
          .pageInfo.endCursor,
      },
      admin,
    );
    expect(p3.data?.users.edges.map((e: any) => e.node.userId)).toEqual([
      'u020',
      'u021',
      'u022',
      'u023',
      'u024',
    ]);
    expect(p3.data?.users.pageInfo.hasNextPage).toBe(false);
    const found = await gql(PAGE, { search: '佐藤' }, admin);
    expect(found.data?.users.totalCount).toBe(11); // u001 was renamed
    const pct = await gql(PAGE, { search: '%' }, admin);
    expect(pct.data?.users.totalCount).toBe(0);
    const badCursor = await gql(PAGE, { after: 'garbage' }, admin);
    expect(badCursor.errors?.[0]?.message).toMatch(/cursor/i);
  });

  it('refuses bad input with field paths', async () => {
    const { service } = await tokens(tenantId());
    const r = await gql(
      UPSERT,
      { users: [{ userId: 'ok' }, { userId: ' ', email: 'nope' }] },
      service,
    );
    expect(r.data?.upsertUsers.users).toEqual([]);
    expect(r.data?.upsertUsers.errors.map((e: any) => e.field.join('.'))).toEqual([
      'users.1.userId',
      'users.1.email',
    ]);
  });
});

describe('me and updateMyBindings', () => {
  it('validates and stores bindings; the webhook is encrypted and shown as its space', async () => {
    const t = tenantId();
    const user = await token(t, 'user', 'member-7');
    const me = await gql(
      '{ me { userId locale bindings { slack { memberId } googleChat { configured } line { status } lineWorks { userId } } } }',
      {},
      user,
    );
    expect(me.data?.me).toEqual({
      userId: 'member-7',
      locale: 'JA',
      bindings: {
        slack: null,
        googleChat: null,
        line: { status: 'NOT_LINKED' },
        lineWorks: { userId: 'member-7' },
      },
    });
    const webhook = `${env.GOOGLE_CHAT_WEBHOOK_ORIGIN}/v1/spaces/AAAAspace1/messages?key=KEY123&token=TOKEN-SECRET-${crypto.randomUUID()}`;
    const ok = await gql(
      BINDINGS,
      { input: { slackMemberId: 'U0123ABCD', googleChatWebhookUrl: webhook } },
      user,
    );
    expect(ok.data?.updateMyBindings).toEqual({
      user: {
        userId: 'member-7',
        bindings: {
          slack: { memberId: 'U0123ABCD' },
          googleChat: { configured: true, space: 'AAAAspace1' },
          line: { status: 'NOT_LINKED' },
        },
      },
      errors: [],
    });
    expect(await dumpDatabase()).not.toContain('TOKEN-SECRET');
    expect(JSON.stringify(ok)).not.toContain('TOKEN-SECRET');

    const bad = await gql(
      BINDINGS,
      {
        input: {
          slackMemberId: 'bob',
          googleChatWebhookUrl: 'https://evil.example/v1/spaces/X/messages?key=a&token=b',
        },
      },
      user,
    );
    expect(bad.data?.updateMyBindings.errors.map((e: any) => e.field[1])).toEqual([
      'slackMemberId',
      'googleChatWebhookUrl',
    ]);
    const noToken = await gql(
      BINDINGS,
      {
        input: {
          googleChatWebhookUrl: `${env.GOOGLE_CHAT_WEBHOOK_ORIGIN}/v1/spaces/X/messages?key=a`,
        },
      },
      user,
    );
    expect(noToken.data?.updateMyBindings.errors[0].field).toEqual([
      'input',
      'googleChatWebhookUrl',
    ]);

    const cleared = await gql(
      BINDINGS,
      { input: { slackMemberId: '', googleChatWebhookUrl: '' } },
      user,
    );
    expect(cleared.data?.updateMyBindings.user.bindings).toMatchObject({
      slack: null,
      googleChat: null,
    });
  });
});

describe('a Slack member ID reaches one member', () => {
  it("refuses another member's Slack member ID, one after the other and at once", async () => {
    const t = tenantId();
    const victim = await token(t, 'user', 'victim');
    const attacker = await token(t, 'user', 'attacker');
    const a = await token(t, 'user', 'racer-a');
    const b = await token(t, 'user', 'racer-b');
    const bind = (id: string, who: string) => gql(BINDINGS, { input: { slackMemberId: id } }, who);
    expect((await bind('U0VICTIM01', victim)).data?.updateMyBindings.errors).toEqual([]);
    // Keeping one's own ID is no conflict.
    expect((await bind('U0VICTIM01', victim)).data?.updateMyBindings.errors).toEqual([]);
    const taken = await bind('U0VICTIM01', attacker);
    expect(taken.data?.updateMyBindings).toMatchObject({
      user: null,
      errors: [{ code: 'CONFLICT', field: ['input', 'slackMemberId'] }],
    });
    const mine = '{ me { bindings { slack { memberId } } } }';
    expect((await gql(mine, {}, attacker)).data?.me.bindings.slack).toBeNull();
    // Another tenant's member may have the same ID (another workspace).
    const elsewhere = await token(tenantId(), 'user', 'attacker');
    expect((await bind('U0VICTIM01', elsewhere)).data?.updateMyBindings.errors).toEqual([]);

    // Two members claiming one new ID at once: exactly one gets it, and only its change is
    // in the audit log.
    const race = await Promise.all([bind('U0RACE0001', a), bind('U0RACE0001', b)]);
    const codes = race.map((r) => r.data?.updateMyBindings.errors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
    const { admin } = await tokens(t);
    const audit = await gql(
      '{ auditLog(first: 50) { edges { node { action target } } } }',
      {},
      admin,
    );
    const bindings = audit.data?.auditLog.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.action === 'binding.update')
      .map((n: any) => n.target)
      .sort();
    const winner = race[0]?.data?.updateMyBindings.errors.length === 0 ? 'racer-a' : 'racer-b';
    expect(bindings).toEqual([winner, 'victim'].sort());
  });
});

describe('audit log and node ids', () => {
  it('records changes without secrets and resolves entries by node id', async () => {
    const t = tenantId();
    const { admin, user } = await tokens(t);
    const secret = `xoxb-audit-${crypto.randomUUID()}`;
    await gql(
      'mutation ($t: String) { configureSlack(input: { enabled: true, botToken: $t }) { errors { code } } }',
      { t: secret },
      admin,
    );
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVED, channel: SLACK, enabled: true }]) { errors { code } } }',
      {},
      admin,
    );
    await gql(BINDINGS, { input: { slackMemberId: 'U0AUDIT1' } }, user);
    const log = await gql(
      '{ auditLog(first: 10) { totalCount edges { node { id at actor action target detail } } } }',
      {},
      admin,
    );
    const nodes = log.data?.auditLog.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.action)).toEqual([
      'binding.update',
      'rules.set',
      'integration.configure',
    ]);
    expect(nodes[2]).toMatchObject({ actor: 'admin-1', target: 'SLACK' });
    expect(nodes[0]).toMatchObject({ actor: 'member-1' });
    expect(JSON.stringify(log)).not.toContain(secret);

    const byId = await gql(
      'query ($id: ID!) { node(id: $id) { id ... on AuditEntry { action } } }',
      { id: nodes[1].id },
      admin,
    );
    expect(byId.data?.node).toEqual({ id: nodes[1].id, action: 'rules.set' });
    const asUser = await gql(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id: nodes[1].id },
      user,
    );
    expect(asUser.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const junk = await gql('query { node(id: "bm9wZQ") { id } }', {}, admin);
    expect(junk.data?.node).toBeNull();
  });
});

describe('tenant isolation', () => {
  it('tenant B cannot read or change tenant A settings, users or audit entries', async () => {
    const a = await tokens(tenantId('a'));
    const b = await tokens(tenantId('b'));
    await gql(
      'mutation { configureSlack(input: { enabled: true, botToken: "xoxb-tenant-a-token" }) { errors { code } } }',
      {},
      a.admin,
    );
    const users = await gql(
      UPSERT,
      { users: [{ userId: 'alice', displayName: 'Alice A' }] },
      a.service,
    );
    const aliceId = users.data?.upsertUsers.users[0].id;
    const aLog = await gql('{ auditLog { edges { node { id } } } }', {}, a.admin);
    const entryId = aLog.data?.auditLog.edges[0].node.id;

    const bSlack = await gql(
      '{ integrations { slack { enabled botToken { configured } } } }',
      {},
      b.admin,
    );
    expect(bSlack.data?.integrations.slack).toEqual({
      enabled: false,
      botToken: { configured: false },
    });
    const bUsers = await gql('{ users { totalCount } }', {}, b.admin);
    expect(bUsers.data?.users.totalCount).toBe(0);
    const bLog = await gql('{ auditLog { totalCount } }', {}, b.admin);
    expect(bLog.data?.auditLog.totalCount).toBe(0);
    for (const id of [aliceId, entryId]) {
      const r = await gql('query ($id: ID!) { node(id: $id) { id } }', { id }, b.admin);
      expect(r.data?.node).toBeNull();
    }
    // B's writes land in B only.
    await gql(
      'mutation { configureSlack(input: { enabled: false }) { errors { code } } }',
      {},
      b.admin,
    );
    await gql(UPSERT, { users: [{ userId: 'alice', displayName: 'Alice B' }] }, b.service);
    const aAgain = await gql(
      '{ integrations { slack { enabled } } users { edges { node { displayName } } } }',
      {},
      a.admin,
    );
    expect(aAgain.data?.integrations.slack.enabled).toBe(true);
    expect(aAgain.data?.users.edges[0].node.displayName).toBe('Alice A');
    // A user sees only themselves through node().
    const aliceNode = await gql(
      'query ($id: ID!) { node(id: $id) { id } }',
      { id: aliceId },
      a.user,
    );
    expect(aliceNode.data?.node).toBeNull();
  });
});

describe('users(search:)', () => {
  it('matches _ % and \\ literally, and refuses a search longer than D1 allows', async () => {
    const { admin, service } = await tokens(tenantId('search'));
    const ids = ['a_b', 'axb', 'a%b', 'a%%b', 'a\\b', 'ab'];
    const up = await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
      { u: ids.map((userId) => ({ userId })) },
      service,
    );
    expect(up.data?.upsertUsers.errors).toEqual([]);
    const SEARCH =
      'query ($s: String) { users(first: 50, search: $s) { edges { node { userId } } } }';
    const found = async (s: string) =>
      ((await gql(SEARCH, { s }, admin)).data?.users.edges ?? []).map((e: any) => e.node.userId);
    expect(await found('a_b')).toEqual(['a_b']);
    expect(await found('_')).toEqual(['a_b']);
    expect(await found('a%b')).toEqual(['a%b']);
    expect(await found('%')).toEqual(['a%%b', 'a%b']);
    expect(await found('a\\b')).toEqual(['a\\b']);
    expect(await found('\\')).toEqual(['a\\b']);
    expect(await found('x'.repeat(48))).toEqual([]);
    for (const s of ['x'.repeat(49), '佐'.repeat(17), '_'.repeat(25)]) {
      const r = await gql(SEARCH, { s }, admin);
      expect(r.data).toBeNull();
      expect(r.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        errors: [{ code: 'INVALID', field: ['search'] }],
      });
      expect(r.errors?.[0]?.message).toMatch(/at most 48 bytes/);
    }
  });
});
