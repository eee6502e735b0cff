#!/usr/bin/env node
/**
 * Resilience (issue 6): N deliveries across channels while the fakes inject transient faults
 * (5xx, 429 with Retry-After, hangs past the timeout, connection resets, responses lost after
 * the fake accepted the message). Prints sent / failed / lost / stuck / duplicates per channel
 * and exits non-zero when anything was lost or stuck, or a duplicate has no lost response to
 * explain it.
 *
 *   npm run resilience                         # 10,000 deliveries, 30 % faults
 *   npm run resilience -- --deliveries 400     # the small configuration CI runs
 */
import { parseArgs } from 'node:util';
import { graphqlClient } from '../scripts/local-client.mjs';
import { startStack } from '../scripts/local-stack.mjs';
import { control, emitEvent, progress, table, tenantWithMembers } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '10000' },
    'fault-rate': { type: 'string', default: '0.3' },
    'deadline-seconds': { type: 'string', default: '900' },
  },
});
const total = Number(opts.deliveries);
const faultRate = Number(opts['fault-rate']);

const stack = await startStack({
  port: 8787 + 100,
  fakePortBase: 8990,
  persistTo: '.wrangler/resilience',
  fresh: true,
  quiet: true,
  // Hangs are cut at 2 s instead of 10 s so the run stays short; the behaviour is the same.
  vars: { PROVIDER_TIMEOUT_MS: '2000', STUCK_AFTER_SECONDS: '30' },
});
const gql = graphqlClient(stack.base);
const channels = [
  {
    channel: 'SLACK',
    base: stack.fakes.slackApiBase,
    faults: ['5xx', '429', 'hang', 'reset', 'acceptThenDrop'],
  },
  {
    channel: 'GOOGLE_CHAT',
    base: stack.fakes.googleChatOrigin,
    faults: ['5xx', '429', 'hang', 'reset', 'acceptThenDrop'],
  },
];
let failed = false;
try {
  const members = Math.ceil(total / channels.length);
  const t = await tenantWithMembers(stack, gql, members, {
    tag: 'res',
    slack: true,
    googleChat: true,
  });
  for (const c of channels) {
    await control(c.base, '/__fake/config', {
      faultRate,
      faults: c.faults,
      retryAfterSeconds: 1,
      seed: 42,
    });
  }
  const started = performance.now();
  const events = [];
  for (let i = 0; i < members; i += 1000)
    events.push(await emitEvent(gql, t, t.ids.slice(i, i + 1000)));
  const deadline = Date.now() + Number(opts['deadline-seconds']) * 1000;
  const statusCount = async (channel, status) =>
    (
      await gql(
        t.admin,
        'query ($c: Channel, $s: DeliveryStatus) { deliveries(first: 1, filter: { channel: $c, status: $s }) { totalCount } }',
        { c: channel, s: status },
      )
    ).deliveries.totalCount;
  let open = Number.POSITIVE_INFINITY;
  let polls = 0;
  while (open > 0 && Date.now() < deadline) {
    open = 0;
    for (const c of channels)
      for (const s of ['QUEUED', 'SENDING', 'RETRYING']) open += await statusCount(c.channel, s);
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
  for (const c of channels) {
    const sent = await statusCount(c.channel, 'SENT');
    const fail = await statusCount(c.channel, 'FAILED');
    const stuck =
      (await statusCount(c.channel, 'QUEUED')) +
      (await statusCount(c.channel, 'SENDING')) +
      (await statusCount(c.channel, 'RETRYING'));
    const accepted = await control(c.base, '/__fake/accepted');
    const stats = await control(c.base, '/__fake/stats');
    const mine = accepted.filter((a) =>
      c.channel === 'SLACK' ? a.key.startsWith('D') : a.key.startsWith('Sres'),
    );
    const received = mine.length;
    const duplicates = mine.reduce((n, a) => n + Math.max(0, a.count - 1), 0);
    const dropped = stats.faults?.acceptThenDrop ?? 0;
    // A SENT delivery the provider never received would be lost; so would a row that vanished.
    const lost = Math.max(0, members - (sent + fail + stuck)) + Math.max(0, sent - received);
    rows.push([
      c.channel,
      members,
      sent,
      fail,
      lost,
      stuck,
      duplicates,
      dropped,
      JSON.stringify(stats.faults ?? {}),
    ]);
    if (lost > 0 || stuck > 0 || duplicates > dropped) failed = true;
  }
  progress('');
  table(
    `Resilience: ${members * channels.length} deliveries, ${Math.round(faultRate * 100)} % transient faults, ${seconds.toFixed(0)} s`,
    [
      'channel',
      'deliveries',
      'sent',
      'failed',
      'lost',
      'stuck',
      'duplicates',
      'responses lost by the fake',
      'faults injected',
    ],
    rows,
  );
} finally {
  for (const c of channels)
    await control(c.base, '/__fake/config', { faultRate: 0 }).catch(() => undefined);
  stack.stop();
}
process.exit(failed ? 1 : 0);
