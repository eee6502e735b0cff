// Integration: every request goes through the Worker's fetch with real D1.
import { env, exports } from 'cloudflare:workers';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { gql, tenantId, token } from './helpers.ts';

const VIEWER = '{ viewer { tenantId userId role } }';

function codeOf(r: { errors?: { extensions?: { code?: string } }[] }) {
  return r.errors?.[0]?.extensions?.code;
}

describe('authentication', () => {
  it('accepts a valid token and reports the viewer', async () => {
    const t = tenantId();
    const r = await gql(VIEWER, {}, await token(t, 'admin', 'alice'));
    expect(r.errors).toBeUndefined();
    expect(r.data?.viewer).toEqual({ tenantId: t, userId: 'alice', role: 'ADMIN' });
  });

  it.each([
    ['no token', async () => null],
    [
      'a bad signature',
      async () => token('t1', 'admin', 'a', { secret: 'another-secret-of-enough-length' }),
    ],
    [
      'an expired token',
      async () => token('t1', 'admin', 'a', { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    ],
    ['the wrong audience', async () => token('t1', 'admin', 'a', { audience: 'someone-else' })],
    ['the wrong issuer', async () => token('t1', 'admin', 'a', { issuer: 'evil' })],
    ['an unknown role', async () => token('t1', 'admin', 'a', { claims: { role: 'root' } })],
    ['no tenant', async () => token('', 'admin', 'a')],
    // An empty subject would lift a member's own-rows narrowing (tenant-wide counts).
    ['an empty subject', async () => token('t1', 'user', '')],
    ['a blank subject', async () => token('t1', 'user', '  ')],
    [
      'alg none',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
        const now = Math.floor(Date.now() / 1000);
        const payload = base64url.encode(
          JSON.stringify({
            iss: env.AUTH_ISSUER,
            aud: env.AUTH_AUDIENCE,
            sub: 'a',
            tenant: 't1',
            role: 'admin',
            exp: now + 3600,
          }),
        );
        return `${header}.${payload}.`;
      },
    ],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses %s with UNAUTHENTICATED', async (_name, make) => {
    const r = await gql(VIEWER, {}, await make());
    expect(r.status).toBe(200);
    expect(r.data).toBeNull();
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
  });

  it('refuses a user calling admin fields with FORBIDDEN', async () => {
    const t = tenantId();
    const user = await token(t, 'user', 'bob');
    for (const q of [
      '{ integrations { slack { enabled } } }',
      '{ notificationRules { type } }',
      '{ users { totalCount } }',
      '{ auditLog { totalCount } }',
      'mutation { configureSlack(input: { enabled: false }) { errors { code } } }',
      'mutation { setNotificationRules(rules: []) { errors { code } } }',
      'mutation { verifyIntegration(kind: SLACK) { ok } }',
      'mutation { upsertUsers(users: [{ userId: "x" }]) { errors { code } } }',
    ]) {
      const r = await gql(q, {}, user);
      expect(codeOf(r), q).toBe('FORBIDDEN');
    }
  });

  it('refuses a service token on member-only fields', async () => {
    const r = await gql('{ me { userId } }', {}, await token(tenantId(), 'service', 'workplace'));
    expect(codeOf(r)).toBe('FORBIDDEN');
  });
});

describe('http surface', () => {
  it('serves /healthz, having asked every shard', async () => {
    const res = await exports.default.fetch('https://renkei.test/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: 'renkei', shards: 2 });
  });

  it('serves GraphiQL on GET /graphql', async () => {
    const res = await exports.default.fetch('https://renkei.test/graphql', {
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('graphiql');
  });

  it('answers CORS preflight only for configured origins', async () => {
    const preflight = (origin: string) =>
      exports.default.fetch('https://renkei.test/graphql', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const ok = await preflight('https://app.workplace.test');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.workplace.test');
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits query depth and size', async () => {
    const admin = await token(tenantId(), 'admin');
    const deep = `{ ${'node(id: "x") { '.repeat(12)}id${' }'.repeat(12)} }`;
    const r = await gql(deep, {}, admin);
    expect(r.errors?.map((e) => e.message).join('\n')).toMatch(/depth limit of 10/i);
    expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    const huge = `{ ${Array.from({ length: 30_000 }, () => 'viewer { role }').join(' ')} }`;
    const r2 = await gql(huge, {}, admin);
    expect(r2.errors?.[0]?.message).toMatch(/token/i);
  });

  it('returns a request id header', async () => {
    const res = await exports.default.fetch('https://renkei.test/healthz', {
      headers: { 'x-request-id': 'req-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-123');
  });
});
