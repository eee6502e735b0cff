// Integration: a corpus of malformed requests against /graphql. Each must get a clear error
// (never a 5xx) and store nothing for the tenant.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantD1, tenantId, token } from './helpers.ts';

interface Case {
  name: string;
  role: 'admin' | 'user' | 'service';
  body: string;
  contentType?: string;
}

const SQL = ["'; drop table users; --", '1 OR 1=1', '" union select * from integrations --'];
const SCRIPT = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
];
const HUGE = 'x'.repeat(300_000);
const WRONG: unknown[] = [42, true, { a: 1 }, ['a'], null, 1.5, -1];

const gqlBody = (query: string, variables?: unknown) => JSON.stringify({ query, variables });

/** Mutations with their variables' shapes; each gets wrong types, bad values and junk. */
const MUTATIONS: { role: Case['role']; query: string; valid: Record<string, unknown> }[] = [
  {
    role: 'admin',
    query:
      'mutation ($input: ConfigureSlackInput!) { configureSlack(input: $input) { errors { code field } } }',
    valid: { enabled: true, botToken: 'xoxb-valid-token-0000' },
  },
  {
    role: 'admin',
    query:
      'mutation ($input: ConfigureLineInput!) { configureLine(input: $input) { errors { code field } } }',
    valid: {
      enabled: true,
      loginChannelId: '1650000009',
      loginChannelSecret: 'secret-secret-0000',
      messagingChannelSecret: 'secret-secret-1111',
      channelAccessToken: 'token-token-2222',
      friendUrl: 'https://line.me/R/ti/p/@ok',
    },
  },
  {
    role: 'admin',
    query:
      'mutation ($input: ConfigureLineWorksInput!) { configureLineWorks(input: $input) { errors { code field } } }',
    valid: { enabled: false, domainId: '10000001', adminEmail: 'a@example.com', botId: '12345' },
  },
  {
    role: 'service',
    query:
      'mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) { errors { code field } } }',
    valid: {
      idempotencyKey: 'k1',
      type: 'APPROVED',
      documentId: 'd1',
      title: 't',
      url: 'https://workplace.example/d1',
      recipients: ['nobody'],
    },
  },
  {
    role: 'user',
    query:
      'mutation ($input: UpdateMyBindingsInput!) { updateMyBindings(input: $input) { errors { code field } } }',
    valid: { slackMemberId: 'U0123ABCD' },
  },
];

