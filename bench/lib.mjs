/**
 * Shared pieces of the benchmark and resilience scripts: the stack, tenants, polling, stats,
 * tables.
 */
import { graphqlClient, mintToken } from '../scripts/local-client.mjs';
import { freePort, startStack } from '../scripts/local-stack.mjs';
import { cpuMeter } from './cpu.mjs';

/**
 * A benchmark's own stack, started fresh: the provider fakes and `wrangler dev` on free ports
 * (other stacks may be running on this machine), its output captured (for `partsSince`), with
 * a GraphQL client and a CPU meter over its processes (bench/cpu.mjs). `watchdog`
 * (`{ label, minutes }`): a run that hangs past it stops the stack and exits 2. `stop()` ends
 * the watchdog and the stack.
 */
export async function benchStack({ persistTo, quiet = true, vars, extraArgs, watchdog }) {
  let stack;
  const timer =
    watchdog &&
    setTimeout(() => {
      process.stderr.write(
        `\n${watchdog.label}: watchdog fired after ${watchdog.minutes} minutes\n`,
      );
      stack?.stop();
      process.exit(2);
    }, watchdog.minutes * 60_000);
  timer?.unref();
  stack = await startStack({
    port: await freePort(),
    persistTo,
    fresh: true,
    quiet,
    capture: true,
    vars,
    extraArgs,
  });
  return {
    stack,
    gql: graphqlClient(stack.base),
    cpu: cpuMeter({ wranglerPgid: stack.wrangler.pid, fakesPid: stack.fakesPid }),
    stop() {
      clearTimeout(timer);
      stack.stop();
    },
  };
}

/** The consumer's `queue part` lines written since `offset` of the stack's captured output. */
export function partsSince(stack, offset) {
  return stack
    .output()
    .slice(offset)
    .split('\n')
    .filter((line) => line.includes('"msg":"queue part"'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))));
}

let lastLogged = 0;

/**
 * A progress line: rewritten in place on a terminal; in a log (CI) one line every 20 s at most,
 * so the tables printed after it stay in view in the log's tail.
 */
