// Integration: findBindings on Slack through the Worker's fetch, queue and cron, against the fake
// Slack (users.lookupByEmail, users.list) enforcing the tiers per method per workspace. The fake
// scales a workspace's minute down (its counts over a few seconds), so a burst Renkei did not pace
// shows up as 429s within the test's seconds (as in slack-pacing.test.ts).
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/workers/index.ts';
import { discoveryEnded, PROGRESS, upsertMembers } from './bindings-helpers.ts';
import { type FakeRequest, fake, gql, tenantD1, tenantId, token, tokens } from './helpers.ts';
import { EMIT, waitFor } from './pipeline.ts';

const FIND = `mutation ($c: Channel!) { findBindings(channel: $c) {
  discovery { channel status total checked found notFound error startedAt finishedAt }
  errors { code message field } } }`;
const SUGGESTIONS = `query ($s: SuggestionStatus, $after: String) {
  bindingSuggestions(first: 100, channel: SLACK, status: $s, after: $after) { totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id channel externalId externalName status user { userId } } } } }`;
const MINE = `{ me { userId bindings { slack { memberId } } bindingSuggestions { id channel externalId externalName status } } }`;
const CONFIRM = `mutation ($ids: [ID!]!) { confirmBindingSuggestions(ids: $ids) {
  suggestions { id status externalId user { userId bindings { slack { memberId } } } } errors { code message field } } }`;
const REJECT = `mutation ($ids: [ID!]!) { rejectBindingSuggestions(ids: $ids) {
  suggestions { id status } errors { code message field } } }`;

interface Member {
  id: string;
  name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  profile?: { email?: string; display_name?: string; real_name?: string };
}

interface Workspace {
  tenant: string;
  admin: string;
  service: string;
  team: string;
  slackToken: string;
}

/** A tenant with Slack on (verified: RateGate keys by team id) and its fake workspace. */
async function workspace(opts: {
  directory: Member[];
  members: { userId: string; email?: string }[];
  tier3PerMinute?: number;
  limits?: Record<string, unknown>;
  scopes?: string[];
}): Promise<Workspace> {
  const tenant = tenantId('bs');
  const { admin, service } = await tokens(tenant);
  const team = `T${tenant.replace(/[^a-z0-9]/gi, '').toUpperCase()}`;
  const slackToken = `xoxb-${crypto.randomUUID()}`;
  await fake(env.SLACK_API_BASE, '/__fake/state', {
    tokens: {
      [slackToken]: {
        team: 'Acme',
        team_id: team,
        user_id: 'U0BOT',
        bot_id: 'B0BOT',
        ...(opts.scopes ? { scopes: opts.scopes } : {}),
      },
    },
    directory: { [team]: opts.directory },
    ...(opts.limits ? { teamLimits: { [team]: opts.limits } } : {}),
  });
  const saved = await gql(
    `mutation ($t: String, $r: Int) { configureSlack(input: { enabled: true, botToken: $t, tier3PerMinute: $r }) { errors { code } } }`,
    { t: slackToken, r: opts.tier3PerMinute ?? null },
    admin,
  );
  expect(saved.data?.configureSlack.errors).toEqual([]);
  await upsertMembers(opts.members, service);
  return { tenant, admin, service, team, slackToken };
}

async function verify(w: Workspace) {
  const r = await gql(
    'mutation { verifyIntegration(kind: SLACK) { ok errors { code message field } } }',
    {},
    w.admin,
  );
  return r.data?.verifyIntegration;
}

const finished = (w: Workspace, ms = 60_000) => discoveryEnded('SLACK', w.admin, ms);

async function allSuggestions(w: Workspace, status?: string) {
  const out: any[] = [];
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const r = await gql(SUGGESTIONS, { s: status ?? null, after }, w.admin);
    const c: any = r.data?.bindingSuggestions;
    total = c.totalCount;
    out.push(...c.edges.map((e: any) => e.node));
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  expect(out).toHaveLength(total);
  return out;
}

