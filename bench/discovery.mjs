/**
 * findBindings for 1,000 members per provider at the real limits (issue 15), against the demo
 * fakes the bench stack starts: Slack's workspace T0DEMO with users.list at Tier 2 (20/min) and
 * users.lookupByEmail at Tier 3 (50/min) enforced over Slack's minute, LINE WORKS' demo domain at
 * 240 requests per minute per API.
 *
 * Each provider is measured both ways. Paging the directory (what Renkei picks for 1,000 unbound
 * members) is run on all 1,000. A lookup per member at the real limit would take 20.7 min on
 * Slack and 4.3 min on LINE WORKS for 1,000, so lookups are measured on the few unbound members
 * of a 1,000-member tenant (where Renkei picks them) and the time per lookup is extrapolated.
 */
import { mintToken } from '../scripts/local-client.mjs';
import { demoSeed } from '../test/fakes/index.ts';
import {
  BENCH_SLACK_TEAM,
  control,
  progress,
  SLACK_HIGH_LIMITS,
  slackFakeLimits,
  table,
} from './lib.mjs';
import { configureLineWorks } from './providers.mjs';

const PROGRESS = `query ($c: Channel!) { bindingDiscovery(channel: $c) {
  status total checked found notFound error startedAt finishedAt } }`;

async function newTenant(stack, tag) {
  const tenant = `bench-${tag}-${Date.now()}`;
  const secret = stack.devVars.AUTH_JWT_SECRET;
  return {
    tenant,
    admin: await mintToken({ secret, role: 'admin', sub: 'bench-admin', tenant }),
    service: await mintToken({ secret, role: 'service', sub: 'bench', tenant }),
    secret,
  };
}

async function upsert(gql, t, users) {
  for (let i = 0; i < users.length; i += 1000) {
    const { upsertUsers } = await gql(
      t.service,
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
      { u: users.slice(i, i + 1000) },
    );
    if (upsertUsers.errors.length) throw new Error(JSON.stringify(upsertUsers.errors));
  }
}

/**
 * Starts a run and polls it (every 250 ms) to its end; seconds on this process's clock from the
 * call to the poll that saw it end (workerd's clock under `wrangler dev` is not this one).
 */