export function progress(text) {
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[2K${text}`);
    return;
  }
  if (text === '' || Date.now() - lastLogged < 20_000) return;
  lastLogged = Date.now();
  process.stderr.write(`${text}\n`);
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Prints a markdown table. */
export function table(title, header, rows) {
  const out = [
    `\n### ${title}\n`,
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  console.log(out.join('\n'));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

export async function control(base, path, body) {
  const res = await fetch(new URL(path, new URL(base).origin), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Slack's workspace limits set out of the way (calls per minute), for scenarios that do not
 * measure them: the same numbers go into the fake (`slackFakeLimits`) and into Renkei
 * (configureSlack `messagesPerMinute` / `tier3PerMinute`, the most it accepts). The 1 message
 * per second per DM channel stays. They are high enough that pacing never binds before the Worker
 * does: at 100,000 a minute posts would be spaced 0.62 ms apart, slower than the bare worker's
 * floor (≈ 0.37 ms a post here), and the fan-out would measure the limit instead of Renkei.
 */
export const SLACK_HIGH_LIMITS = { messagesPerMinute: 1_000_000, tier3PerMinute: 1_000_000 };

/**
 * Slack's limits out of the way in the fake, for scenarios that do not measure them: the
 * workspace at SLACK_HIGH_LIMITS, and no per-channel check either (the baselines post to the
 * same DM channels twice within a second).
 */
export async function slackLimitsHigh(base) {
  await slackFakeLimits(base, SLACK_HIGH_LIMITS);
  await control(base, '/__fake/state', { rateLimit: null });
}

/** The fake Slack workspace every bench tenant's token belongs to (test/fakes demoSeed). */
export const BENCH_SLACK_TEAM = 'T0DEMO';

/**
 * Sets the fake's limits for the bench workspace: `perMinute` counts over a window of
 * `windowMs` (60,000: Slack's minute; shorter scales the limits in time).
 */
export async function slackFakeLimits(
  base,
  { messagesPerMinute, tier3PerMinute, windowMs = 60_000 },
) {
  const tier3 = ['conversations.open', 'chat.update', 'users.lookupByEmail'];
  await control(base, '/__fake/state', {
    teamLimits: {
      [BENCH_SLACK_TEAM]: {
        windowMs,
        messagesPerMinute,
        methods: Object.fromEntries(tier3.map((m) => [m, tier3PerMinute])),
      },
    },
  });
}

/**
 * A fresh tenant with `n` members bound to Slack (member ids U<tag><i>) and, when asked, to
 * Google Chat (a space each), rules on for APPROVAL_REQUESTED on those channels. Slack gets
 * `slackLimits` (default SLACK_HIGH_LIMITS) as its configureSlack pacing settings.
 */
export async function tenantWithMembers(
  stack,
  gql,
  n,
  { tag, slack = true, googleChat = false, slackLimits = SLACK_HIGH_LIMITS },
) {
  const tenant = `bench-${tag}-${Date.now()}`;
  const secret = stack.devVars.AUTH_JWT_SECRET;
  const admin = await mintToken({ secret, role: 'admin', sub: 'bench-admin', tenant });
  const service = await mintToken({ secret, role: 'service', sub: 'bench', tenant });
  const ids = Array.from({ length: n }, (_, i) => `${tag}${i}`);
  for (let i = 0; i < n; i += 1000) {
    await gql(
      service,
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
      {
        u: ids.slice(i, i + 1000).map((userId) => ({ userId })),
      },
    );
  }
  const rules = [];
  if (slack) {
    const { configureSlack: out } = await gql(
      admin,
      `mutation ($m: Int, $t: Int) { configureSlack(input: { enabled: true, botToken: "xoxb-demo-renkei",
        messagesPerMinute: $m, tier3PerMinute: $t }) { errors { message } } }`,
      { m: slackLimits.messagesPerMinute, t: slackLimits.tier3PerMinute },
    );
    if (out.errors.length) throw new Error(JSON.stringify(out.errors));
    // RateGate keys Slack's limits by the workspace's team id, which verify reads.
    await gql(admin, 'mutation { verifyIntegration(kind: SLACK) { ok } }');
    rules.push('{ type: APPROVAL_REQUESTED, channel: SLACK, enabled: true }');
  }
  if (googleChat) {
    await gql(
      admin,
      'mutation { configureGoogleChat(input: { enabled: true }) { errors { message } } }',
    );
    rules.push('{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }');
  }
  await gql(
    admin,
    `mutation { setNotificationRules(rules: [${rules.join(',')}]) { errors { message } } }`,
  );
  let bound = 0;
  await pool(ids, 32, async (userId, i) => {
    const t = await mintToken({ secret, role: 'user', sub: userId, tenant });
    const input = {};
    if (slack) input.slackMemberId = `U${tag.toUpperCase()}${String(i).padStart(6, '0')}`;
    if (googleChat) {
      input.googleChatWebhookUrl = `${stack.fakes.googleChatOrigin}/v1/spaces/S${tag}${i}/messages?key=k&token=t`;
    }
    await gql(
      t,
      'mutation ($i: UpdateMyBindingsInput!) { updateMyBindings(input: $i) { errors { message } } }',
      { i: input },
    );
    if (++bound % 100 === 0) progress(`  binding members ${bound}/${n}`);
  });
  return { tenant, admin, service, ids };
}

let keySeq = 0;

/**
 * Emits one APPROVAL_REQUESTED event to `recipients` (with decision buttons when `actions` is
 * given); returns the event id.
 */
export async function emitEvent(gql, t, recipients, { actions = null } = {}) {
  const { emitWorkflowEvent: out } = await gql(
    t.service,
    `mutation ($k: String!, $r: [String!]!, $a: [DecisionAction!]) { emitWorkflowEvent(input: { idempotencyKey: $k, type: APPROVAL_REQUESTED,
      documentId: "B-1", title: "Bench", url: "https://workplace.example/b/1", recipients: $r, actions: $a }) { event { id } errors { message } } }`,
    { k: `bench-${Date.now()}-${keySeq++}`, r: recipients, a: actions },
  );
  if (out.errors.length) throw new Error(JSON.stringify(out.errors));
  return out.event.id;
}

/**
 * Polls an event every `everyMs` until every delivery is SENT, FAILED or SKIPPED; returns the
 * summary. `firstAfterMs` delays the first poll (a poll is a GraphQL request on the thread the
 * work it watches runs on).
 */
export async function untilTerminal(
  gql,
  t,
  eventId,
  total,
  label = '',
  { everyMs = 100, firstAfterMs = 0 } = {},
) {
  if (firstAfterMs > 0) await new Promise((r) => setTimeout(r, firstAfterMs));
  for (;;) {
    const { workflowEvent } = await gql(
      t.admin,
      'query ($id: ID!) { workflowEvent(id: $id) { summary { queued sending retrying sent failed skipped } } }',
      { id: eventId },
    );
    const s = workflowEvent.summary;
    progress(
      `  ${label} sent ${s.sent} failed ${s.failed} retrying ${s.retrying} queued ${s.queued}`,
    );
    if (s.sent + s.failed + s.skipped >= total) return s;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * When the event's last delivery outcome was recorded (ms since epoch, by Renkei's clock on this
 * machine): the latest `updatedAt` of its deliveries. Unlike the moment a poll notices, it carries
 * no polling granularity.
 */
export async function lastRecordedAt(gql, t, eventId) {
  let after = null;
  let last = 0;
  for (;;) {
    const { deliveries } = await gql(
      t.admin,
      `query ($e: ID!, $a: String) { deliveries(first: 100, after: $a, filter: { eventId: $e }) {
        edges { node { updatedAt } } pageInfo { hasNextPage endCursor } } }`,
      { e: eventId, a: after },
    );
    for (const { node } of deliveries.edges) last = Math.max(last, Date.parse(node.updatedAt));
    if (!deliveries.pageInfo.hasNextPage) return last;
    after = deliveries.pageInfo.endCursor;
  }
}

/** How many of the tenant's deliveries match `channel` (or any) and `status`. */
export async function countDeliveries(gql, t, status, channel = null) {
  const { deliveries } = await gql(
    t.admin,
    'query ($c: Channel, $s: DeliveryStatus) { deliveries(first: 1, filter: { channel: $c, status: $s }) { totalCount } }',
    { c: channel, s: status },
  );
  return deliveries.totalCount;
}

/** Deliveries of the tenant (on `channel`, or all) not yet SENT, FAILED or SKIPPED. */
export async function openDeliveries(gql, t, channel = null) {
  let open = 0;
  for (const s of ['QUEUED', 'SENDING', 'RETRYING'])
    open += await countDeliveries(gql, t, s, channel);
  return open;
}

/** Waits until every delivery of the tenant is terminal, so the next scenario runs on a quiet system. */
export async function drain(gql, t, label) {
  const started = performance.now();
  for (;;) {
    const open = await openDeliveries(gql, t);
    progress(
      `  ${label}: ${open} deliveries still open (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    if (open === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
