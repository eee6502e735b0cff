#!/usr/bin/env node
/**
 * Renkei benchmarks (issue 6): starts its own stack (provider fakes + `wrangler dev` on :8788
 * with a fresh state directory), runs each scenario and prints a markdown table per scenario.
 *
 *   npm run bench                       # everything, including Apprise with its default throttle
 *   npm run bench -- --skip-apprise-default --fanout 1000
 *   npm run bench -- --only pacing          # fanout, ingestion, pacing, slack-tiers, subscription, baselines
 *   npm run bench -- --only slack-tiers --tiers-dms 1000 --tiers-scale 2
 *   npm run bench -- --only discovery       # findBindings, 1,000 members per provider (issue 15)
 *   npm run bench -- --only decisions --decisions-single 50 --decisions-burst 500
 *
 * Slack's workspace limits (Tier 3 conversations.open, the workspace message budget) are set
 * high in the fake and in Renkei for every scenario but slack-tiers, which measures them.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpuDelta } from './cpu.mjs';
import {
  click,
  clickAll,
  decisionTenant,
  receivedAtWorkplace,
  sendDecisionRequests,
} from './decisions.mjs';
import { benchDiscovery } from './discovery.mjs';
import { startFloor } from './floor.mjs';
import {
  benchStack,
  control,
  countDeliveries,
  drain,
  emitEvent,
  lastRecordedAt,
  partsSince,
  percentile,
  pool,
  progress,
  SLACK_HIGH_LIMITS,
  slackFakeLimits,
  slackLimitsHigh,
  table,
  tenantWithMembers,
  untilTerminal,
} from './lib.mjs';
import { configureLine, configureLineWorks, linkLine } from './providers.mjs';

const { values: opts } = parseArgs({
  options: {
    fanout: { type: 'string', default: '1000,5000' },
    // Repetitions of the fan-out, each followed by the floors' (fresh members each time).
    reps: { type: 'string', default: '1' },
    'skip-apprise-default': { type: 'boolean', default: false },
    'ingest-requests': { type: 'string', default: '48' },
    only: {
      type: 'string',
      default: 'fanout,ingestion,pacing,slack-tiers,decisions,subscription,baselines',
    },
    'tiers-dms': { type: 'string', default: '1000' },
    'decisions-single': { type: 'string', default: '50' },
    'decisions-burst': { type: 'string', default: '500' },
    'tiers-scale': { type: 'string', default: '2' },
  },
});
const want = (scenario) => opts.only.split(',').includes(scenario);

const PERSIST = '.wrangler/bench';
const { stack, gql, cpu } = await benchStack({
  persistTo: PERSIST,
  quiet: !process.env.BENCH_VERBOSE,
});
const slackBase = stack.fakes.slackApiBase;
const results = {};
const ms = (n) => `${Math.round(n)}`;
const highLimits = `Slack limits set high in the fake and in Renkei (${SLACK_HIGH_LIMITS.tier3PerMinute.toLocaleString('en')}/min for conversations.open and for the workspace's messages; 1/s per DM stays)`;

try {
  // Slack's limits stay out of the way outside the pacing scenarios (the per-channel check too,
  // as before the fake had tiers).
  await slackLimitsHigh(slackBase);
  // The floors run right after each fan-out repetition (interleaved, so a machine that slows
  // down during the run slows both sides of a ratio alike).
  const FLOOR_N = 1000;
  const reps = Number(opts.reps);
  const floor = want('baselines') ? await startFloor(slackBase, FLOOR_N) : null;
  const floorRows = [];
  results.floorCold = [];
  results.floorWarm = [];
  results.floorColdQueued = [];
  results.floorWarmQueued = [];
  const runFloor = async (rep) => {
    progress(`  floor, repetition ${rep + 1} …`);
    const f = await floor.run(rep);
    results.floorCold.push(f.cold);
    results.floorWarm.push(f.warm);
    results.floorColdQueued.push(f.coldQueued);
    results.floorWarmQueued.push(f.warmQueued);
    floorRows.push(
      ...f.rows.map(([label, ...rest]) => [
        `${label}${reps > 1 ? ` (rep ${rep + 1})` : ''}`,
        ...rest,
      ]),
    );
  };
  // ---- fan-out ----
  // Cold: Renkei's first DM to each member opens the DM channel (conversations.open), then
  // posts. Warm: a second event to the same members, the DM channel ids now cached.
  if (want('fanout')) {
    const fanoutRows = [];
    const batchRows = [];
    // Uncounted warm-up on both sides (the isolate's JIT, SQLite's page cache, the Durable
    // Objects' first start): a cold and a warm fan-out to 200 members, and one floor repetition.
    progress('  warm-up …');
    const w = await tenantWithMembers(stack, gql, 200, { tag: 'warmup' });
    for (let i = 0; i < 2; i++) {
      await untilTerminal(gql, w, await emitEvent(gql, w, w.ids), 200, 'warm-up');
      await new Promise((r) => setTimeout(r, 2500));
    }
    if (floor) await floor.run('W');
    for (let rep = 0; rep < reps; rep++) {
      for (const n of opts.fanout.split(',').map(Number)) {
        const t = await tenantWithMembers(stack, gql, n, { tag: `f${n}x${rep}r` });
        for (const round of ['cold', 'warm']) {
          const offset = stack.output().length;
          const cpuBefore = cpu.snapshot();
          const startedAt = Date.now();
          const started = performance.now();
          const eventId = await emitEvent(gql, t, t.ids);
          const emitted = performance.now();
          // Polled once a second, the first time a second after the emit: each poll is a
          // GraphQL request of 10–17 ms on workerd's one thread, taken from the fan-out it
          // watches (the floors run unobserved, and so does a fan-out shorter than a second).
          // The time that counts is when Renkei recorded the last outcome, not when a poll
          // noticed it.
          const s = await untilTerminal(gql, t, eventId, n, `fan-out ${n} ${round}`, {
            everyMs: 1000,
            firstAfterMs: 1000,
          });
          const wall = performance.now() - started;
          const spent = cpuDelta(cpuBefore, cpu.snapshot());
          const seconds = ((await lastRecordedAt(gql, t, eventId)) - startedAt) / 1000;
          results[`${round}${n}`] = [...(results[`${round}${n}`] ?? []), seconds];
          fanoutRows.push([
            reps > 1 ? `${n} (rep ${rep + 1})` : n,
            round === 'cold' ? 'first DM (open + post)' : 'DM channel cached (post)',
            ms(emitted - started),
            seconds.toFixed(2),
            (wall / 1000).toFixed(2),
            Math.round(n / seconds),
            s.sent,
            s.failed,
            `${Math.round((100 * spent.workerd) / wall)} %`,
            `${Math.round((100 * spent.fakes) / wall)} %`,
            `${Math.round((100 * spent.wrangler) / wall)} %`,
          ]);
          // Batch timings: each consumer part's wall time, and the gaps between parts (the local
          // queue hands the consumer its next batch only when the last one ends).
          await new Promise((r) => setTimeout(r, 1000)); // the last part's log line
          // A member's next DM may go 2.05 s after a first one (1/s per DM channel, plus room for
          // a late first post): the warm round starts after that, so it measures Renkei rather
          // than that wait.
          if (round === 'cold') await new Promise((r) => setTimeout(r, 1500));
          const parts = partsSince(stack, offset).filter((p) => p.queue === 'renkei-deliveries');
          const partMs = parts.map((p) => p.ms);
          batchRows.push([
            `${n} ${round}${reps > 1 ? ` (rep ${rep + 1})` : ''}`,
            parts.length,
            Math.round(percentile(partMs, 50)),
            Math.round(percentile(partMs, 99)),
            `${Math.round((100 * partMs.reduce((a, b) => a + b, 0)) / wall)} %`,
          ]);
        }
      }
      if (floor) await runFloor(rep);
    }
    progress('');
    table(
      `Fan-out: one event to N Slack members (${highLimits})`,
      [
        'recipients',
        'Slack calls',
        'emit (ms)',
        'emit → last outcome recorded (s)',
        'until a poll saw all terminal (s)',
        'deliveries/s',
        'sent',
        'failed',
        'workerd CPU',
        'fakes CPU',
        'wrangler CPU',
      ],
      fanoutRows,
    );
    table(
      'Fan-out consumer parts (one `queue part` log line each; CPU above is % of one core over the wall time)',
      ['run', 'parts', 'part p50 (ms)', 'part p99 (ms)', 'sum of parts / wall'],
      batchRows,
    );
  }

  // ---- ingestion ----
  if (want('ingestion')) {
    // 1,500 members, each request to the next 100 of them: every request is a real fan-out, and
    // no member's Slack DM channel (paced at 1 message/s) collects a long queue.
    const ingest = await tenantWithMembers(stack, gql, 1500, { tag: 'ing' });
    const ingestRows = [];
    let window = 0;
    for (const concurrency of [1, 8, 32]) {
      const latencies = [];
      await pool(Array.from({ length: Number(opts['ingest-requests']) }), concurrency, async () => {
        const from = (window++ * 100) % ingest.ids.length;
        const t0 = performance.now();
        await emitEvent(gql, ingest, ingest.ids.slice(from, from + 100));
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
    await drain(gql, ingest, 'ingestion backlog');
  }

  // ---- pacing ----
  if (want('pacing')) {
    // Each fake enforces the provider's documented limit; Renkei is configured with the same one.
    const pacing = [
      {
        channel: 'SLACK',
        limit: '1 message/s per DM channel',
        perSecond: 1,
        fake: slackBase,
        rateLimit: { perChannelPerSecond: 1 },
        members: 1,
        events: 20,
        path: 'chat.postMessage',
      },
      {
        channel: 'GOOGLE_CHAT',
        limit: '1 message/s per space',
        perSecond: 1,
        fake: stack.fakes.googleChatOrigin,
        rateLimit: { perSpacePerSecond: 1 },
        members: 1,
        events: 20,
        googleChat: true,
        path: '/messages',
      },
      {
        channel: 'LINE_WORKS',
        limit: '240 requests/min per API (Standard plan)',
        perSecond: 4,
        fake: stack.fakes.lineWorksApiBase,
        rateLimit: { perMinute: 240 },
        members: 300,
        events: 1,
        setup: (t) => configureLineWorks(stack, gql, t, { perMinute: 240 }),
        path: '/messages',
      },
      {
        channel: 'LINE',
        limit: '2,000 pushes/s per channel',
        perSecond: 2000,
        fake: stack.fakes.lineApiBase,
        rateLimit: { perSecond: 2000 },
        members: 100,
        events: 10,
        setup: async (t) => {
          await configureLine(stack, gql, t);
          await linkLine(stack, gql, t, t.ids);
        },
        path: '/v2/bot/message/push',
      },
    ];
    const paceRows = [];
    for (const p of pacing) {
      const t = await tenantWithMembers(stack, gql, p.members, {
        tag: `p${p.channel.slice(0, 2).toLowerCase()}`,
        slack: p.channel === 'SLACK',
        googleChat: p.channel === 'GOOGLE_CHAT',
      });
      await p.setup?.(t);
      await control(p.fake, '/__fake/state', { rateLimit: p.rateLimit });
      const before = await control(p.fake, '/__fake/stats');
      const since = Date.now();
      const events = [];
      for (let i = 0; i < p.events; i++) events.push(await emitEvent(gql, t, t.ids));
      for (const e of events) await untilTerminal(gql, t, e, p.members, `pacing ${p.channel}`);
      const after = await control(p.fake, '/__fake/stats');
      const sent = (
        await control(
          p.fake,
          `/__fake/requests?path=${encodeURIComponent(p.path)}&since=${before.requests}`,
        )
      )
        .filter((r) => r.status < 300 && r.at >= since)
        .map((r) => r.at)
        .sort((a, b) => a - b);
      const span = ((sent.at(-1) ?? 0) - (sent[0] ?? 0)) / 1000;
      const rate = span > 0 ? (sent.length - 1) / span : 0;
      paceRows.push([
        p.channel,
        p.limit,
        sent.length,
        rate.toFixed(3),
        `${((rate / p.perSecond) * 100).toFixed(1)}%`,
        after.rateLimited - before.rateLimited,
        await countDeliveries(gql, t, 'FAILED'),
      ]);
      await control(p.fake, '/__fake/state', { rateLimit: null });
    }
    progress('');
    table(
      'Pacing against fakes enforcing the documented limit',
      [
        'channel',
        'limit',
        'sent',
        'achieved rate (/s)',
        'share of limit',
        '429s',
        'failed deliveries',
      ],
      paceRows,
    );
  }

  // ---- Slack tiers: 1,000 first-contact DMs against a workspace's real limits, scaled ----
  if (want('slack-tiers')) {
    const n = Number(opts['tiers-dms']);
    const scale = Number(opts['tiers-scale']);
    // Slack's documented limits (PROVIDERS.md): Tier 3 = 50/min for conversations.open; the
    // workspace-wide chat.postMessage budget Renkei assumes by default, 525/min.
    const real = { opens: 50, messages: 525 };
    // Scaled in time: the fake counts the same numbers over 60/scale seconds, and Renkei is
    // configured (configureSlack, as an admin would) with scale × the per-minute rates.
    await slackFakeLimits(slackBase, {
      tier3PerMinute: real.opens,
      messagesPerMinute: real.messages,
      windowMs: 60_000 / scale,
    });
    await control(slackBase, '/__fake/state', { rateLimit: { perChannelPerSecond: 1 } });
    const limits = { opens: real.opens * scale, messages: real.messages * scale };
    const t = await tenantWithMembers(stack, gql, n, {
      tag: 'tier',
      slackLimits: { tier3PerMinute: limits.opens, messagesPerMinute: limits.messages },
    });
    const rows = [];
    const limited = () => control(slackBase, '/__fake/rate-limited?team=T0DEMO');
    const calls = async (path, since, from) =>
      (await control(slackBase, `/__fake/requests?path=${path}&since=${since}`))
        .filter((r) => r.status === 200 && r.at >= from)
        .map((r) => r.at)
        .sort((a, b) => a - b);
    const perMinute = (times) => {
      const span = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
      return span > 0 ? ((times.length - 1) / span) * 60 : 0;
    };
    for (const round of ['cold', 'warm']) {
      const before = await limited();
      const seq = (await control(slackBase, '/__fake/stats')).requests;
      const from = Date.now();
      const started = performance.now();
      const eventId = await emitEvent(gql, t, t.ids);
      const s = await untilTerminal(gql, t, eventId, n, `slack tiers ${round}`);
      const seconds = (performance.now() - started) / 1000;
      const after = await limited();
      const delta = (m) => (after[m] ?? 0) - (before[m] ?? 0);
      const all429 = Object.keys(after).reduce((sum, m) => sum + delta(m), 0);
      const opens = await calls('/api/conversations.open', seq, from);
      const posts = await calls('/api/chat.postMessage', seq, from);
      // The limit that bounds the round: conversations.open when cold, the message budget when
      // the DM channels are cached.
      const [method, times, limit, realLimit] =
        round === 'cold'
          ? ['conversations.open', opens, limits.opens, real.opens]
          : ['chat.postMessage (workspace)', posts, limits.messages, real.messages];
      const rate = perMinute(times);
      // At the real limit Renkei paces at limit/62 s: n calls take (n - 1) × 62 / limit s.
      const computed = ((n - 1) * 62) / realLimit;
      rows.push([
        round === 'cold' ? `${n} first-contact DMs (open + post)` : `${n} DMs, DM channel cached`,
        method,
        `${realLimit}/min → ${limit.toLocaleString('en')}/min`,
        times.length,
        rate.toFixed(0),
        `${((rate / limit) * 100).toFixed(1)}%`,
        delta(method.split(' ')[0]),
        all429,
        s.sent,
        s.failed,
        seconds.toFixed(1),
        `${((seconds * scale) / 60).toFixed(1)} min`,
        `${(computed / 60).toFixed(1)} min`,
      ]);
      results[`tiers-${round}`] = { rate, limit, seconds, all429 };
    }
    await slackLimitsHigh(slackBase);
    progress('');
    table(
      `Slack workspace limits: ${n} DMs, limits scaled ×${scale} in time (the fake counts Slack's per-minute limits over ${60 / scale} s; Renkei configured with ×${scale} per minute through configureSlack)`,
      [
        'round',
        'limit that bounds it',
        'limit (real → scaled)',
        'calls',
        'achieved (/min, scaled)',
        'share of limit',
        '429s on it',
        '429s on any method',
        'sent',
        'failed',
        'until all terminal (s, scaled)',
        `× ${scale}: measured at real limits`,
        'computed at real limits',
      ],
      rows,
    );
  }

  // ---- decisions: signed click → WORKPLACE's webhook received ----
  // Each member clicks APPROVE in Slack (signed block_actions through the Slack fake); the time
  // runs from just before the click request to the fake WORKPLACE's receipt of that decision.
  if (want('decisions')) {
    const rows = [];
    const byUser = (held) =>
      new Map(Object.values(held).map((r) => [r.payload?.data?.userId, Date.parse(r.receivedAt)]));
    const single = await decisionTenant(stack, gql, Number(opts['decisions-single']), 'dsg');
    const singleButtons = await sendDecisionRequests(stack, gql, single, 'decisions (single)');
    const singleMs = [];
    for (const [userId, button] of singleButtons) {
      const t0 = Date.now();
      const status = await click(stack, single, button);
      if (status !== 200) throw new Error(`click answered HTTP ${status}`);
      for (;;) {
        const at = byUser(await receivedAtWorkplace(stack, single.tenant)).get(userId);
        if (at !== undefined) {
          singleMs.push(at - t0);
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      progress(`  decisions one at a time ${singleMs.length}/${singleButtons.size}`);
    }
    rows.push([
      `one at a time (${singleMs.length})`,
      ms(percentile(singleMs, 50)),
      ms(percentile(singleMs, 99)),
      '',
    ]);
    const burst = await decisionTenant(stack, gql, Number(opts['decisions-burst']), 'dbu');
    const burstButtons = await sendDecisionRequests(stack, gql, burst, 'decisions (burst)');
    const clickedAt = new Map();
    const started = Date.now();
    const statuses = await clickAll(stack, burst, burstButtons, { concurrency: 16, clickedAt });
    if (Object.keys(statuses).some((k) => k !== '200'))
      throw new Error(`clicks answered ${JSON.stringify(statuses)}`);
    let held = new Map();
    while (held.size < burstButtons.size) {
      await new Promise((r) => setTimeout(r, 100));
      held = byUser(await receivedAtWorkplace(stack, burst.tenant));
      progress(`  decisions burst ${held.size}/${burstButtons.size}`);
    }
    const burstMs = [...clickedAt].map(([u, t0]) => held.get(u) - t0);
    rows.push([
      `burst of ${burstButtons.size} (16 clicks in flight)`,
      ms(percentile(burstMs, 50)),
      ms(percentile(burstMs, 99)),
      `${((Math.max(...held.values()) - started) / 1000).toFixed(1)} s`,
    ]);
    progress('');
    table(
      'Decisions: signed Slack click sent → WORKPLACE webhook received, local workerd, fake WORKPLACE without faults',
      ['run', 'p50 ms', 'p99 ms', 'all received after'],
      rows,
    );
  }

  // ---- subscription latency ----
  if (want('subscription')) {
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
  }

  // ---- baselines ----
  if (want('baselines')) {
    const N = FLOOR_N;
    // Without a fan-out in this run, the floors' repetitions run here.
    if (results.floorCold.length === 0) for (let rep = 0; rep < reps; rep++) await runFloor(rep);
    floor.stop();
    const { channels } = floor;
    const baseRows = [...floorRows];
    for (const [round, label] of [
      ['cold', 'Renkei, cold (first DM: open + post), paced, every delivery recorded'],
      ['warm', 'Renkei, warm (DM channel cached), paced, every delivery recorded'],
    ]) {
      (results[`${round}${N}`] ?? []).forEach((seconds, rep) => {
        baseRows.push([
          `${label}${reps > 1 ? ` (rep ${rep + 1})` : ''}`,
          N,
          seconds.toFixed(2),
          Math.round(N / seconds),
        ]);
      });
    }

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
          { stdio: ['ignore', 'pipe', 'inherit'] },
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
    // What counts is what the fake accepted, not what Apprise says it sent.
    const appriseRun = async (throttle) => {
      const before = (await control(slackBase, '/__fake/stats')).accepted;
      const r = await apprise(throttle);
      const accepted = (await control(slackBase, '/__fake/stats')).accepted - before;
      return { ...r, accepted };
    };
    progress('  Apprise, throttle 0 …');
    const fast = await appriseRun('0');
    results.appriseFast = fast.seconds;
    baseRows.push([
      'Apprise 1.2.0, throttle 0 (posts to known DM channels)',
      fast.accepted,
      fast.seconds.toFixed(2),
      Math.round(fast.accepted / fast.seconds),
    ]);
    if (!opts['skip-apprise-default']) {
      progress('  Apprise, default throttle (≈1.2 s per message) …');
      const slow = await appriseRun('default');
      results.appriseDefault = slow.seconds;
      baseRows.push([
        'Apprise 1.2.0, default throttle',
        slow.accepted,
        slow.seconds.toFixed(2),
        (slow.accepted / slow.seconds).toFixed(2),
      ]);
    }
    progress('');
    table(
      `Baselines: ${N} Slack DMs to distinct members, same fake (sent = accepted by the fake)`,
      ['sender', 'sent', 'seconds', 'per second'],
      baseRows,
    );

    const goals = [];
    // Renkei against the floor of the same repetition; over several, the median ratio (each
    // repetition's in brackets). Renkei's median time against Apprise's.
    const median = (xs) => percentile(xs, 50);
    const ratios = (xs, floors) => xs.map((x, i) => x / floors[i]).filter(Number.isFinite);
    const each = (rs) => (rs.length > 1 ? ` (${rs.map((r) => r.toFixed(2)).join(', ')})` : '');
    for (const [round, label] of [
      ['Cold', 'cold, both open + post'],
      ['Warm', 'warm, both post only'],
    ]) {
      const rs = ratios(results[`${round.toLowerCase()}${N}`] ?? [], results[`floor${round}`]);
      if (rs.length === 0) continue;
      goals.push([
        `1,000 DMs within 1.5 × the floor (${label})`,
        `${median(rs).toFixed(2)} ×${each(rs)}`,
        median(rs) <= 1.5 ? 'met' : 'missed',
      ]);
    }
    // What wrangler dev's local queue adds by itself: the bare worker's calls through its own
    // queue against the floor, and Renkei against those queued calls (not issue goals).
    for (const [round, label] of [
      ['Cold', 'cold'],
      ['Warm', 'warm'],
    ]) {
      const queued = results[`floor${round}Queued`];
      const rs = ratios(results[`${round.toLowerCase()}${N}`] ?? [], queued);
      if (rs.length === 0) continue;
      const own = ratios(queued, results[`floor${round}`]);
      goals.push([
        `The local queue by itself (${label}): bare worker through its queue, against the floor`,
        `${median(own).toFixed(2)} ×${each(own)}`,
        'measured',
      ]);
      goals.push([
        `Renkei (${label}) against the bare worker through the same local queue`,
        `${median(rs).toFixed(2)} ×${each(rs)}`,
        'measured',
      ]);
    }
    const cold = results[`cold${N}`] && median(results[`cold${N}`]);
    const warm = results[`warm${N}`] && median(results[`warm${N}`]);
    if (warm)
      goals.push([
        'Renkei (warm) at least as fast as Apprise, throttle 0 (same calls)',
        `${(results.appriseFast / warm).toFixed(2)} × Apprise's speed`,
        warm <= results.appriseFast ? 'met' : 'missed',
      ]);
    if (cold)
      goals.push([
        'Renkei (cold, twice the calls) at least as fast as Apprise, throttle 0',
        `${(results.appriseFast / cold).toFixed(2)} × Apprise's speed`,
        cold <= results.appriseFast ? 'met' : 'missed',
      ]);
    if (cold && results.appriseDefault)
      goals.push([
        'Renkei (cold) ≥ 50 × faster than Apprise, default throttle',
        `${(results.appriseDefault / cold).toFixed(0)} ×`,
        results.appriseDefault / cold >= 50 ? 'met' : 'missed',
      ]);
    table('Goals', ['goal', 'measured', 'verdict'], goals);
  }
  // ---- findBindings (bench/discovery.mjs) ----
  if (want('discovery')) await benchDiscovery(stack, gql);
} finally {
  stack.stop();
}