async function discover(gql, t, channel, label) {
  const started = Date.now();
  const { findBindings } = await gql(
    t.admin,
    'mutation ($c: Channel!) { findBindings(channel: $c) { discovery { status total } errors { message } } }',
    { c: channel },
  );
  if (findBindings.errors.length) throw new Error(JSON.stringify(findBindings.errors));
  for (;;) {
    const { bindingDiscovery: d } = await gql(t.admin, PROGRESS, { c: channel });
    progress(`  ${label}: ${d.status} ${d.checked}/${d.total} found ${d.found}`);
    if (d.status !== 'RUNNING') {
      if (d.status !== 'DONE') throw new Error(`${label}: ${d.status} ${d.error}`);
      return { ...d, seconds: (Date.now() - started) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const slackAccount = (i, email) => ({
  id: `UBD${String(i).padStart(7, '0')}`,
  name: `p${i}`,
  profile: { email, display_name: `Person ${i}` },
});

/** Slack, paging: 1,000 unbound members, a workspace of 1,000 accounts (5 pages). */
async function slackDirectory(stack, gql) {
  const t = await newTenant(stack, 'ds');
  const users = Array.from({ length: 1000 }, (_, i) => ({
    userId: `ds${i}`,
    email: `ds${i}@bench.example`,
  }));
  await control(stack.fakes.slackApiBase, '/__fake/state?replace=1', {
    directory: { [BENCH_SLACK_TEAM]: users.map((u, i) => slackAccount(i, u.email)) },
  });
  await configureSlack(gql, t);
  await upsert(gql, t, users);
  return discover(gql, t, 'SLACK', 'Slack directory');
}

/** Slack, lookups: 12 members with an email in a 1,000-member tenant (where lookups win). */
async function slackLookups(stack, gql) {
  const t = await newTenant(stack, 'dl');
  const bound = Array.from({ length: 988 }, (_, i) => ({ userId: `dlb${i}` }));
  const open = Array.from({ length: 12 }, (_, i) => ({
    userId: `dlo${i}`,
    email: `dlo${i}@bench.example`,
  }));
  await control(stack.fakes.slackApiBase, '/__fake/state?replace=1', {
    directory: { [BENCH_SLACK_TEAM]: open.map((u, i) => slackAccount(5000 + i, u.email)) },
  });
  await configureSlack(gql, t);
  await upsert(gql, t, [...bound, ...open]);
  // Members without an email are not searched, but count in the directory's size estimate.
  return discover(gql, t, 'SLACK', 'Slack lookups');
}

async function configureSlack(gql, t) {
  const { configureSlack: out } = await gql(
    t.admin,
    `mutation { configureSlack(input: { enabled: true, botToken: "${demoSeed.slack.token}" }) { errors { message } } }`,
  );
  if (out.errors.length) throw new Error(JSON.stringify(out.errors));
  await gql(t.admin, 'mutation { verifyIntegration(kind: SLACK) { ok } }');
}

const lwAccount = (i, email) => ({
  userId: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
  email,
  userName: { lastName: 'Bench', firstName: String(i) },
});

/** LINE WORKS, paging: 1,000 unbound members, a domain of 1,000 (10 pages). */
async function lineWorksDirectory(stack, gql) {
  const t = await newTenant(stack, 'dw');
  const users = Array.from({ length: 1000 }, (_, i) => ({
    userId: `dw${i}`,
    email: `dw${i}@bench.example`,
  }));
  await control(stack.fakes.lineWorksApiBase, '/__fake/state?replace=1', {
    directory: { [demoSeed.lineWorks.domainId]: users.map((u, i) => lwAccount(i, u.email)) },
  });
  await configureLineWorks(stack, gql, t);
  await upsert(gql, t, users);
  return discover(gql, t, 'LINE_WORKS', 'LINE WORKS directory');
}

/** LINE WORKS, lookups: 10 unbound members of a 1,000-member tenant (990 with their id). */
async function lineWorksLookups(stack, gql) {
  const t = await newTenant(stack, 'dv');
  const bound = Array.from({ length: 990 }, (_, i) => ({
    userId: `dvb${i}`,
    email: `dvb${i}@bench.example`,
    lineWorksUserId: `dvb${i}@bench.example`,
  }));
  const open = Array.from({ length: 10 }, (_, i) => ({
    userId: `dvo${i}`,
    email: `dvo${i}@bench.example`,
  }));
  await control(stack.fakes.lineWorksApiBase, '/__fake/state?replace=1', {
    directory: { [demoSeed.lineWorks.domainId]: open.map((u, i) => lwAccount(5000 + i, u.email)) },
  });
  await configureLineWorks(stack, gql, t);
  await upsert(gql, t, [...bound, ...open]);
  return discover(gql, t, 'LINE_WORKS', 'LINE WORKS lookups');
}

/** Runs the four measurements and prints one table; returns the rows. */
export async function benchDiscovery(stack, gql) {
  const slackBase = stack.fakes.slackApiBase;
  // Slack's real tiers for the bench workspace, over Slack's minute.
  await control(slackBase, '/__fake/state', {
    teamLimits: {
      [BENCH_SLACK_TEAM]: {
        windowMs: 60_000,
        methods: { 'users.list': 20, 'users.lookupByEmail': 50 },
      },
    },
  });
  await control(stack.fakes.lineWorksApiBase, '/__fake/state', {
    domainLimits: { [demoSeed.lineWorks.domainId]: { perMinute: 240 } },
  });
  const before429 = await control(slackBase, `/__fake/rate-limited?team=${BENCH_SLACK_TEAM}`);
  const lwStatsBefore = await control(stack.fakes.lineWorksApiBase, '/__fake/stats');
  const rows = [];
  try {
    const sd = await slackDirectory(stack, gql);
    rows.push([
      'Slack',
      'directory (users.list, 200 a page, Tier 2 = 20/min)',
      sd.total,
      sd.found,
      sd.seconds.toFixed(1),
      'measured',
    ]);
    const sl = await slackLookups(stack, gql);
    const perLookup = sl.seconds / sl.total;
    rows.push([
      'Slack',
      `lookups (users.lookupByEmail, Tier 3 = 50/min), ${sl.total} members`,
      sl.total,
      sl.found,
      sl.seconds.toFixed(1),
      'measured',
    ]);
    rows.push([
      'Slack',
      'lookups for 1,000 members',
      1000,
      '',
      (perLookup * 1000).toFixed(0),
      `extrapolated (${perLookup.toFixed(2)} s per lookup)`,
    ]);
    const wd = await lineWorksDirectory(stack, gql);
    rows.push([
      'LINE WORKS',
      'directory (GET /users, 100 a page, 240/min)',
      wd.total,
      wd.found,
      wd.seconds.toFixed(1),
      'measured',
    ]);
    const wl = await lineWorksLookups(stack, gql);
    const perLw = wl.seconds / wl.total;
    rows.push([
      'LINE WORKS',
      `lookups (GET /users/{email}, 240/min), ${wl.total} members`,
      wl.total,
      wl.found,
      wl.seconds.toFixed(1),
      'measured',
    ]);
    rows.push([
      'LINE WORKS',
      'lookups for 1,000 members',
      1000,
      '',
      (perLw * 1000).toFixed(0),
      `extrapolated (${perLw.toFixed(2)} s per lookup)`,
    ]);
  } finally {
    await slackFakeLimits(slackBase, SLACK_HIGH_LIMITS);
    await control(stack.fakes.lineWorksApiBase, '/__fake/state?replace=1', { domainLimits: {} });
  }
  const after429 = await control(slackBase, `/__fake/rate-limited?team=${BENCH_SLACK_TEAM}`);
  const lwStatsAfter = await control(stack.fakes.lineWorksApiBase, '/__fake/stats');
  const slack429 =
    (after429['users.list'] ?? 0) +
    (after429['users.lookupByEmail'] ?? 0) -
    (before429['users.list'] ?? 0) -
    (before429['users.lookupByEmail'] ?? 0);
  const lw429 = (lwStatsAfter.rateLimited ?? 0) - (lwStatsBefore.rateLimited ?? 0);
  progress('');
  table(
    `findBindings, 1,000 members at the real limits (429s: Slack ${slack429}, LINE WORKS ${lw429})`,
    ['provider', 'strategy', 'members searched', 'found', 'seconds', 'how'],
    rows,
  );
  return rows;
}