/** The workspace's calls of `method`, without verifyIntegration's scope probe. */
const requests = async (w: Workspace, method: string) =>
  (
    await fake<(FakeRequest & { at: number })[]>(
      env.SLACK_API_BASE,
      `/__fake/requests?path=/api/${method}&contains=${encodeURIComponent(w.slackToken)}`,
    )
  ).filter((r) => !r.form?.email?.startsWith('renkei-scope-check'));

const rateLimited = (w: Workspace): Promise<Record<string, number>> =>
  fake(env.SLACK_API_BASE, `/__fake/rate-limited?team=${w.team}`);

const person = (i: number, email: string, extra: Partial<Member> = {}): Member => ({
  id: `U${String(i).padStart(8, '0')}`,
  name: `p${i}`,
  profile: { email, display_name: `Person ${i}`, real_name: `Real ${i}` },
  ...extra,
});

/** `n` WORKPLACE members with emails and a Slack directory of them and `others` strangers. */
function company(n: number, others: number) {
  const members = Array.from({ length: n }, (_, i) => ({
    userId: `m${String(i).padStart(4, '0')}`,
    email: `m${i}@acme.example`,
  }));
  const total = n + others;
  const directory: Member[] = [];
  let next = 0;
  for (let k = 0; k < total; k++) {
    // Members spread evenly among the strangers, across every page.
    const isMember = Math.floor(((k + 1) * n) / total) > Math.floor((k * n) / total);
    directory.push(
      isMember
        ? person(next, `m${next++}@acme.example`)
        : person(100_000 + k, `stranger${k}@elsewhere.example`),
    );
  }
  return { members, directory };
}

const stamp = (r: FakeRequest & { at: number }) => r.at;

