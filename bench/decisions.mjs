/**
 * Decisions for the bench and resilience scripts, driven the way a member makes them: an event
 * with decision buttons goes to the members' Slack DMs, and each member clicks APPROVE through
 * the Slack fake's `POST /__fake/interaction`, which builds, signs (the tenant's signing secret)
 * and sends the block_actions payload to `POST /slack/interactivity/{tenant}` as Slack would.
 * Renkei records the decision and forwards it to the fake WORKPLACE.
 */
import { control, emitEvent, pool, tenantWithMembers, untilTerminal } from './lib.mjs';

export const BENCH_SLACK_SIGNING_SECRET = 'bench-slack-signing-secret-0123456789';

/**
 * A tenant of `n` members bound to Slack (tenantWithMembers) whose Slack integration also has
 * a signing secret, so that signed clicks are accepted. `slackUser(i)` is member i's Slack id.
 */
export async function decisionTenant(stack, gql, n, tag) {
  const t = await tenantWithMembers(stack, gql, n, { tag, slack: true });
  const { configureSlack: out } = await gql(
    t.admin,
    'mutation ($s: String) { configureSlack(input: { enabled: true, signingSecret: $s }) { errors { message } } }',
    { s: BENCH_SLACK_SIGNING_SECRET },
  );
  if (out.errors.length) throw new Error(JSON.stringify(out.errors));
  const { verifyIntegration } = await gql(
    t.admin,
    'mutation { verifyIntegration(kind: SLACK) { ok } }',
  );
  if (!verifyIntegration.ok) throw new Error('verifyIntegration(SLACK) failed');
  const userOf = new Map(
    t.ids.map((id, i) => [`U${tag.toUpperCase()}${String(i).padStart(6, '0')}`, id]),
  );
  return { ...t, tag, userOf };
}

/**
 * Emits events with APPROVE / REJECT / RETURN to all members (1,000 recipients per event),
 * waits until every delivery is SENT, and returns the APPROVE button of each member's message:
 * Map(WORKPLACE userId → { user, team, channel, ts, actionId, value }).
 */
export async function sendDecisionRequests(stack, gql, t, label = '') {
  const events = [];
  for (let i = 0; i < t.ids.length; i += 1000) {
    const recipients = t.ids.slice(i, i + 1000);
    const id = await emitEvent(gql, t, recipients, {
      actions: ['APPROVE', 'REJECT', 'RETURN'],
    });
    events.push([id, recipients.length]);
  }
  for (const [id, total] of events) {
    const s = await untilTerminal(gql, t, id, total, label);
    if (s.sent !== total) throw new Error(`event ${id}: ${s.sent}/${total} deliveries SENT`);
  }
  const state = await control(stack.fakes.slackApiBase, '/__fake/state');
  const buttons = new Map();
  for (const [key, m] of Object.entries(state.messages)) {
    const [channel, ts] = key.split(':');
    const who = state.channels[channel];
    const userId = who && t.userOf.get(who.user);
    if (!userId || buttons.has(userId)) continue;
    const approve = (m.blocks ?? [])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id?.startsWith('decision_') && e.value?.split('.')[2] === 'A');
    if (!approve) continue;
    buttons.set(userId, {
      user: who.user,
      team: who.team_id,
      channel,
      ts,
      actionId: approve.action_id,
      value: approve.value,
    });
  }
  if (buttons.size !== t.ids.length)
    throw new Error(`only ${buttons.size}/${t.ids.length} members got a message with buttons`);
  return buttons;
}

/** One signed APPROVE click on `button`, through the Slack fake; returns Renkei's HTTP status. */
export async function click(stack, t, button) {
  const res = await fetch(
    new URL('/__fake/interaction', new URL(stack.fakes.slackApiBase).origin),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        signingSecret: BENCH_SLACK_SIGNING_SECRET,
        url: `${stack.base}/slack/interactivity/${encodeURIComponent(t.tenant)}`,
        user: button.user,
        team: button.team,
        click: {
          actionId: button.actionId,
          value: button.value,
          channel: button.channel,
          ts: button.ts,
        },
      }),
    },
  );
  if (!res.ok) throw new Error(`/__fake/interaction: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()).status;
}

/**
 * Clicks every button (concurrency `concurrency`); `clickedAt` gets the time just before each
 * click request (ms since the epoch, by userId). Returns the HTTP statuses Renkei answered.
 */
export async function clickAll(stack, t, buttons, { concurrency = 16, clickedAt, onProgress }) {
  const statuses = {};
  let done = 0;
  await pool([...buttons.entries()], concurrency, async ([userId, button]) => {
    if (clickedAt && !clickedAt.has(userId)) clickedAt.set(userId, Date.now());
    const status = await click(stack, t, button);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (onProgress && ++done % 50 === 0) onProgress(done);
  });
  return statuses;
}

/** Runs the Worker's cron once (wrangler dev runs none on its own). */
export async function runCron(stack) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${stack.base}/cdn-cgi/local/scheduled`);
      await res.text();
      return;
    } catch (err) {
      // wrangler dev may drop the first connection after a D1 write from another process.
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The tenant's decisions by status. */
export async function decisionCounts(gql, t) {
  const out = {};
  for (const s of ['PENDING', 'ACCEPTED', 'REFUSED', 'FAILED']) {
    const { decisions } = await gql(
      t.admin,
      'query ($s: DecisionStatus) { decisions(first: 1, filter: { status: $s }) { totalCount } }',
      { s },
    );
    out[s] = decisions.totalCount;
  }
  return out;
}

/** What the fake WORKPLACE holds for `tenant`: webhook-id → { receivedAt, deliveries }. */
export async function receivedAtWorkplace(stack, tenant) {
  const state = await control(stack.fakes.workplaceWebhookUrl, '/__fake/state');
  const mine = {};
  for (const [id, r] of Object.entries(state.received)) {
    if (r.payload?.data?.tenant === tenant) mine[id] = r;
  }
  return mine;
}
