/**
 * Slack as a real workspace limits it (issue 12 §2): per method per workspace, with the fake
 * enforcing the same limits. The fake scales one workspace down in time (its counts over a
 * 30-second window instead of a minute: 120 conversations.open per 30 s is 240/min) and Renkei is
 * told the same rates through the admin's own settings (configureSlack `tier3PerMinute`,
 * `messagesPerMinute`), so a burst Renkei did not pace shows up as 429s within the test's
 * seconds. (Renkei leaves 2 s of every 62 unused; over a 30-second window that is ~1 s of room for
 * a send that goes late, against 2 s in Slack's minute.)
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type FakeRequest, fake, gql } from './helpers.ts';
import { emit, type Setup, setup } from './pipeline.ts';

const WINDOW_MS = 30_000;

const COUNT = `query ($e: ID!, $s: DeliveryStatus) {
  deliveries(first: 1, filter: { eventId: $e, channel: SLACK, status: $s }) { totalCount } }`;
const LIST = `query ($e: ID!) { deliveries(first: 200, filter: { eventId: $e, channel: SLACK }) {
  edges { node { status attempts reason user { userId } } } } }`;

/** Slack only, with the workspace's limits set in Renkei (as an admin would) and in the fake. */
async function slackWorkspace(
  members: number,
  limits: { tier3PerSecond: number; messagesPerSecond: number },
): Promise<Setup & { team: string }> {
  const s = await setup(members);
  const team = `T${s.tenant}`;
  await gql(
    'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
    {},
    s.admin,
  );
  // The fake: N × 30 calls per rolling 30 s; Renkei: the same rate per minute (N × 60).
  await fake(env.SLACK_API_BASE, '/__fake/state', {
    teamLimits: {
      [team]: {
        windowMs: WINDOW_MS,
        methods: { 'conversations.open': (limits.tier3PerSecond * WINDOW_MS) / 1000 },
        messagesPerMinute: (limits.messagesPerSecond * WINDOW_MS) / 1000,
      },
    },
  });
  const r = await gql(
    `mutation ($m: Int, $t: Int) { configureSlack(input: { enabled: true, messagesPerMinute: $m, tier3PerMinute: $t }) {
      integration { messagesPerMinute tier3PerMinute } errors { code message } } }`,
    { m: limits.messagesPerSecond * 60, t: limits.tier3PerSecond * 60 },
    s.admin,
  );
  expect(r.data?.configureSlack).toEqual({
    integration: {
      messagesPerMinute: limits.messagesPerSecond * 60,
      tier3PerMinute: limits.tier3PerSecond * 60,
    },
    errors: [],
  });
  // Keys RateGate by the workspace's team id.
  const v = await gql('mutation { verifyIntegration(kind: SLACK) { ok } }', {}, s.admin);
  expect(v.data?.verifyIntegration.ok).toBe(true);
  return { ...s, team };
}

async function count(s: Setup, eventId: string, status?: string): Promise<number> {
  const r = await gql(COUNT, { e: eventId, s: status ?? null }, s.admin);
  return r.data?.deliveries.totalCount ?? -1;
}

async function until(done: () => Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return done();
}

const requests = (s: Setup, method: string): Promise<FakeRequest[]> =>
  fake(
    env.SLACK_API_BASE,
    `/__fake/requests?path=/api/${method}&contains=${encodeURIComponent(s.slackToken)}`,
  );

const rateLimited = (team: string): Promise<Record<string, number>> =>
  fake(env.SLACK_API_BASE, `/__fake/rate-limited?team=${team}`);

