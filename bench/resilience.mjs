#!/usr/bin/env node
/**
 * Resilience (issue 6): N deliveries across channels while the fakes inject transient faults
 * (5xx, 429 with Retry-After, hangs past the timeout, connection resets, responses lost after
 * the fake accepted the message). Prints sent / failed / lost / stuck / duplicates per channel
 * and exits non-zero when anything was lost or stuck, or a duplicate has no lost response to
 * explain it.
 *
 *   npm run resilience                         # 10,000 deliveries, then 1,000 decisions, 30 % faults
 *   npm run resilience -- --deliveries 400     # the small configuration CI runs
 *   npm run resilience -- --deliveries 0 --decisions 1000   # decisions to WORKPLACE only
 *
 * Every member is bound to Slack, Google Chat, LINE and LINE WORKS. Transient faults must
 * never lose, strand or fail a delivery; duplicates are allowed only where the caller never got
 * the answer to a message the fake accepted (the fake dropped it, or it was ready only after the
 * caller's timeout), and never on LINE (X-Line-Retry-Key).
 */
import { parseArgs } from 'node:util';
import { graphqlClient } from '../scripts/local-client.mjs';
import { freePort, startStack } from '../scripts/local-stack.mjs';
import {
  click,
  clickAll,
  decisionCounts,
  decisionTenant,
  receivedAtWorkplace,
  runCron,
  sendDecisionRequests,
} from './decisions.mjs';
import {
  control,
  countDeliveries,
  emitEvent,
  openDeliveries,
  progress,
  SLACK_HIGH_LIMITS,
  slackFakeLimits,
  table,
  tenantWithMembers,
} from './lib.mjs';
import { configureLine, configureLineWorks, linkLine } from './providers.mjs';

const { values: opts } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '10000' },
    'fault-rate': { type: 'string', default: '0.3' },
    decisions: { type: 'string', default: '1000' },
    'deadline-seconds': { type: 'string', default: '900' },
  },
});
const faultRate = Number(opts['fault-rate']);
const FAULTS = ['5xx', '429', 'hang', 'reset', 'acceptThenDrop'];

const PERSIST = '.wrangler/resilience';
const TIMEOUT_MS = 2000;
const stack = await startStack({
  // Free ports (the fakes on ephemeral ones): other stacks may be running on this machine.
  port: await freePort(),
  persistTo: PERSIST,
  fresh: true,
  quiet: true,
  // Hangs are cut at 2 s instead of 10 s so the run stays short; the behaviour is the same.
  vars: { PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS), STUCK_AFTER_SECONDS: '30' },
});
const gql = graphqlClient(stack.base);
// Watchdog: a run that hangs past its deadline ends the whole stack (wrangler's process group
// and the fakes) instead of leaving it running.
const watchdog = setTimeout(
  () => {
    console.error('\nresilience: watchdog fired, stopping the stack');
    stack.stop();
    process.exit(2);
  },
  (2 * Number(opts['deadline-seconds']) + 600) * 1000,
);
watchdog.unref();
/** `key` picks the fake's accepted-message counters that belong to the channel. */
const channels = [
  { channel: 'SLACK', base: stack.fakes.slackApiBase, key: (k) => k.startsWith('D') },
  { channel: 'GOOGLE_CHAT', base: stack.fakes.googleChatOrigin, key: (k) => k.startsWith('S') },
  { channel: 'LINE', base: stack.fakes.lineApiBase, key: () => true },
  {
    channel: 'LINE_WORKS',
    base: stack.fakes.lineWorksApiBase,
    key: (k) => !k.startsWith('calendar:'),
  },
];
// Every member is bound to all four channels and receives `events` events: 4 × members × events.
const events = Math.max(1, Math.min(5, Math.floor(Number(opts.deliveries) / 4 / 25)));
const members = Math.ceil(Number(opts.deliveries) / channels.length / events);
let failed = false;