function corpus(): Case[] {
  const cases: Case[] = [];
  // Broken bodies and transports.
  for (const body of [
    '',
    '{',
    '{"query":',
    'null',
    '[]',
    '"text"',
    '{"query": 42}',
    '{"query": null}',
    '{"query": "{ viewer { role } "}',
    '{"query": "query {{{{"}',
    '\u0000\u0001',
    '{"query":"{ viewer { role } }","variables":"nope"}',
    '{"query":"{ viewer { role } }","operationName":42}',
    '{"query":"{ nope }"}',
    '{"query":"mutation { nope }"}',
  ]) {
    cases.push({ name: `body ${JSON.stringify(body).slice(0, 40)}`, role: 'admin', body });
  }
  cases.push({
    name: 'form body',
    role: 'admin',
    body: 'query=%7Bviewer%7D',
    contentType: 'application/x-www-form-urlencoded',
  });
  cases.push({ name: 'xml body', role: 'admin', body: '<query/>', contentType: 'application/xml' });
  // Deep nesting and huge documents.
  cases.push({
    name: 'deep nesting',
    role: 'admin',
    body: gqlBody(`{ ${'node(id: "x") { '.repeat(40)}id${' }'.repeat(40)} }`),
  });
  cases.push({
    name: 'deep fragments',
    role: 'admin',
    body: gqlBody(`{ ${'me { bindings { line { status } } } '.repeat(2)} ${'{'.repeat(500)} }`),
  });
  cases.push({
    name: 'token flood',
    role: 'admin',
    body: gqlBody(`{ ${'viewer { role } '.repeat(25_000)} }`),
  });
  cases.push({
    name: 'alias flood',
    role: 'admin',
    body: gqlBody(
      `{ ${Array.from({ length: 8000 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`,
    ),
  });
  // Unknown enums and arguments.
  for (const q of [
    'mutation { verifyIntegration(kind: TEAMS) { ok } }',
    'mutation { setNotificationRules(rules: [{ type: FAXED, channel: SLACK, enabled: true }]) { errors { code } } }',
    'mutation { setNotificationRules(rules: [{ type: APPROVED, channel: FAX, enabled: true }]) { errors { code } } }',
    'mutation { setNotificationRules(rules: [{ type: APPROVED, channel: SLACK, enabled: "yes" }]) { errors { code } } }',
    'mutation { setNotificationRules(rules: [{ type: APPROVED, channel: SLACK }]) { errors { code } } }',
    '{ users(first: -5) { totalCount } }',
    '{ users(first: "ten") { totalCount } }',
    '{ users(after: "not-a-cursor") { totalCount } }',
    '{ auditLog(after: "eyJhdCI6MX0") { totalCount } }',
    '{ deliveries(filter: { status: LOST }) { totalCount } }',
    '{ deliveries(filter: { eventId: "garbage" }) { totalCount } }',
    '{ workflowEvent(id: { a: 1 }) { id } }',
    'mutation { retryDelivery(id: "garbage") { errors { code } } }',
    'mutation { upsertUsers(users: [{ userId: "a", locale: FR }]) { errors { code } } }',
    'mutation { upsertUsers(users: [{ displayName: "no id" }]) { errors { code } } }',
  ]) {
    cases.push({
      name: q.slice(0, 60),
      role: q.includes('upsertUsers') ? 'service' : 'admin',
      body: gqlBody(q),
    });
  }
  // Each mutation: every field with wrong types, injection strings where a format applies, huge values.
  for (const m of MUTATIONS) {
    for (const field of Object.keys(m.valid)) {
      for (const wrong of WRONG) {
        // Same type as the valid value (e.g. `true` for a Boolean) is not malformed.
        if (wrong !== null && typeof wrong === typeof m.valid[field]) continue;
        if (
          wrong === null &&
          field !== 'enabled' &&
          !['idempotencyKey', 'type', 'documentId', 'title', 'url', 'recipients'].includes(field)
        )
          continue;
        cases.push({
          name: `${field}=${JSON.stringify(wrong)}`,
          role: m.role,
          body: gqlBody(m.query, { input: { ...m.valid, [field]: wrong } }),
        });
      }
      if (typeof m.valid[field] === 'string') {
        cases.push({
          name: `${field} huge`,
          role: m.role,
          body: gqlBody(m.query, { input: { ...m.valid, [field]: HUGE } }),
        });
      }
    }
    cases.push({
      name: 'unknown field',
      role: m.role,
      body: gqlBody(m.query, { input: { ...m.valid, evil: 1 } }),
    });
    cases.push({ name: 'no input', role: m.role, body: gqlBody(m.query, {}) });
  }
  for (const s of [...SQL, ...SCRIPT]) {
    cases.push({
      name: `slackMemberId ${s}`,
      role: 'user',
      body: gqlBody(MUTATIONS[4]!.query, { input: { slackMemberId: s } }),
    });
    cases.push({
      name: `webhook ${s}`,
      role: 'user',
      body: gqlBody(MUTATIONS[4]!.query, { input: { googleChatWebhookUrl: s } }),
    });
    cases.push({
      name: `friendUrl ${s}`,
      role: 'admin',
      body: gqlBody(MUTATIONS[1]!.query, { input: { ...MUTATIONS[1]!.valid, friendUrl: s } }),
    });
    cases.push({
      name: `event url ${s}`,
      role: 'service',
      body: gqlBody(MUTATIONS[3]!.query, { input: { ...MUTATIONS[3]!.valid, url: s } }),
    });
    cases.push({
      name: `recipient ${s}`,
      role: 'service',
      body: gqlBody(MUTATIONS[3]!.query, { input: { ...MUTATIONS[3]!.valid, recipients: [s] } }),
    });
    cases.push({
      name: `botId ${s}`,
      role: 'admin',
      body: gqlBody(MUTATIONS[2]!.query, { input: { ...MUTATIONS[2]!.valid, botId: s } }),
    });
    cases.push({
      name: `adminEmail ${s}`,
      role: 'admin',
      body: gqlBody(MUTATIONS[2]!.query, { input: { ...MUTATIONS[2]!.valid, adminEmail: s } }),
    });
    cases.push({
      name: `retryDelivery ${s}`,
      role: 'admin',
      body: gqlBody('mutation ($id: ID!) { retryDelivery(id: $id) { errors { code } } }', {
        id: s,
      }),
    });
  }
  // Whole-request oddities.
  cases.push({
    name: 'too many recipients',
    role: 'service',
    body: gqlBody(MUTATIONS[3]!.query, {
      input: {
        ...MUTATIONS[3]!.valid,
        recipients: Array.from({ length: 5001 }, (_, i) => `u${i}`),
      },
    }),
  });
  cases.push({
    name: 'too many users',
    role: 'service',
    body: gqlBody('mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }', {
      u: Array.from({ length: 1001 }, (_, i) => ({ userId: `u${i}` })),
    }),
  });
  cases.push({
    name: 'body over 2 MiB',
    role: 'admin',
    body: gqlBody('{ viewer { role } }', { pad: 'x'.repeat(2_200_000) }),
  });
  return cases;
}

/** Whether a GraphQL response carries an error anywhere: top level or a payload's `errors`. */
function hasError(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as { errors?: unknown[]; data?: Record<string, any> | null; error?: string };
  if (b.error || (b.errors && b.errors.length > 0)) return true;
  return Object.values(b.data ?? {}).some((v) => Array.isArray(v?.errors) && v.errors.length > 0);
}

describe('bad-input corpus', () => {
  it('answers every malformed request with a clear error, never a 5xx, storing nothing', async () => {
    const t = tenantId('bad');
    const bearer = {
      admin: await token(t, 'admin', 'admin-x'),
      user: await token(t, 'user', 'user-x'),
      service: await token(t, 'service', 'svc-x'),
    };
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const problems: string[] = [];
    for (const c of cases) {
      const res = await exports.default.fetch('https://renkei.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': c.contentType ?? 'application/json',
          authorization: `Bearer ${bearer[c.role]}`,
        },
        body: c.body,
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: reported below
      }
      if (res.status >= 500) problems.push(`${c.name}: HTTP ${res.status}`);
      else if (!hasError(parsed)) problems.push(`${c.name}: no error in ${text.slice(0, 120)}`);
      else if (/Unexpected error/.test(text)) problems.push(`${c.name}: masked internal error`);
    }
    expect(problems).toEqual([]);
    const stored = await (await tenantD1(t))
      .prepare(
        `select (select count(*) from integrations where tenant_id = ?1) + (select count(*) from users where tenant_id = ?1)
        + (select count(*) from workflow_events where tenant_id = ?1) + (select count(*) from deliveries where tenant_id = ?1)
        + (select count(*) from notification_rules where tenant_id = ?1) + (select count(*) from audit_log where tenant_id = ?1) as n`,
      )
      .bind(t)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  }, 120_000);
});