describe('Slack pacing per method per workspace', () => {
  it('sends 150 first-contact DMs, then 150 more, with no 429 on any method', async () => {
    const s = await slackWorkspace(150, { tier3PerSecond: 4, messagesPerSecond: 4 });
    const first = await emit(s, s.members);
    expect(await until(async () => (await count(s, first.event.id, 'SENT')) === 150, 90_000)).toBe(
      true,
    );
    expect(await rateLimited(s.team)).toEqual({});
    const opens = await requests(s, 'conversations.open');
    expect(opens).toHaveLength(150);
    // No rolling window holds more than the fake's 120 conversations.open.
    const at = opens.map((r) => (r as FakeRequest & { at: number }).at).sort((a, b) => a - b);
    for (let i = 120; i < at.length; i++) {
      expect((at[i] as number) - (at[i - 120] as number)).toBeGreaterThan(WINDOW_MS);
    }
    // Nothing waited by spending an attempt.
    const list = (await gql(LIST, { e: first.event.id }, s.admin)).data?.deliveries.edges;
    expect(list.every((x: any) => x.node.attempts === 1 && x.node.reason === null)).toBe(true);

    // The DM channels are cached now: the second round is paced by the workspace's message
    // budget (4 per second) and nothing else.
    const second = await emit(s, s.members);
    expect(await until(async () => (await count(s, second.event.id, 'SENT')) === 150, 60_000)).toBe(
      true,
    );
    expect(await rateLimited(s.team)).toEqual({});
    expect(await requests(s, 'conversations.open')).toHaveLength(150);
    expect(await requests(s, 'chat.postMessage')).toHaveLength(300);
  }, 240_000);

  it('a 429 on conversations.open holds it for the whole workspace until Retry-After', async () => {
    const s = await slackWorkspace(6, { tier3PerSecond: 4, messagesPerSecond: 4 });
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'conversations.open', contains: s.slackToken },
      responses: [
        { status: 429, headers: { 'Retry-After': '4' }, json: { ok: false, error: 'ratelimited' } },
      ],
    });
    const out = await emit(s, s.members);
    // While the method is held, the others wait in the queue and say why.
    let sawWaiting = false;
    await until(async () => {
      const list = (await gql(LIST, { e: out.event.id }, s.admin)).data?.deliveries.edges ?? [];
      sawWaiting ||= list.some(
        (x: any) =>
          x.node.status === 'QUEUED' && /conversations\.open/.test(x.node.reason ?? '') === true,
      );
      return sawWaiting;
    }, 4_000);
    expect(await until(async () => (await count(s, out.event.id, 'SENT')) === 6, 40_000)).toBe(
      true,
    );
    expect(sawWaiting).toBe(true);
    const opens = (await requests(s, 'conversations.open')) as (FakeRequest & { at: number })[];
    expect(opens[0]?.status).toBe(429);
    // One 429, then no conversations.open for anyone before Retry-After (4 s) has passed.
    expect(opens.length).toBe(7);
    for (const later of opens.slice(1)) {
      expect(later.status).toBe(200);
      expect(later.at - (opens[0]?.at ?? 0)).toBeGreaterThanOrEqual(4000);
    }
    // Only the delivery that met the 429 spent an attempt on it.
    const list = (await gql(LIST, { e: out.event.id }, s.admin)).data?.deliveries.edges;
    const attempts = list.map((x: any) => x.node.attempts).sort();
    expect(attempts).toEqual([1, 1, 1, 1, 1, 2]);
  }, 90_000);

  it('still paces each DM channel at 1 per second', async () => {
    const s = await slackWorkspace(1, { tier3PerSecond: 4, messagesPerSecond: 4 });
    const events = [];
    for (let i = 0; i < 4; i++) events.push(await emit(s, s.members));
    for (const e of events) {
      expect(await until(async () => (await count(s, e.event.id, 'SENT')) === 1, 30_000)).toBe(
        true,
      );
    }
    expect(await rateLimited(s.team)).toEqual({});
    const posts = (await requests(s, 'chat.postMessage')) as (FakeRequest & { at: number })[];
    expect(posts).toHaveLength(4);
    const at = posts.map((p) => p.at).sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) {
      expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    }
  }, 60_000);
});
