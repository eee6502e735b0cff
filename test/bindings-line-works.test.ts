// Integration: findBindings on LINE WORKS through the Worker's fetch and queue, against the fake
// LINE WORKS directory (GET /users, GET /users/{userId}) with its per-domain, per-API limit and
// its scope checks (user.read).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { discoveryEnded, upsertMembers } from './bindings-helpers.ts';
import { type FakeRequest, fake, gql, rsaKeyPair, tenantId, token, tokens } from './helpers.ts';

const FIND = `mutation { findBindings(channel: LINE_WORKS) {
  discovery { status total } errors { code message field } } }`;
const SUGGESTIONS = `query ($after: String) { bindingSuggestions(first: 100, channel: LINE_WORKS, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id channel externalId externalName status user { userId } } } } }`;
const CONFIRM = `mutation ($ids: [ID!]!) { confirmBindingSuggestions(ids: $ids) {
  suggestions { status user { userId bindings { lineWorks { userId overridden } } } }
  errors { code message field } } }`;
const VERIFY = `mutation { verifyIntegration(kind: LINE_WORKS) { ok errors { code message field } } }`;

interface Account {
  userId: string;
  email: string;
  userName?: { lastName?: string; firstName?: string };
  isSuspended?: boolean;
  isDeleted?: boolean;
  isPending?: boolean;
}

interface Domain {
  tenant: string;
  admin: string;
  service: string;
  domainId: string;
  clientId: string;
}

const API = () => env.LINE_WORKS_API_BASE;

/** A tenant with LINE WORKS configured (its bot registered) and a fake domain directory. */
async function domain(opts: {
  directory: Account[];
  members: { userId: string; email?: string; lineWorksUserId?: string }[];
  scopes?: string[];
}): Promise<Domain> {
  const tenant = tenantId('bl');
  const { admin, service } = await tokens(tenant);
  const { privatePem, publicPem } = await rsaKeyPair();
  const clientId = `client-${crypto.randomUUID()}`;
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const domainId = String(100_000_000 + Math.floor(Math.random() * 800_000_000));
  const serviceAccount = `sa-${tenant}.serviceaccount@works-${domainId}.example`;
  await fake(API(), '/__fake/state', {
    apps: {
      [clientId]: {
        clientSecret,
        serviceAccount,
        publicKeyPem: publicPem,
        domainId,
        ...(opts.scopes ? { scopes: opts.scopes } : {}),
      },
    },
    directory: { [domainId]: opts.directory },
    // LINE WORKS' real limit for this domain: 240 per API per rolling minute.
    domainLimits: { [domainId]: { perMinute: 240 } },
  });
  const saved = await gql(
    `mutation ($input: ConfigureLineWorksInput!) { configureLineWorks(input: $input) { errors { code message } } }`,
    {
      input: {
        enabled: true,
        domainId,
        adminEmail: `admin-${tenant}@acme.example`,
        clientId,
        clientSecret,
        serviceAccount,
        privateKey: privatePem,
      },
    },
    admin,
  );
  expect(saved.data?.configureLineWorks.errors).toEqual([]);
  await upsertMembers(opts.members, service);
  return { tenant, admin, service, domainId, clientId };
}

const finished = (d: Domain, ms = 60_000) => discoveryEnded('LINE_WORKS', d.admin, ms);

const requests = (d: Domain, path: string): Promise<FakeRequest[]> =>
  fake(API(), `/__fake/requests?method=GET&path=${encodeURIComponent(path)}`).then(
    (all: (FakeRequest & { query: Record<string, string> })[]) =>
      all.filter((r) => r.query.domainId === d.domainId || r.path.includes(d.tenant)),
  );

const account = (i: number, email: string, extra: Partial<Account> = {}): Account => ({
  userId: `${String(i).padStart(8, '0')}-aaaa-4bbb-8ccc-${crypto.randomUUID().slice(-12)}`,
  email,
  userName: { lastName: '山田', firstName: `${i}` },
  ...extra,
});

