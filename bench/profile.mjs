/**
 * Where the Worker's CPU goes during a fan-out: a V8 CPU profile of the Worker's isolate, taken
 * through `wrangler dev`'s inspector (Chrome DevTools Protocol, Profiler.start / stop) while one
 * event goes to N Slack members, cold then warm. Prints the top functions by self time and the
 * share of the wall time the isolate was busy at all; workerd's own CPU (bench/cpu.mjs) minus
 * that is what runs outside the isolate (local D1 simulation, the runtime's I/O).
 *
 *   npm run bench:profile                  # 1,000 members
 *   npm run bench:profile -- --members 500 --top 25
 *
 * A watchdog ends the run (and its process group) after 10 minutes.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freePort } from '../scripts/local-stack.mjs';
import { cpuDelta } from './cpu.mjs';
import {
  benchStack,
  emitEvent,
  progress,
  slackLimitsHigh,
  table,
  tenantWithMembers,
  untilTerminal,
} from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    top: { type: 'string', default: '20' },
  },
});
const n = Number(opts.members);

const inspectorPort = await freePort();
const { stack, gql, cpu, stop } = await benchStack({
  persistTo: '.wrangler/bench-profile',
  // Unminified, so the profile names the functions.
  extraArgs: ['--inspector-port', String(inspectorPort), '--minify=false'],
  watchdog: { label: 'profile', minutes: 10 },
});

/** A CDP session with the Worker's isolate (the first target the inspector lists). */
async function inspect() {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  // wrangler's inspector proxy accepts a local DevTools client (the `ws` package sends no Origin).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 512 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let next = 1;
  const waiting = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** Self time per function (name + file:line) from a CPU profile, and the busy share. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const self = new Map();
  let idle = 0;
  for (const [id, count] of hits) {
    const f = byId.get(id).callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') {
      idle += f.functionName === '(idle)' ? count : 0;
    }
    const file = f.url ? f.url.split('/').slice(-2).join('/') : '';
    const key = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + count);
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const rows = [...self].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]);
  return { rows, total, idle, wallMs };
}

try {
  await slackLimitsHigh(stack.fakes.slackApiBase);
  const t = await tenantWithMembers(stack, gql, n, { tag: 'prof' });
  const session = await inspect();
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  const summary = [];
  for (const round of ['cold', 'warm']) {
    await session.send('Profiler.start');
    const before = cpu.snapshot();
    const started = performance.now();
    const eventId = await emitEvent(gql, t, t.ids);
    await untilTerminal(gql, t, eventId, n, `profile ${round}`);
    const wall = performance.now() - started;
    const spent = cpuDelta(before, cpu.snapshot());
    const { profile } = (await session.send('Profiler.stop')).result;
    const s = summarize(profile);
    const busyShare = 1 - s.idle / s.total;
    summary.push([
      round,
      (wall / 1000).toFixed(2),
      `${Math.round((100 * spent.workerd) / wall)} %`,
      `${Math.round(100 * busyShare)} %`,
      ((busyShare * s.wallMs) / n).toFixed(2),
      (spent.workerd / n).toFixed(2),
    ]);
    progress('');
    table(
      `Top ${opts.top} functions by self time, ${round} (share of the isolate's busy samples)`,
      ['function', 'self %'],
      s.rows
        .slice(0, Number(opts.top))
        .map(([key, count]) => [
          key.replaceAll('|', '\\|'),
          ((100 * count) / (s.total - s.idle)).toFixed(1),
        ]),
    );
  }
  session.close();
  table(
    `Fan-out to ${n} Slack members: the Worker's isolate vs all of workerd`,
    [
      'run',
      'wall (s)',
      'workerd CPU (of one core)',
      'isolate busy (of the wall)',
      'isolate ms / delivery',
      'workerd ms / delivery',
    ],
    summary,
  );
} finally {
  stop();
}
