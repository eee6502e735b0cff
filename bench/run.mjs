#!/usr/bin/env node
/**
 * Renkei benchmarks (issue 6): starts its own stack (provider fakes + `wrangler dev` on :8788
 * with a fresh state directory), runs each scenario and prints a markdown table per scenario.
 *
 *   npm run bench                       # everything, including Apprise with its default throttle
 *   npm run bench -- --skip-apprise-default --fanout 1000
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { graphqlClient } from '../scripts/local-client.mjs';
import { startStack } from '../scripts/local-stack.mjs';
import {
  control,
  emitEvent,
  percentile,
  pool,
  progress,
  table,
  tenantWithMembers,
  untilTerminal,
} from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    fanout: { type: 'string', default: '1000,5000' },
    'skip-apprise-default': { type: 'boolean', default: false },
    'ingest-requests': { type: 'string', default: '48' },
  },
});

const stack = await startStack({
  port: 8788,
  fakePortBase: 8890,
  persistTo: '.wrangler/bench',
  fresh: true,
  quiet: true,
});
const gql = graphqlClient(stack.base);
const slackBase = stack.fakes.slackApiBase;
const results = {};
const ms = (n) => `${Math.round(n)}`;

try {
  // ---- fan-out ----
  const fanoutRows = [];
  for (const n of opts.fanout.split(',').map(Number)) {
    const t = await tenantWithMembers(stack, gql, n, { tag: `f${n}x` });
    const started = performance.now();
    const eventId = await emitEvent(gql, t, t.ids);
    const emitted = performance.now();
    const s = await untilTerminal(gql, t, eventId, n, `fan-out ${n}`);
    const seconds = (performance.now() - started) / 1000;
    results[`fanout${n}`] = seconds;
    fanoutRows.push([
      n,
      ms(emitted - started),
      seconds.toFixed(2),
      Math.round(n / seconds),
      s.sent,
      s.failed,
    ]);
  }
  progress('');
  table(
    'Fan-out: one event to N Slack members',
    ['recipients', 'emit (ms)', 'until all terminal (s)', 'deliveries/s', 'sent', 'failed'],
    fanoutRows,
  );

  // ---- ingestion ----
  const ingest = await tenantWithMembers(stack, gql, 100, { tag: 'ing' });
  const ingestRows = [];
  for (const concurrency of [1, 8, 32]) {
    const latencies = [];
    await pool(Array.from({ length: Number(opts['ingest-requests']) }), concurrency, async () => {
      const t0 = performance.now();
      await emitEvent(gql, ingest, ingest.ids);
      latencies.push(performance.now() - t0);
      progress(`  ingestion c=${concurrency} ${latencies.length}`);
    });
    ingestRows.push([
      concurrency,
      latencies.length,
      ms(percentile(latencies, 50)),
      ms(percentile(latencies, 95)),
      ms(percentile(latencies, 99)),
    ]);
  }
  progress('');
  table(
    'Ingestion: emitWorkflowEvent with 100 recipients',
    ['concurrency', 'requests', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'],
    ingestRows,
  );

  // ---- pacing ----
  const paceRows = [];
  for (const [channel, setLimit, count] of [
    ['SLACK', { rateLimit: { perChannelPerSecond: 1 } }, 20],
    ['GOOGLE_CHAT', { rateLimit: { perSpacePerSecond: 1 } }, 20],
  ]) {
    const fakeBase = channel === 'SLACK' ? slackBase : stack.fakes.googleChatOrigin;
    const t = await tenantWithMembers(stack, gql, 1, {
      tag: `p${channel.slice(0, 2).toLowerCase()}`,
      slack: channel === 'SLACK',
      googleChat: channel === 'GOOGLE_CHAT',
    });
    await control(fakeBase, '/__fake/state', setLimit);
    const before = await control(fakeBase, '/__fake/stats');
    const events = [];
    for (let i = 0; i < count; i++) events.push(await emitEvent(gql, t, t.ids));
    for (const e of events) await untilTerminal(gql, t, e, 1, `pacing ${channel}`);
    const after = await control(fakeBase, '/__fake/stats');
    const path = channel === 'SLACK' ? 'chat.postMessage' : `S${t.ids[0]}`;
    const sent = (await control(fakeBase, `/__fake/requests?path=${path}`)).filter(
      (r) => r.status === 200,
    );
    const span = (sent.at(-1).at - sent[0].at) / 1000;
    const rate = (sent.length - 1) / span;
    paceRows.push([
      channel,
      '1/s per target',
      sent.length,
      rate.toFixed(3),
      `${(rate * 100).toFixed(1)}%`,
      after.rateLimited - before.rateLimited,
    ]);
    await control(fakeBase, '/__fake/state', { rateLimit: null });
  }
  progress('');
  table(
    'Pacing against fakes enforcing the documented limit',
    ['channel', 'limit', 'sent', 'achieved rate (/s)', 'share of limit', '429s'],
    paceRows,
  );

  // ---- subscription latency ----
  const sub = await tenantWithMembers(stack, gql, 50, { tag: 'sub' });
  const res = await fetch(`${stack.base}/graphql`, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: `Bearer ${sub.admin}`,
    },
    body: JSON.stringify({ query: 'subscription { deliveryUpdated { status updatedAt } }' }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const lags = [];
  let buffer = '';
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const now = Date.now();
      buffer += decoder.decode(value, { stream: true });
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data:'));
        if (!data) continue;
        const d = JSON.parse(data.slice(5)).data?.deliveryUpdated;
        if (d && d.status !== 'QUEUED') lags.push(now - Date.parse(d.updatedAt));
      }
    }
  })();
  for (let round = 0; round < 4; round++) {
    const e = await emitEvent(gql, sub, sub.ids);
    await untilTerminal(gql, sub, e, 50, 'subscription');
  }
  await new Promise((r) => setTimeout(r, 500));
  await reader.cancel();
  await reading.catch(() => undefined);
  progress('');
  table(
    'Subscription: status change → SSE subscriber',
    ['updates', 'p50 (ms)', 'p99 (ms)'],
    [[lags.length, ms(percentile(lags, 50)), ms(percentile(lags, 99))]],
  );

  // ---- baselines ----
  const N = 1000;
  const baseRows = [];
  const bare = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--config',
      'bench/bare-wrangler.toml',
      '--port',
      '8789',
      '--ip',
      '127.0.0.1',
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, CI: 'true' },
    },
  );
  try {
    for (let i = 0; i < 240; i++) {
      try {
        await fetch('http://127.0.0.1:8789/', {
          method: 'POST',
          body: JSON.stringify({ slackApiBase: slackBase, token: 'xoxb-demo-renkei', members: [] }),
        });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const members = Array.from({ length: N }, (_, i) => `UBARE${String(i).padStart(6, '0')}`);
    const started = performance.now();
    // Ten invocations of 100 members, as Queues would hand Renkei's consumer ten batches.
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        fetch('http://127.0.0.1:8789/', {
          method: 'POST',
          body: JSON.stringify({
            slackApiBase: slackBase,
            token: 'xoxb-demo-renkei',
            members: members.slice(k * 100, k * 100 + 100),
          }),
        }).then((r) => r.json()),
      ),
    );
    const floor = (performance.now() - started) / 1000;
    results.floor = floor;
    baseRows.push([
      'bare worker (floor: HTTP calls only)',
      runs.reduce((a, r) => a + r.sent, 0),
      floor.toFixed(2),
      Math.round(N / floor),
    ]);
  } finally {
    bare.kill('SIGTERM');
  }
  const renkei = results.fanout1000;
  if (renkei)
    baseRows.push([
      'Renkei (paced, every delivery recorded)',
      N,
      renkei.toFixed(2),
      Math.round(N / renkei),
    ]);

  // Apprise posts to DM channel ids; open them on the fake the way Renkei's first send does.
  const channels = await pool(
    Array.from({ length: N }, (_, i) => `UAPP${String(i).padStart(6, '0')}`),
    16,
    async (u) => {
      const r = await fetch(`${slackBase}/conversations.open`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer xoxb-demo-renkei',
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify({ users: u }),
      });
      return (await r.json()).channel.id;
    },
  );
  writeFileSync('.wrangler/bench-apprise-channels.txt', channels.join('\n'));
  const apprise = (throttle) =>
    new Promise((resolve, reject) => {
      const child = spawn(
        '/usr/bin/python3',
        [
          'bench/apprise-slack.py',
          slackBase,
          'xoxb-demo-renkei',
          '.wrangler/bench-apprise-channels.txt',
          throttle,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').at(-1)))
          : reject(new Error(`apprise exited ${code}`)),
      );
    });
  progress('  Apprise, throttle 0 …');
  const fast = await apprise('0');
  baseRows.push([
    'Apprise 1.2.0, throttle 0',
    fast.sent,
    fast.seconds.toFixed(2),
    Math.round(fast.sent / fast.seconds),
  ]);
  if (!opts['skip-apprise-default']) {
    progress('  Apprise, default throttle (≈1.2 s per message) …');
    const slow = await apprise('default');
    baseRows.push([
      'Apprise 1.2.0, default throttle',
      slow.sent,
      slow.seconds.toFixed(2),
      (slow.sent / slow.seconds).toFixed(2),
    ]);
    results.appriseDefault = slow.seconds;
  }
  results.appriseFast = fast.seconds;
  progress('');
  table(
    `Baselines: ${N} Slack DMs to distinct members, same fake`,
    ['sender', 'sent', 'seconds', 'per second'],
    baseRows,
  );
  const goals = [];
  if (renkei && results.floor)
    goals.push([
      'Renkei ≤ 1.5 × floor',
      `${(renkei / results.floor).toFixed(2)} ×`,
      renkei <= 1.5 * results.floor ? 'met' : 'missed',
    ]);
  if (renkei)
    goals.push([
      'Renkei at least as fast as Apprise (throttle 0)',
      `${(results.appriseFast / renkei).toFixed(2)} × faster`,
      renkei <= results.appriseFast ? 'met' : 'missed',
    ]);
  if (renkei && results.appriseDefault)
    goals.push([
      'Renkei ≥ 50 × faster than Apprise (default)',
      `${(results.appriseDefault / renkei).toFixed(0)} ×`,
      results.appriseDefault / renkei >= 50 ? 'met' : 'missed',
    ]);
  table('Goals', ['goal', 'measured', 'verdict'], goals);
} finally {
  stack.stop();
}