/**
 * The fake's fault counters, read apart: the faults it injected (acceptThenDrop among them),
 * and the answers that were ready only after the caller had given up (`answerAfterClientLeft`).
 * Those are no injected fault (the fake handled the request normally, too late), but the
 * caller never received them either; each lost answer, of either kind, may explain one
 * duplicate.
 */
function faultStats(stats) {
  const { answerAfterClientLeft = 0, ...injected } = stats.faults ?? {};
  const droppedByFake = injected.acceptThenDrop ?? 0;
  return {
    droppedByFake,
    afterTimeout: answerAfterClientLeft,
    answersLost: droppedByFake + answerAfterClientLeft,
    injected: Object.entries(injected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  };
}

/** The delivery part: every member on four channels, faults on every provider fake. */
async function runDeliveries() {
  const t = await tenantWithMembers(stack, gql, members, {
    tag: 'res',
    slack: true,
    googleChat: true,
  });
  await configureLine(stack, gql, t);
  await linkLine(stack, gql, t, t.ids, {
    onProgress: (n) => progress(`  linking LINE ${n}/${members}`),
  });
  // Pacing is not under test here: LINE WORKS gets a high plan limit so the run stays short.
  await configureLineWorks(stack, gql, t, { perMinute: 100_000 });
  // Nor Slack's workspace limits: high in the fake and in Renkei (tenantWithMembers' default).
  await slackFakeLimits(stack.fakes.slackApiBase, SLACK_HIGH_LIMITS);
  for (const [i, c] of channels.entries()) {
    await control(c.base, '/__fake/config', {
      faultRate,
      faults: FAULTS,
      retryAfterSeconds: 1,
      seed: 42 + i,
    });
  }
  const started = performance.now();
  for (let e = 0; e < events; e++)
    for (let i = 0; i < members; i += 1000) await emitEvent(gql, t, t.ids.slice(i, i + 1000));
  const deadline = Date.now() + Number(opts['deadline-seconds']) * 1000;
  let open = Number.POSITIVE_INFINITY;
  let polls = 0;
  while (open > 0 && Date.now() < deadline) {
    open = await openDeliveries(gql, t);
    progress(
      `  ${((performance.now() - started) / 1000).toFixed(0)} s: ${open} deliveries not yet terminal`,
    );
    if (open > 0) await new Promise((r) => setTimeout(r, 1000));
    // wrangler dev runs no cron: fire the sweeper by hand, as production's */5 trigger would.
    if (++polls % 30 === 0)
      await fetch(`${stack.base}/cdn-cgi/local/scheduled`).catch(() => undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  const rows = [];
  const problems = [];
  for (const c of channels) {
    const sent = await countDeliveries(gql, t, 'SENT', c.channel);
    const fail = await countDeliveries(gql, t, 'FAILED', c.channel);
    const stuck = await openDeliveries(gql, t, c.channel);
    const faults = faultStats(await control(c.base, '/__fake/stats'));
    const mine = (await control(c.base, '/__fake/accepted')).filter((a) => c.key(a.key));
    // Each recipient key should have been sent `events` messages: more are duplicates, a SENT
    // delivery beyond what the provider holds is lost, and so is a row that vanished.
    const received = mine.reduce((n, a) => n + Math.min(a.count, events), 0);
    const duplicates = mine.reduce((n, a) => n + Math.max(0, a.count - events), 0);
    const expected = members * events;
    const lost = Math.max(0, expected - (sent + fail + stuck)) + Math.max(0, sent - received);
    rows.push([
      c.channel,
      expected,
      sent,
      fail,
      lost,
      stuck,
      duplicates,
      faults.droppedByFake,
      faults.afterTimeout,
      faults.injected,
    ]);
    const dupAllowed = c.channel === 'LINE' ? 0 : faults.answersLost;
    if (lost > 0 || stuck > 0 || fail > 0 || duplicates > dupAllowed) {
      failed = true;
      problems.push(await channelProblem(c, { lost, stuck, fail, duplicates, dupAllowed }));
    }
  }
  progress('');
  table(
    `Resilience: ${members * events * channels.length} deliveries (${members} members × ${events} events × ${channels.length} channels), ${Math.round(faultRate * 100)} % transient faults, ${seconds.toFixed(0)} s`,
    [
      'channel',
      'deliveries',
      'sent',
      'failed',
      'lost',
      'stuck',
      'duplicates',
      'responses lost by the fake',
      "answers lost after the caller's timeout",
      'faults injected',
    ],
    rows,
  );
  for (const p of problems) console.error(p);
}

/**
 * Why a channel failed the check, with what the fake saw: answers it sent within 250 ms of
 * Renkei's timeout (a race the fake cannot see lost) and its slowest answer.
 */
async function channelProblem(c, { lost, stuck, fail, duplicates, dupAllowed }) {
  const requests = await fetch(`${new URL(c.base).origin}/__fake/requests`).then((r) => r.json());
  const late = requests.filter(
    (r) => !r.dropped && r.answeredAt && r.answeredAt - r.at >= TIMEOUT_MS - 250,
  ).length;
  const slowest = Math.max(0, ...requests.map((r) => (r.answeredAt ?? r.at) - r.at));
  return `${c.channel} failed: lost ${lost}, stuck ${stuck}, failed ${fail}, duplicates ${duplicates} (allowed ${dupAllowed}); the fake saw ${requests.length} requests, ${late} answered within 250 ms of the ${TIMEOUT_MS} ms timeout, slowest answer ${slowest} ms`;
}

/** Prints the repeats at WORKPLACE that no lost answer explains (see runDecisions). */
async function explainRepeats(base, t) {
  const url = `${new URL(base).origin}/__fake/requests?path=/webhooks/renkei/decisions`;
  const requests = await fetch(url).then((r) => r.json());
  const byId = new Map();
  for (const r of requests) {
    const id = r.headers['webhook-id'];
    byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  for (const [id, rs] of byId) {
    const ok = rs.filter((r) => r.status >= 200 && r.status < 300);
    if (ok.length < 2 || ok[0].dropped) continue;
    const { node } = await gql(
      t.admin,
      'query ($id: ID!) { node(id: $id) { ... on Decision { attempts status } } }',
      { id },
    );
    const seen = rs.map(
      (r) =>
        `+${r.at - rs[0].at} ms HTTP ${r.status || '-'}${r.fault ? ` ${r.fault}` : ''}${r.dropped ? ' (answer lost)' : ''}${r.answeredAt ? `, answered in ${r.answeredAt - r.at} ms` : ''}`,
    );
    console.error(`unexplained repeat ${id} (Renkei: ${JSON.stringify(node)}): ${seen.join('; ')}`);
  }
}

/**
 * The decision part: N members each click APPROVE in Slack (signed block_actions, through the
 * Slack fake), a few of them twice, while the fake WORKPLACE answers 30 % of requests with a
 * fault. Nothing may be lost (every clicked member has exactly one Decision, ACCEPTED, held by
 * WORKPLACE), and a webhook-id may arrive twice only where Renkei never got the answer to an
 * accepted request (dropped by the fake, or ready after Renkei's timeout).
 */
async function runDecisions(n) {
  // The delivery part's faults on Slack are not under test here: the requests go out clean.
  await control(stack.fakes.slackApiBase, '/__fake/config', { faultRate: 0 });
  await slackFakeLimits(stack.fakes.slackApiBase, SLACK_HIGH_LIMITS);
  const t = await decisionTenant(stack, gql, n, 'dec');
  const buttons = await sendDecisionRequests(stack, gql, t, 'decision requests');
  const base = stack.fakes.workplaceWebhookUrl;
  await control(base, '/__fake/config', {
    faultRate,
    faults: FAULTS,
    retryAfterSeconds: 1,
    seed: 7,
  });
  const started = performance.now();
  const statuses = await clickAll(stack, t, buttons, {
    concurrency: 16,
    onProgress: (k) => progress(`  clicked ${k}/${buttons.size}`),
  });
  // Double clicks: every 50th member clicks again (one Decision each all the same).
  const again = [...buttons.values()].filter((_b, i) => i % 50 === 0);
  for (const b of again) {
    const status = await click(stack, t, b);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const recorded = buttons.size;
  const deadline = Date.now() + Number(opts['deadline-seconds']) * 1000;
  let counts = await decisionCounts(gql, t);
  let polls = 0;
  while (
    (counts.PENDING > 0 || counts.ACCEPTED + counts.REFUSED + counts.FAILED < recorded) &&
    Date.now() < deadline
  ) {
    progress(
      `  ${((performance.now() - started) / 1000).toFixed(0)} s: ${counts.PENDING} decisions pending, ${counts.ACCEPTED} accepted`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    // wrangler dev runs no cron: fire the sweeper by hand, as production's trigger would.
    if (++polls % 30 === 0) await runCron(stack);
    counts = await decisionCounts(gql, t);
  }
  const seconds = (performance.now() - started) / 1000;
  const held = await receivedAtWorkplace(stack, t.tenant);
  const distinct = Object.keys(held).length;
  const duplicates = Object.values(held).reduce((x, r) => x + r.deliveries - 1, 0);
  const faults = faultStats(await control(base, '/__fake/stats'));
  // Per clicked member: exactly one decision held by WORKPLACE (by userId in the payload).
  const perMember = new Map();
  for (const r of Object.values(held)) {
    const u = r.payload?.data?.userId;
    perMember.set(u, (perMember.get(u) ?? 0) + 1);
  }
  const missing = [...buttons.keys()].filter((u) => perMember.get(u) !== 1).length;
  const total = counts.ACCEPTED + counts.REFUSED + counts.FAILED + counts.PENDING;
  // A clicked member without exactly one decision at WORKPLACE, ACCEPTED but not at WORKPLACE,
  // or a decision that vanished: lost.
  const lost = Math.max(
    missing,
    Math.max(0, counts.ACCEPTED - distinct) + Math.max(0, recorded - total),
  );
  const clicks = Object.entries(statuses)
    .map(([k, v]) => `HTTP ${k} × ${v}`)
    .join(', ');
  // More repeats than answers lost: show each repeated webhook-id whose first 2xx answer was not
  // one the fake lost, with the fake's view of every request and Renkei's attempts.
  if (duplicates > faults.answersLost) await explainRepeats(base, t);
  progress('');
  table(
    `Resilience: ${recorded} members clicked APPROVE in Slack (+${again.length} double clicks; ${clicks}) → WORKPLACE, ${Math.round(faultRate * 100)} % transient faults, ${seconds.toFixed(0)} s`,
    [
      'clicked',
      'decisions',
      'accepted',
      'refused',
      'failed',
      'pending',
      'lost',
      'webhook-ids at WORKPLACE',
      'duplicates',
      'responses lost by the fake',
      "answers lost after the caller's timeout",
      'faults injected',
    ],
    [
      [
        recorded,
        total,
        counts.ACCEPTED,
        counts.REFUSED,
        counts.FAILED,
        counts.PENDING,
        lost,
        distinct,
        duplicates,
        faults.droppedByFake,
        faults.afterTimeout,
        faults.injected,
      ],
    ],
  );
  if (
    lost > 0 ||
    counts.PENDING > 0 ||
    counts.FAILED > 0 ||
    counts.REFUSED > 0 ||
    total !== recorded ||
    distinct !== recorded ||
    duplicates > faults.answersLost ||
    Object.keys(statuses).some((k) => k !== '200')
  )
    failed = true;
}

try {
  if (Number(opts.deliveries) > 0) await runDeliveries();
  if (Number(opts.decisions) > 0) await runDecisions(Number(opts.decisions));
  console.log(failed ? '\nRESULT: FAILED' : '\nRESULT: ok');
} finally {
  for (const base of [...channels.map((c) => c.base), stack.fakes.workplaceWebhookUrl])
    await control(base, '/__fake/config', { faultRate: 0 }).catch(() => undefined);
  stack.stop();
}
process.exit(failed ? 1 : 0);
