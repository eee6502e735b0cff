/**
 * Decisions for the bench and resilience scripts: rows recorded straight into the local D1 of
 * the running `wrangler dev` (the state a click leaves: one PENDING decision per member), then
 * the cron sweeper puts them on the queue and the consumer forwards them to the fake WORKPLACE.
 * (With the chat endpoints merged, a signed click can replace `recordDecisions`.)
 */
import { spawnSync } from 'node:child_process';
import { d1Databases } from '../scripts/local-stack.mjs';
import { control } from './lib.mjs';

function d1(persistTo, database, command) {
  const r = spawnSync(
    'npx',
    [
      'wrangler',
      'd1',
      'execute',
      database,
      '--local',
      '--persist-to',
      persistTo,
      '--json',
      '--command',
      command,
    ],
    { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`wrangler d1 execute failed: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout)[0]?.results ?? [];
}

const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** The event row id behind a WorkflowEvent global id. */
export function eventRowId(globalId) {
  return Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
}

/**
 * One PENDING decision per member of `t` (those in `userIds`, or all) on `eventId`, written with
 * `next_attempt_at` an hour back so the next cron run picks them up. Returns how many.
 */
export function recordDecisions(persistTo, t, eventId, { userIds = null } = {}) {
  const [home] = d1(
    persistTo,
    d1Databases()[0],
    `select shard from tenant_directory where tenant_id = ${quote(t.tenant)}`,
  );
  if (!home) throw new Error(`tenant ${t.tenant} is not in the directory`);
  const database = d1Databases()[home.shard];
  const past = new Date(Date.now() - 3600_000).toISOString();
  const who = userIds ? ` and user_id in (${userIds.map(quote).join(',')})` : '';
  d1(
    persistTo,
    database,
    `insert into decisions (id, tenant_id, event_id, user_row_id, action, channel, status, attempts,
      attempts_at_retry, next_attempt_at, decided_at, updated_at)
     select lower(hex(randomblob(16))), tenant_id, ${quote(eventRowId(eventId))}, id, 'APPROVE', 'SLACK',
       'PENDING', 0, 0, ${quote(past)}, ${quote(past)}, ${quote(past)}
     from users where tenant_id = ${quote(t.tenant)}${who}
     on conflict do nothing`,
  );
  const [n] = d1(
    persistTo,
    database,
    `select count(*) as n from decisions where tenant_id = ${quote(t.tenant)}`,
  );
  return n.n;
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
