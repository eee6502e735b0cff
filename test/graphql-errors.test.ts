// Integration: documents that do not parse or validate, and unexpected resolver errors, in dev
// mode (NODE_ENV=development, as under `wrangler dev`): a 4xx or a coded GraphQL error, never a
// 5xx, never a stack or an internal message. test/dev-server/graphql-errors.dev.mjs repeats the
// parse cases against a real `wrangler dev`, whose bundle is where the syntax-error 500 came from.
import { exports } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, tenantD1, tenantId, tokens } from './helpers.ts';

const LEAK = /originalError|stack|\bat [\w$.<>]+ \(|\.ts:\d+|\.js:\d+|SQLITE|D1_ERROR/i;

async function post(body: string) {
  const res = await exports.default.fetch('https://renkei.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('GraphQL errors in dev mode', () => {
  const saved = globalThis.process?.env?.NODE_ENV;
  beforeAll(() => {
    globalThis.process.env.NODE_ENV = 'development';
  });
  afterAll(() => {
    globalThis.process.env.NODE_ENV = saved;
  });

  const documents: [string, string, string][] = [
    ['unterminated selection', '{ viewer { tenantId ', 'GRAPHQL_PARSE_FAILED'],
    ['stray brace', '{ viewer { tenantId } } }', 'GRAPHQL_PARSE_FAILED'],
    ['bad string', '{ node(id: "abc) { id } }', 'GRAPHQL_PARSE_FAILED'],
    ['over the token limit', `{ ${'viewer { role } '.repeat(7000)} }`, 'GRAPHQL_PARSE_FAILED'],
    ['unknown field', '{ nope }', 'GRAPHQL_VALIDATION_FAILED'],
  ];
  for (const [name, query, code] of documents) {
    it(`${name}: ${code}, not a 5xx, nothing internal`, async () => {
      const res = await post(JSON.stringify({ query }));
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(LEAK);
      const body = JSON.parse(res.text) as { errors: { extensions?: { code?: string } }[] };
      expect(body.errors[0]?.extensions?.code).toBe(code);
    });
  }

  it('an unexpected error in a resolver is masked: no message, no stack, no originalError', async () => {
    const tenant = tenantId('errs');
    const t = await tokens(tenant);
    await gql(
      'mutation { upsertUsers(users: [{ userId: "gone" }]) { errors { code } } }',
      {},
      t.service,
    );
    const up = await gql(
      `mutation ($input: AbsenceInput!) { upsertAbsence(input: $input) { errors { code } } }`,
      {
        input: {
          absenceId: 'a1',
          userId: 'gone',
          title: 'Off',
          startDate: '2026-12-24',
          endDate: '2026-12-24',
          allDay: true,
        },
      },
      t.service,
    );
    expect(up.data?.upsertAbsence.errors).toEqual([]);
    // The member row disappears under the absence: Absence.user now throws a plain Error.
    await (await tenantD1(tenant))
      .prepare('delete from users where tenant_id = ?')
      .bind(tenant)
      .run();
    const res = await exports.default.fetch('https://renkei.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.admin}` },
      body: JSON.stringify({ query: '{ absences { absenceId user { userId } } }' }),
    });
    const text = await res.text();
    expect(res.status).toBeLessThan(500);
    expect(text).not.toMatch(LEAK);
    expect(text).not.toContain('no longer exists');
    expect(JSON.parse(text).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