describe('findBindings on LINE WORKS', () => {
  it('pages the domain directory, skips inactive and shared-email accounts, and keeps the default id', async () => {
    const members = Array.from({ length: 240 }, (_, i) => ({
      userId: `m${String(i).padStart(3, '0')}`,
      email: `m${i}@acme.example`,
    }));
    const directory = members.map((m, i) => account(i, m.email.toUpperCase()));
    directory.push(
      account(900, 'suspended@acme.example', { isSuspended: true }),
      account(901, 'deleted@acme.example', { isDeleted: true }),
      account(902, 'pending@acme.example', { isPending: true }),
      account(903, 'shared@acme.example'),
      account(904, 'dflt@acme.example'),
      ...Array.from({ length: 50 }, (_, i) => account(1000 + i, `other${i}@elsewhere.example`)),
    );
    const d = await domain({
      directory,
      members: [
        ...members,
        { userId: 'x-suspended', email: 'suspended@acme.example' },
        { userId: 'x-deleted', email: 'deleted@acme.example' },
        { userId: 'x-pending', email: 'pending@acme.example' },
        { userId: 'x-shared-1', email: 'shared@acme.example' },
        { userId: 'x-shared-2', email: 'shared@acme.example' },
        { userId: 'x-absent', email: 'absent@acme.example' },
        // Reached by the default already (the WORKPLACE id is the LINE WORKS login id).
        { userId: 'dflt@acme.example', email: 'dflt@acme.example' },
        // An explicit LINE WORKS id is a binding: not searched.
        { userId: 'x-bound', email: 'm1@acme.example', lineWorksUserId: 'already-bound' },
      ],
    });
    const started = await gql(FIND, {}, d.admin);
    expect(started.data?.findBindings).toEqual({
      discovery: { status: 'RUNNING', total: 247 },
      errors: [],
    });
    const done = await finished(d);
    expect(done).toMatchObject({
      channel: 'LINE_WORKS',
      status: 'DONE',
      total: 247,
      checked: 247,
      error: null,
    });
    // m1 shares its email with x-bound: neither is proposed. The default-id member is found.
    expect(done.found).toBe(240);
    expect(done.notFound).toBe(7);
    const pages = await requests(d, '/v1.0/users');
    expect(pages.filter((r) => r.query.domainId === d.domainId)).toHaveLength(3);
    expect(pages.every((r) => r.status === 200)).toBe(true);
    const nodes: any[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await gql(SUGGESTIONS, { after }, d.admin)).data?.bindingSuggestions;
      expect(page.totalCount).toBe(239);
      nodes.push(...page.edges.map((e: any) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(nodes).toHaveLength(239);
    const users = nodes.map((n) => n.user.userId);
    expect(new Set(users).size).toBe(239);
    expect(users).not.toContain('m001');
    expect(users).not.toContain('dflt@acme.example');
    const m5 = nodes.find((n) => n.user.userId === 'm005');
    expect(m5).toMatchObject({
      channel: 'LINE_WORKS',
      externalId: directory[5]?.userId,
      externalName: '山田 5',
      status: 'PROPOSED',
    });
  }, 90_000);

  it('looks up a few members by login id and binds a confirmed one as lineWorksUserId', async () => {
    const soloEmail = `solo-${crypto.randomUUID().slice(0, 6)}@acme.example`;
    const solo = account(1, soloEmail);
    // 150 members already have their LINE WORKS id: one lookup beats two directory pages.
    const members = [
      ...Array.from({ length: 150 }, (_, i) => ({
        userId: `b${i}`,
        email: `b${i}@acme.example`,
        lineWorksUserId: `lw-b${i}`,
      })),
      { userId: 'solo', email: soloEmail },
    ];
    const d = await domain({ directory: [solo], members });
    await gql(FIND, {}, d.admin);
    expect(await finished(d)).toMatchObject({ status: 'DONE', total: 1, found: 1, notFound: 0 });
    const lookups: FakeRequest[] = await fake(
      API(),
      `/__fake/requests?method=GET&path=${encodeURIComponent(`/v1.0/users/${encodeURIComponent(soloEmail)}`)}`,
    );
    expect(lookups.map((r) => r.status)).toEqual([200]);
    const list = (await gql(SUGGESTIONS, {}, d.admin)).data?.bindingSuggestions;
    expect(list.totalCount).toBe(1);
    const id = list.edges[0].node.id;
    // Another member cannot confirm it.
    const other = await gql(CONFIRM, { ids: [id] }, await token(d.tenant, 'user', 'b1'));
    expect(other.data?.confirmBindingSuggestions.errors[0].code).toBe('NOT_FOUND');
    const r = await gql(CONFIRM, { ids: [id] }, d.admin);
    expect(r.data?.confirmBindingSuggestions).toEqual({
      suggestions: [
        {
          status: 'CONFIRMED',
          user: {
            userId: 'solo',
            bindings: { lineWorks: { userId: solo.userId, overridden: true } },
          },
        },
      ],
      errors: [],
    });
  }, 60_000);

  it('tells a missing user.read scope apart from not found, in the run and in verify', async () => {
    const d = await domain({
      directory: [account(1, 'a@acme.example')],
      members: [{ userId: 'a', email: 'a@acme.example' }],
      scopes: ['bot'],
    });
    const v = (await gql(VERIFY, {}, d.admin)).data?.verifyIntegration;
    expect(v.ok).toBe(true);
    expect(v.errors).toHaveLength(1);
    expect(v.errors[0]).toMatchObject({ code: 'NOT_CONFIGURED', field: ['scopes'] });
    expect(v.errors[0].message).toContain('user.read');
    await gql(FIND, {}, d.admin);
    const done = await finished(d);
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain('user.read');
    expect(done.found).toBe(0);
  }, 60_000);

  it('a 403 from the directory fails the run naming the scope', async () => {
    const email = `forbidden-${crypto.randomUUID().slice(0, 8)}@acme.example`;
    const d = await domain({
      directory: [account(1, email)],
      members: [{ userId: 'a', email }],
    });
    await fake(API(), '/__fake/script', {
      match: { method: 'GET', path: encodeURIComponent(email) },
      responses: [
        {
          status: 403,
          json: { code: 'FORBIDDEN', description: 'The access token does not have the scope user' },
        },
      ],
    });
    await gql(FIND, {}, d.admin);
    const done = await finished(d);
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain('user.read');
    expect(done.notFound).toBe(0);
  }, 60_000);
});