describe('findBindings on Slack', () => {
  it('pages a 1,000-account workspace for 300 members at Tier 2 with no 429, and a re-run adds nothing', async () => {
    const { members, directory } = company(300, 700);
    // users.list at most 4 per rolling 10 s (Slack's 20/min would allow a burst of 20).
    const w = await workspace({
      members,
      directory,
      limits: { windowMs: 10_000, methods: { 'users.list': 4 } },
    });
    expect((await verify(w))?.ok).toBe(true);
    const started = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(started.data?.findBindings.errors).toEqual([]);
    expect(started.data?.findBindings.discovery).toMatchObject({
      channel: 'SLACK',
      status: 'RUNNING',
      total: 300,
    });
    // A second call while it runs answers the same run.
    const again = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(again.data?.findBindings.discovery.startedAt).toBe(
      started.data?.findBindings.discovery.startedAt,
    );
    const done = await finished(w, 90_000);
    expect(done).toMatchObject({
      status: 'DONE',
      total: 300,
      checked: 300,
      found: 300,
      notFound: 0,
      error: null,
    });
    expect(done.finishedAt).not.toBeNull();
    expect(await rateLimited(w)).toEqual({});
    const pages = await requests(w, 'users.list');
    expect(pages).toHaveLength(5);
    // The directory strategy: no lookups at all.
    expect(await requests(w, 'users.lookupByEmail')).toHaveLength(0);
    const at = pages.map(stamp).sort((a, b) => a - b);
    for (let i = 4; i < at.length; i++) {
      expect((at[i] as number) - (at[i - 4] as number)).toBeGreaterThan(10_000);
    }
    const list = await allSuggestions(w);
    expect(list).toHaveLength(300);
    const m7 = list.find((s) => s.user.userId === 'm0007');
    expect(m7).toMatchObject({
      channel: 'SLACK',
      externalId: 'U00000007',
      externalName: 'Person 7',
      status: 'PROPOSED',
    });

    // Re-run: the same accounts are found, nothing is proposed twice.
    const rerun = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(rerun.data?.findBindings.errors).toEqual([]);
    expect((await finished(w, 90_000))?.status).toBe('DONE');
    expect(await allSuggestions(w)).toHaveLength(300);
    expect(await rateLimited(w)).toEqual({});
  }, 180_000);

  it('looks up members one by one when that is cheaper, paced at Tier 3, and never proposes deleted, bot, guest or shared-email accounts', async () => {
    // 1,200/min for the workspace (the admin's tier3PerMinute); the fake allows 34 per 1.5 s.
    const normal = Array.from({ length: 38 }, (_, i) => person(i, `n${i}@acme.example`));
    const special: Member[] = [
      person(100, 'deleted@acme.example', { deleted: true }),
      person(101, 'bot@acme.example', { is_bot: true }),
      person(102, 'app@acme.example', { is_app_user: true }),
      person(103, 'guest@acme.example', { is_restricted: true }),
      person(104, 'single@acme.example', { is_ultra_restricted: true }),
      { ...person(105, 'slackbot@acme.example'), id: 'USLACKBOT' },
      person(106, 'shared@acme.example'),
      person(107, 'mixed.case@acme.example'),
    ];
    const members = [
      ...normal.map((_, i) => ({
        userId: `n${String(i).padStart(2, '0')}`,
        email: `n${i}@acme.example`,
      })),
      { userId: 'x-deleted', email: 'deleted@acme.example' },
      { userId: 'x-bot', email: 'bot@acme.example' },
      { userId: 'x-app', email: 'app@acme.example' },
      { userId: 'x-guest', email: 'guest@acme.example' },
      { userId: 'x-single', email: 'single@acme.example' },
      { userId: 'x-slackbot', email: 'slackbot@acme.example' },
      { userId: 'x-shared-1', email: 'shared@acme.example' },
      { userId: 'x-shared-2', email: 'SHARED@acme.example' },
      { userId: 'x-mixed', email: 'Mixed.Case@ACME.example' },
      { userId: 'x-absent', email: 'nobody@acme.example' },
      { userId: 'x-no-email' },
    ];
    const w = await workspace({
      members,
      directory: [...normal, ...special],
      tier3PerMinute: 1200,
      limits: { windowMs: 1_500, methods: { 'users.lookupByEmail': 34 } },
    });
    expect((await verify(w))?.ok).toBe(true);
    const started = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(started.data?.findBindings.discovery.total).toBe(48);
    const done = await finished(w);
    expect(done).toMatchObject({ status: 'DONE', total: 48, checked: 48, found: 39, notFound: 9 });
    expect(await rateLimited(w)).toEqual({});
    expect(await requests(w, 'users.list')).toHaveLength(0);
    // Shared emails are never looked up; everyone else once.
    const lookups = await requests(w, 'users.lookupByEmail');
    expect(lookups).toHaveLength(46);
    const at = lookups.map(stamp).sort((a, b) => a - b);
    for (let i = 34; i < at.length; i++) {
      expect((at[i] as number) - (at[i - 34] as number)).toBeGreaterThan(1_500);
    }
    const list = await allSuggestions(w);
    expect(list.map((s) => s.user.userId).sort()).toEqual(
      [...normal.map((_, i) => `n${String(i).padStart(2, '0')}`), 'x-mixed'].sort(),
    );
    expect(list.find((s) => s.user.userId === 'x-mixed')?.externalId).toBe('U00000107');
  }, 90_000);

  it('tells a missing users:read.email scope apart from not found, in the run and in verify', async () => {
    const { members, directory } = company(6, 0);
    const scopes = ['chat:write', 'im:write', 'users:read'];
    // Both strategies: lookups (tier3PerMinute high) and paging (the default Tier 3).
    for (const tier3PerMinute of [1200, undefined]) {
      const w = await workspace({ members, directory, scopes, tier3PerMinute });
      const v = await verify(w);
      expect(v?.ok).toBe(true);
      expect(v?.errors).toHaveLength(1);
      expect(v?.errors[0].message).toContain('users:read.email');
      await gql(FIND, { c: 'SLACK' }, w.admin);
      const done = await finished(w);
      expect(done.status).toBe('FAILED');
      expect(done.error).toContain('users:read.email');
      expect(done.found).toBe(0);
      expect(await allSuggestions(w)).toHaveLength(0);
      // With the scope added, the next run finds everyone.
      await fake(env.SLACK_API_BASE, '/__fake/state', {
        tokens: { [w.slackToken]: { scopes: [...scopes, 'users:read.email'] } },
      });
      expect((await verify(w))?.errors).toEqual([]);
      await gql(FIND, { c: 'SLACK' }, w.admin);
      expect(await finished(w)).toMatchObject({ status: 'DONE', found: 6, error: null });
    }
  }, 90_000);

  it('a 429 holds users.list for its Retry-After, then the run goes on', async () => {
    const { members, directory } = company(6, 400);
    const w = await workspace({ members, directory });
    expect((await verify(w))?.ok).toBe(true);
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'users.list', contains: w.slackToken },
      responses: [
        { status: 429, headers: { 'Retry-After': '4' }, json: { ok: false, error: 'ratelimited' } },
      ],
    });
    await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(await finished(w)).toMatchObject({ status: 'DONE', found: 6, notFound: 0 });
    const pages = await requests(w, 'users.list');
    expect(pages.map((r) => r.status)).toEqual([429, 200, 200, 200]);
    // The page refused is asked again, and nothing before Retry-After.
    expect(pages[1]?.form?.cursor).toBeUndefined();
    expect((pages[1]?.at ?? 0) - (pages[0]?.at ?? 0)).toBeGreaterThanOrEqual(4_000);
  }, 60_000);

  it('resumes a run whose queue message was lost from its cursor, with no duplicates', async () => {
    const { members, directory } = company(300, 700);
    const w = await workspace({
      members,
      directory,
      limits: { windowMs: 10_000, methods: { 'users.list': 4 } },
    });
    expect((await verify(w))?.ok).toBe(true);
    await gql(FIND, { c: 'SLACK' }, w.admin);
    const d1 = await tenantD1(w.tenant);
    const row = () =>
      d1
        .prepare('select * from binding_discoveries where tenant_id = ?')
        .bind(w.tenant)
        .first<{ id: string; step: number; cursor: string | null; status: string }>();
    // Wait for the first step (two pages) to commit.
    const end = Date.now() + 30_000;
    while (((await row())?.step ?? 0) < 1 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // Crash: the message in flight (and the step it may be running) is lost, and the run has
    // made no progress for ten minutes.
    const ago = new Date(Date.now() - 600_000).toISOString();
    await d1
      .prepare(
        'update binding_discoveries set step = step + 1, lease_until = null, updated_at = ? where tenant_id = ?',
      )
      .bind(ago, w.tenant)
      .run();
    const stalled = await row();
    expect(stalled?.status).toBe('RUNNING');
    expect(stalled?.cursor).not.toBeNull();
    // Nothing moves on its own.
    await new Promise((r) => setTimeout(r, 8_000));
    const still = await row();
    expect(still?.step).toBe(stalled?.step);
    const before = (await requests(w, 'users.list')).length;
    // The cron sweep resumes it.
    await worker.scheduled(createScheduledController(), env);
    const done = await finished(w, 90_000);
    expect(done).toMatchObject({ status: 'DONE', checked: 300, found: 300, notFound: 0 });
    const pages = await requests(w, 'users.list');
    const resumed = pages.slice(before);
    // From the stored cursor, not from the first page.
    expect(resumed[0]?.form?.cursor ?? resumed[0]?.query?.cursor).toBe(still?.cursor);
    expect(await allSuggestions(w)).toHaveLength(300);
    expect(await rateLimited(w)).toEqual({});
  }, 180_000);

  it('calling findBindings again resumes a stalled run without waiting for the cron', async () => {
    const { members, directory } = company(300, 700);
    const w = await workspace({ members, directory });
    expect((await verify(w))?.ok).toBe(true);
    const first = await gql(FIND, { c: 'SLACK' }, w.admin);
    const d1 = await tenantD1(w.tenant);
    const step = async () =>
      (
        await d1
          .prepare('select step from binding_discoveries where tenant_id = ?')
          .bind(w.tenant)
          .first<{ step: number }>()
      )?.step ?? 0;
    const end = Date.now() + 30_000;
    while ((await step()) < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    // The consumer died with the step: no message, the lease gone, no progress for minutes.
    await d1
      .prepare(
        'update binding_discoveries set step = step + 1, lease_until = null, updated_at = ? where tenant_id = ?',
      )
      .bind(new Date(Date.now() - 180_000).toISOString(), w.tenant)
      .run();
    await new Promise((r) => setTimeout(r, 5_000));
    const again = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(again.data?.findBindings.discovery.startedAt).toBe(
      first.data?.findBindings.discovery.startedAt,
    );
    expect(await finished(w, 90_000)).toMatchObject({ status: 'DONE', found: 300 });
    expect(await allSuggestions(w)).toHaveLength(300);
  }, 120_000);

  it('confirm and reject: an admin for anyone, a member only their own; a confirmed id delivers', async () => {
    const directory = [
      person(1, 'alice@acme.example'),
      person(2, 'bob@acme.example'),
      person(3, 'carol@acme.example'),
    ];
    const w = await workspace({
      members: [
        { userId: 'alice', email: 'alice@acme.example' },
        { userId: 'bob', email: 'bob@acme.example' },
        { userId: 'carol', email: 'carol@acme.example' },
      ],
      directory,
      tier3PerMinute: 1200,
    });
    expect((await verify(w))?.ok).toBe(true);
    await gql(FIND, { c: 'SLACK' }, w.admin);
    expect((await finished(w))?.found).toBe(3);
    const alice = await token(w.tenant, 'user', 'alice');
    const carol = await token(w.tenant, 'user', 'carol');
    const list = await allSuggestions(w);
    const of = (u: string) => list.find((s) => s.user.userId === u);

    const mine = (await gql(MINE, {}, alice)).data?.me;
    expect(mine.bindingSuggestions).toEqual([
      {
        id: of('alice').id,
        channel: 'SLACK',
        externalId: 'U00000001',
        externalName: 'Person 1',
        status: 'PROPOSED',
      },
    ]);
    // Someone else's id is not found (the same answer as an id that does not exist).
    for (const q of [CONFIRM, REJECT]) {
      const r = await gql(q, { ids: [of('bob').id] }, alice);
      const payload = r.data?.confirmBindingSuggestions ?? r.data?.rejectBindingSuggestions;
      expect(payload.errors).toEqual([
        { code: 'NOT_FOUND', message: 'No such binding suggestion', field: ['ids', '0'] },
      ]);
      expect(payload.suggestions).toEqual([]);
    }
    expect(
      (await gql('query ($id: ID!) { node(id: $id) { id } }', { id: of('bob').id }, alice)).data
        ?.node,
    ).toBeNull();
    expect(
      (await gql('query ($id: ID!) { node(id: $id) { id } }', { id: of('alice').id }, alice)).data
        ?.node,
    ).toEqual({ id: of('alice').id });
    const adminOnly = await gql(SUGGESTIONS, {}, alice);
    expect(adminOnly.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const progressForMember = await gql(PROGRESS, { c: 'SLACK' }, alice);
    expect(progressForMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The member confirms their own: bound exactly as if typed.
    const confirmed = await gql(CONFIRM, { ids: [of('alice').id] }, alice);
    expect(confirmed.data?.confirmBindingSuggestions).toEqual({
      suggestions: [
        {
          id: of('alice').id,
          status: 'CONFIRMED',
          externalId: 'U00000001',
          user: { userId: 'alice', bindings: { slack: { memberId: 'U00000001' } } },
        },
      ],
      errors: [],
    });
    expect((await gql(MINE, {}, alice)).data?.me.bindingSuggestions).toEqual([]);
    const twice = await gql(CONFIRM, { ids: [of('alice').id] }, alice);
    expect(twice.data?.confirmBindingSuggestions.errors[0].code).toBe('CONFLICT');

    // The admin rejects bob's; a re-run never proposes it again.
    const rejected = await gql(REJECT, { ids: [of('bob').id] }, w.admin);
    expect(rejected.data?.rejectBindingSuggestions).toEqual({
      suggestions: [{ id: of('bob').id, status: 'REJECTED' }],
      errors: [],
    });

    // Another member typed the account proposed for carol: it reaches one member only.
    const mallory = await token(w.tenant, 'user', 'mallory');
    const bindTo = (id: string) =>
      gql(
        'mutation ($id: String) { updateMyBindings(input: { slackMemberId: $id }) { errors { message } } }',
        { id },
        mallory,
      );
    expect((await bindTo(of('carol').externalId)).data?.updateMyBindings.errors).toEqual([]);
    const held = await gql(CONFIRM, { ids: [of('carol').id] }, w.admin);
    expect(held.data?.confirmBindingSuggestions.errors[0]).toMatchObject({
      code: 'CONFLICT',
      message: 'This Slack account is already bound to another member',
    });
    expect((await gql(MINE, {}, carol)).data?.me.bindings.slack).toBeNull();
    expect((await bindTo('')).data?.updateMyBindings.errors).toEqual([]);

    // Carol types her own id meanwhile: the suggestion never overwrites it.
    const typed = await gql(
      'mutation { updateMyBindings(input: { slackMemberId: "U0CAROLOWN" }) { errors { message } } }',
      {},
      carol,
    );
    expect(typed.data?.updateMyBindings.errors).toEqual([]);
    const clash = await gql(CONFIRM, { ids: [of('carol').id] }, w.admin);
    expect(clash.data?.confirmBindingSuggestions.errors[0]).toMatchObject({
      code: 'CONFLICT',
      field: ['ids', '0'],
    });
    expect((await gql(MINE, {}, carol)).data?.me.bindings.slack.memberId).toBe('U0CAROLOWN');

    await gql(FIND, { c: 'SLACK' }, w.admin);
    const rerun = await finished(w);
    // Alice and carol are bound now: bob alone is searched, found, and not proposed again.
    expect(rerun).toMatchObject({ status: 'DONE', total: 1, found: 1 });
    const after = await allSuggestions(w);
    expect(after).toHaveLength(3);
    expect(after.find((s) => s.user.userId === 'bob')?.status).toBe('REJECTED');

    const audit = await gql(
      '{ auditLog(first: 50) { edges { node { action target } } } }',
      {},
      w.admin,
    );
    const actions = audit.data?.auditLog.edges.map((e: any) => `${e.node.action} ${e.node.target}`);
    expect(actions).toContain('binding.suggestion.confirm alice');
    expect(actions).toContain('binding.suggestion.reject bob');

    // A confirmed Slack binding delivers like a typed one.
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: SLACK, enabled: true }]) { errors { code } } }',
      {},
      w.admin,
    );
    const emitted = await gql(
      EMIT,
      {
        input: {
          idempotencyKey: crypto.randomUUID(),
          type: 'APPROVAL_REQUESTED',
          documentId: 'WF-1',
          title: '稟議',
          url: 'https://workplace.example/wf/1',
          recipients: ['alice'],
        },
      },
      w.service,
    );
    const eventId = emitted.data?.emitWorkflowEvent.event.id;
    const e = await waitFor(
      { admin: w.admin } as never,
      eventId,
      (ev) => ev?.summary.sent === 1,
      30_000,
    );
    expect(e.summary.sent).toBe(1);
    const opens = await requests(w, 'conversations.open');
    expect(opens.map((r) => r.json?.users)).toEqual(['U00000001']);
  }, 90_000);

  it('refuses channels it cannot search, and members and services may not start a run', async () => {
    const w = await workspace({ members: [], directory: [] });
    const r = await gql(FIND, { c: 'GOOGLE_CHAT' }, w.admin);
    expect(r.data?.findBindings).toEqual({
      discovery: null,
      errors: [
        {
          code: 'UNSUPPORTED',
          message: 'findBindings searches SLACK and LINE_WORKS only',
          field: ['channel'],
        },
      ],
    });
    const lw = await gql(FIND, { c: 'LINE_WORKS' }, w.admin);
    expect(lw.data?.findBindings.errors[0].code).toBe('NOT_CONFIGURED');
    for (const who of [await token(w.tenant, 'user', 'alice'), w.service]) {
      const denied = await gql(FIND, { c: 'SLACK' }, who);
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // Nobody to search: done at once.
    const empty = await gql(FIND, { c: 'SLACK' }, w.admin);
    expect(empty.data?.findBindings.discovery).toMatchObject({ status: 'DONE', total: 0 });
  });
});
