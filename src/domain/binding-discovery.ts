/**
 * findBindings (issue 15): finds members' Slack and LINE WORKS accounts by their email and
 * proposes each match as a BindingSuggestion. A run is a row in `binding_discoveries` and a chain
 * of queue messages, one per step; each step claims the run (lease), makes the provider calls it
 * can within a time budget, each on its RateGate slot, and commits the suggestions and the new
 * cursor and counters in one batch that only lands while the run is still on that step. So a
 * lost or repeated message neither duplicates nor loses work, and the cron sweep
 * (binding-discovery-sweep.ts) resumes a run whose chain broke from its stored cursor.
 *
 * Strategy (chooseStrategy): one lookup per member (Slack `users.lookupByEmail` at Tier 3, LINE
 * WORKS `GET /users/{email}`) or paging the whole directory (Slack `users.list` at Tier 2, 200 a
 * page; LINE WORKS `GET /users`, 100 a page), whichever takes fewer minutes at the provider's
 * limits, with the tenant's member count as the estimate of the directory's size.
 *
 * LINE WORKS and the default id: a member without an explicit `lineWorksUserId` is sent to with
 * their WORKPLACE user id; such members are the ones searched. When the account found is the one
 * that default already reaches (its resource id or login id equals the WORKPLACE user id), the
 * member counts as found but gets no suggestion: confirming would change nothing.
 */
import {
  getLineWorksUser,
  isProposableLineWorksUser,
  type LineWorksDirectoryFailure,
  lineWorksUserName,
  listLineWorksUsers,
} from '../adapters/line-works/index.ts';
import {
  isProposableSlackMember,
  type SlackDirectoryFailure,
  slackListUsers,
  slackLookupByEmail,
  slackMemberName,
} from '../adapters/slack/index.ts';
import type { Channel } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import {
  DIRECTORY_PAGE_SIZE,
  type DiscoveryChannel,
  type DiscoveryRow,
  type DiscoveryStrategy,
  readDiscovery,
  runningDiscovery,
} from './binding-discovery-store.ts';
import { slackMethodKey } from './channels/slack.ts';
import { InputError } from './errors.ts';
import { newId } from './ids.ts';
import { type IntegrationCredentials, loadCredentials } from './integrations.ts';
import {
  type Gate,
  lineWorksPace,
  lineWorksPerMinute,
  type PaceStep,
  slackMethodPerMinute,
  slackPerMinutePace,
} from './limits.ts';
import { createLogger } from './log.ts';
import type { DiscoveryMessage, QueueMessage } from './queue-messages.ts';
import { lineWorksAppCredentials, type TokenSource } from './tokens.ts';
import { SLACK_MEMBER_ID } from './users.ts';

export type { DiscoveryChannel, DiscoveryRow } from './binding-discovery-store.ts';

/** The part of `Env` a discovery step reads. */
export type DiscoveryEnv = Pick<Env, 'SECRETS_KEY' | 'SLACK_API_BASE' | 'LINE_WORKS_API_BASE'>;

export interface DiscoveryDeps {
  db: Db;
  env: DiscoveryEnv;
  gate: Gate;
  tokens: TokenSource;
  queue: Queue<QueueMessage>;
  timeoutMs: number;
}

/** What the consumer does with a message (the same shape as the dispatcher's verdicts). */
export type DiscoveryVerdict = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

/** A step stops making calls after this long, commits, and leaves the rest to the next step. */
export const STEP_BUDGET_MS = 8_000;
/** Members a LOOKUP step reads (and at most looks up). */
export const LOOKUP_CHUNK = 50;
/** Pages a DIRECTORY step reads at most. */
const PAGES_PER_STEP = 2;
/** A slot further away than this is waited for on the queue, not in the consumer. */
const MAX_INLINE_WAIT_MS = 5_000;
/** How long a step holds its claim: the budget plus a provider call's timeout, with room. */
const LEASE_MS = 60_000;
/** Transient failures in a row before the run gives up. */
const MAX_ATTEMPTS = 6;
/** Longest wait put on the queue (under the sweep's stuck threshold, so it never doubles). */
const MAX_DEFER_S = 240;
/** Without a Retry-After on a 429: hold the method this long. */
const DEFAULT_HOLD_S = 30;

const DISCOVERY_CHANNELS: readonly Channel[] = ['SLACK', 'LINE_WORKS'];

const log = createLogger({ component: 'binding-discovery' });

/**
 * Which strategy takes fewer minutes at the provider's limits: `candidates` lookups at
 * `lookupPerMinute`, or the directory's pages (`directoryEstimate` accounts, `pageSize` a page)
 * at `listPerMinute`. Ties go to lookups (they read nothing but the members asked for).
 */
export function chooseStrategy(input: {
  candidates: number;
  directoryEstimate: number;
  pageSize: number;
  lookupPerMinute: number;
  listPerMinute: number;
}): DiscoveryStrategy {
  const lookupMinutes = input.candidates / input.lookupPerMinute;
  const pages = Math.max(1, Math.ceil(input.directoryEstimate / input.pageSize));
  const directoryMinutes = pages / input.listPerMinute;
  return directoryMinutes < lookupMinutes ? 'DIRECTORY' : 'LOOKUP';
}

/** Calls per minute of the lookup and the list API for this tenant's integration. */
export function directoryRates(channel: DiscoveryChannel, settings: Record<string, unknown>) {
  if (channel === 'SLACK') {
    return {
      lookupPerMinute: slackMethodPerMinute('users.lookupByEmail', settings),
      listPerMinute: slackMethodPerMinute('users.list', settings),
    };
  }
  const perMinute = lineWorksPerMinute(settings);
  return { lookupPerMinute: perMinute, listPerMinute: perMinute };
}

const bindingColumn = (channel: DiscoveryChannel) =>
  channel === 'SLACK' ? 'slack_member_id' : 'line_works_user_id';

/** Members with an email and no binding on `channel`, and all members (the size estimate). */
async function countCandidates(db: Db, tenantId: string, channel: DiscoveryChannel) {
  const row = await db.$client
    .prepare(
      `select count(*) as members,
        sum(case when email is not null and email != '' and ${bindingColumn(channel)} is null
          then 1 else 0 end) as candidates
       from users where tenant_id = ?`,
    )
    .bind(tenantId)
    .first<{ members: number; candidates: number | null }>();
  return { members: row?.members ?? 0, candidates: row?.candidates ?? 0 };
}

/** Why the tenant's integration cannot be searched, or null. */
function integrationProblem(
  channel: DiscoveryChannel,
  creds: IntegrationCredentials | null,
): string | null {
  const name = channel === 'SLACK' ? 'Slack' : 'LINE WORKS';
  if (!creds) return `${name} is not configured yet`;
  if (!creds.enabled) return `${name} is turned off`;
  if (channel === 'SLACK') return creds.secrets.botToken ? null : 'Enter the Slack bot token first';
  if (!lineWorksAppCredentials(creds.settings, creds.secrets)) {
    return 'Enter the LINE WORKS Client ID, secret, service account and key first';
  }
  return typeof creds.settings.domainId === 'string' && creds.settings.domainId
    ? null
    : 'Enter the LINE WORKS Domain ID first';
}

/**
 * Starts a run for `channel`, or answers the one already running for it (never two at once).
 * A run with no member to search is DONE at once.
 */
export async function startDiscovery(
  deps: Pick<DiscoveryDeps, 'db' | 'env' | 'queue'>,
  principal: Principal,
  channel: Channel,
): Promise<DiscoveryRow> {
  const { db } = deps;
  const tenantId = principal.tenantId;
  if (!DISCOVERY_CHANNELS.includes(channel)) {
    throw new InputError([
      {
        code: 'UNSUPPORTED',
        message: 'findBindings searches SLACK and LINE_WORKS only',
        field: ['channel'],
      },
    ]);
  }
  const ch = channel as DiscoveryChannel;
  const running = await runningDiscovery(db, tenantId, ch);
  if (running) return resumeIfStalled(deps, running);
  const creds = await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, ch);
  const problem = integrationProblem(ch, creds);
  if (problem || !creds) {
    throw new InputError([{ code: 'NOT_CONFIGURED', message: problem ?? '', field: ['channel'] }]);
  }
  const { members, candidates } = await countCandidates(db, tenantId, ch);
  const strategy = chooseStrategy({
    candidates,
    directoryEstimate: members,
    pageSize: DIRECTORY_PAGE_SIZE[ch],
    ...directoryRates(ch, creds.settings),
  });
  const now = new Date().toISOString();
  const id = newId();
  const empty = candidates === 0;
  const inserted = await db.$client
    .prepare(
      `insert into binding_discoveries (id, tenant_id, channel, status, strategy, total, started_by,
        started_at, finished_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict do nothing returning id`,
    )
    .bind(
      id,
      tenantId,
      ch,
      empty ? 'DONE' : 'RUNNING',
      strategy,
      candidates,
      principal.subject,
      now,
      empty ? now : null,
      now,
    )
    .first<{ id: string }>();
  if (!inserted) {
    // Another call started one a moment ago: that is the run.
    const other = await runningDiscovery(db, tenantId, ch);
    if (other) return other;
    throw new Error('discovery run neither inserted nor running');
  }
  await auditStatement(db, {
    tenantId,
    actor: principal.subject,
    action: 'binding.discovery.start',
    target: ch,
    detail: { discoveryId: id, strategy, total: candidates },
  });
  if (!empty) {
    const message: DiscoveryMessage = { kind: 'discovery', tenantId, discoveryId: id, step: 0 };
    await deps.queue.send(message);
  }
  const row = await readDiscovery(db, tenantId, id);
  if (!row) throw new Error('discovery run vanished after insert');
  return row;
}

/** A run with no step claimed and no progress for this long is resumed by findBindings. */
const STALLED_MS = 2 * LEASE_MS;

/**
 * findBindings called while a run is going: a run that made no progress for STALLED_MS and whose
 * lease ran out (its consumer died, its message was lost) gets a message for its current step
 * right away rather than at the next cron sweep. A duplicate message is harmless: the step is
 * claimed once and the other message finds the run on a later step.
 */
async function resumeIfStalled(
  deps: Pick<DiscoveryDeps, 'db' | 'queue'>,
  run: DiscoveryRow,
): Promise<DiscoveryRow> {
  const now = Date.now();
  const stalled =
    Date.parse(run.updatedAt) < now - STALLED_MS &&
    (run.leaseUntil === null || Date.parse(run.leaseUntil) < now);
  if (!stalled) return run;
  const touched = await deps.db.$client
    .prepare(
      `update binding_discoveries set updated_at = ? where tenant_id = ? and id = ? and step = ?
         and status = 'RUNNING' and updated_at = ? returning id`,
    )
    .bind(new Date(now).toISOString(), run.tenantId, run.id, run.step, run.updatedAt)
    .first<{ id: string }>();
  if (touched) {
    const message: DiscoveryMessage = {
      kind: 'discovery',
      tenantId: run.tenantId,
      discoveryId: run.id,
      step: run.step,
    };
    await deps.queue.send(message);
  }
  return run;
}

/** A suggestion a step found, written when the step commits. */
interface Found {
  userRowId: string;
  externalId: string;
  externalName: string | null;
}

/** What one step did: counters to add, where to go on, and how the run continues. */
interface StepOutcome {
  checked: number;
  found: number;
  notFound: number;
  suggestions: Found[];
  cursor: string | null;
  /** The whole directory or every member was searched. */
  done: boolean;
  /** The run cannot go on (admin words: a missing scope, a revoked token). */
  error?: string;
  /** A transient failure: the step counts an attempt and the next one waits `deferSeconds`. */
  transient?: string;
  /** The next step waits this long on the queue (a far slot, a 429's Retry-After). */
  deferSeconds?: number;
}

/** Runs one step per message; each message's verdict by message id. */
export async function runDiscoverySteps(
  deps: DiscoveryDeps,
  jobs: readonly { id: string; body: DiscoveryMessage }[],
): Promise<Map<string, DiscoveryVerdict>> {
  const out = new Map<string, DiscoveryVerdict>();
  await Promise.all(
    jobs.map(async (job) => {
      out.set(job.id, await runDiscoveryStep(deps, job.body));
    }),
  );
  return out;
}

/** One step of a run: claim, search, commit, enqueue the next step. */
export async function runDiscoveryStep(
  deps: DiscoveryDeps,
  message: DiscoveryMessage,
): Promise<DiscoveryVerdict> {
  const { db } = deps;
  const run = await claim(db, message);
  // Stale (another step ran meanwhile), finished, or claimed by a live consumer: nothing to do.
  if (!run) return { action: 'ack' };
  const creds = await loadCredentials(db, deps.env.SECRETS_KEY, run.tenantId, run.channel);
  const problem = integrationProblem(run.channel, creds);
  let outcome: StepOutcome;
  if (problem || !creds) {
    outcome = { ...nothing(run), error: problem ?? 'integration missing' };
  } else {
    try {
      outcome = await search(deps, run, creds);
    } catch (err) {
      // Let the lease go so the retried message (or the sweep) can claim the step again.
      await release(db, run);
      throw err;
    }
  }
  const next = await commit(db, run, outcome);
  if (next) {
    const body: DiscoveryMessage = {
      kind: 'discovery',
      tenantId: run.tenantId,
      discoveryId: run.id,
      step: run.step + 1,
    };
    const delaySeconds = Math.min(MAX_DEFER_S, Math.max(0, Math.ceil(next.deferSeconds)));
    await deps.queue.send(body, delaySeconds > 0 ? { delaySeconds } : undefined);
  }
  return { action: 'ack' };
}

const nothing = (run: DiscoveryRow): StepOutcome => ({
  checked: 0,
  found: 0,
  notFound: 0,
  suggestions: [],
  cursor: run.cursor,
  done: false,
});

async function claim(db: Db, m: DiscoveryMessage): Promise<DiscoveryRow | null> {
  const now = Date.now();
  const row = await db.$client
    .prepare(
      `update binding_discoveries set lease_until = ?
       where tenant_id = ? and id = ? and status = 'RUNNING' and step = ?
         and (lease_until is null or lease_until < ?)
       returning id`,
    )
    .bind(
      new Date(now + LEASE_MS).toISOString(),
      m.tenantId,
      m.discoveryId,
      m.step,
      new Date(now).toISOString(),
    )
    .first<{ id: string }>();
  if (!row) return null;
  // Read after the claim: the run may have moved on meanwhile; then this message is stale.
  const run = await readDiscovery(db, m.tenantId, m.discoveryId);
  return run && run.step === m.step && run.status === 'RUNNING' ? run : null;
}

async function release(db: Db, run: DiscoveryRow) {
  await db.$client
    .prepare(
      'update binding_discoveries set lease_until = null where tenant_id = ? and id = ? and step = ?',
    )
    .bind(run.tenantId, run.id, run.step)
    .run();
}

/**
 * Writes the step's suggestions and progress in one batch, both only while the run is still on
 * this step. Answers how long the next step waits, or null when the run ended (or moved on).
 */
async function commit(
  db: Db,
  run: DiscoveryRow,
  o: StepOutcome,
): Promise<{ deferSeconds: number } | null> {
  const now = new Date().toISOString();
  const attempts = o.transient ? run.attempts + 1 : 0;
  const gaveUp = o.transient !== undefined && attempts >= MAX_ATTEMPTS;
  const error = o.error ?? (gaveUp ? `gave up after ${attempts} failures: ${o.transient}` : null);
  const status = error ? 'FAILED' : o.done ? 'DONE' : 'RUNNING';
  let checked = run.checked + o.checked;
  let found = run.found + o.found;
  let notFound = run.notFound + o.notFound;
  if (o.done && run.strategy === 'DIRECTORY') {
    // The whole directory was read: every member not matched was not found.
    found = Math.min(found, run.total);
    checked = run.total;
    notFound = run.total - found;
  }
  const rows = o.suggestions.map((s) => ({
    id: newId(),
    u: s.userRowId,
    x: s.externalId,
    n: s.externalName,
  }));
  const statements: D1PreparedStatement[] = [];
  if (rows.length > 0) {
    statements.push(
      db.$client
        .prepare(
          `insert into binding_suggestions (id, tenant_id, user_row_id, channel, external_id,
            external_name, status, discovery_id, created_at, updated_at)
           select json_extract(value, '$.id'), ?1, json_extract(value, '$.u'), ?2,
             json_extract(value, '$.x'), json_extract(value, '$.n'), 'PROPOSED', ?3, ?4, ?4
           from json_each(?5)
           where exists (select 1 from binding_discoveries
             where tenant_id = ?1 and id = ?3 and step = ?6 and status = 'RUNNING')
           on conflict do nothing`,
        )
        .bind(run.tenantId, run.channel, run.id, now, JSON.stringify(rows), run.step),
    );
  }
  statements.push(
    db.$client
      .prepare(
        `update binding_discoveries set step = step + 1, status = ?, checked = ?, found = ?,
          not_found = ?, cursor = ?, attempts = ?, error = ?, lease_until = null, updated_at = ?,
          finished_at = ?
         where tenant_id = ? and id = ? and step = ? and status = 'RUNNING'`,
      )
      .bind(
        status,
        checked,
        found,
        notFound,
        o.cursor,
        attempts,
        error,
        now,
        status === 'RUNNING' ? null : now,
        run.tenantId,
        run.id,
        run.step,
      ),
  );
  const results = await db.$client.batch(statements);
  const updated = results.at(-1)?.meta.changes ?? 0;
  if (updated === 0 || status !== 'RUNNING') {
    if (status === 'FAILED' && updated > 0) {
      log.warn('binding discovery failed', { tenantId: run.tenantId, id: run.id, error });
    }
    return null;
  }
  const backoff = o.transient ? Math.min(MAX_DEFER_S, 5 * 2 ** (attempts - 1)) : 0;
  return { deferSeconds: Math.max(o.deferSeconds ?? 0, backoff) };
}

const sleepUntil = (at: number) => {
  const wait = at - Date.now();
  return wait > 0 ? new Promise<void>((r) => setTimeout(r, wait)) : Promise.resolve();
};

/** One paced provider API: its RateGate key and limit, and how a 429 holds it. */
interface Paced {
  channel: DiscoveryChannel;
  step: PaceStep;
}

function pacedApi(
  channel: DiscoveryChannel,
  settings: Record<string, unknown>,
  api: 'lookup' | 'list',
): Paced {
  if (channel === 'SLACK') {
    const method = api === 'lookup' ? 'users.lookupByEmail' : 'users.list';
    const perMinute = slackMethodPerMinute(method, settings);
    return {
      channel,
      step: {
        label: `Slack ${method} (${perMinute}/min per workspace)`,
        key: slackMethodKey(settings, method),
        limit: slackPerMinutePace(perMinute),
      },
    };
  }
  const perMinute = lineWorksPerMinute(settings);
  const key = api === 'lookup' ? 'GET /users/{userId}' : 'GET /users';
  return {
    channel,
    step: {
      label: `LINE WORKS ${key} (${perMinute}/min)`,
      key,
      limit: lineWorksPace(perMinute),
    },
  };
}

/**
 * The next slot on `api`: waited for here when it is near (true), or how many seconds the next
 * step must wait on the queue.
 */
async function takeSlot(
  deps: DiscoveryDeps,
  tenantId: string,
  api: Paced,
): Promise<true | { deferSeconds: number }> {
  const reserve = deps.gate.reserveSteps;
  if (!reserve) return true;
  const [times] = await reserve(api.channel, tenantId, [[api.step]]);
  const at = times?.[0] ?? Date.now();
  if (at - Date.now() > MAX_INLINE_WAIT_MS) {
    return { deferSeconds: Math.ceil((at - Date.now()) / 1000) };
  }
  await sleepUntil(at);
  return true;
}

async function holdApi(deps: DiscoveryDeps, tenantId: string, api: Paced, afterSeconds?: number) {
  const seconds = afterSeconds && afterSeconds > 0 ? afterSeconds : DEFAULT_HOLD_S;
  await deps.gate.hold?.(api.channel, tenantId, api.step.key, Date.now() + seconds * 1000);
  return seconds;
}

/** A provider failure as the step's outcome (the counters so far are kept). */
async function onFailure(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  api: Paced,
  f: SlackDirectoryFailure | LineWorksDirectoryFailure,
): Promise<Partial<StepOutcome>> {
  switch (f.kind) {
    case 'rate_limited':
      return { deferSeconds: await holdApi(deps, run.tenantId, api, f.afterSeconds) };
    case 'retry':
      return { transient: f.reason };
    case 'missing_scope':
      return { error: `${f.reason}. Members are not searched until the scope ${f.scope} is added` };
    case 'failed':
      return { error: f.reason };
  }
}

/**
 * A LINE WORKS failure as the step's outcome; a refused token is dropped first (the next step
 * asks TokenVault for a new one) and counts as a transient failure, so a token refused every
 * time ends the run.
 */
async function onLineWorksFailure(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  api: Paced,
  token: { drop: () => Promise<void> },
  f: LineWorksDirectoryFailure,
): Promise<Partial<StepOutcome>> {
  if (f.kind === 'retry' && f.tokenRejected) await token.drop();
  return onFailure(deps, run, api, f);
}

/** A directory call's access: the Slack bot token, or a LINE WORKS token with `user.read`. */
type Access =
  | { ok: true; token: string; drop: () => Promise<void> }
  | { ok: false; outcome: Partial<StepOutcome> };

async function access(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  creds: IntegrationCredentials,
): Promise<Access> {
  if (run.channel === 'SLACK') {
    return { ok: true, token: creds.secrets.botToken ?? '', drop: async () => {} };
  }
  const app = lineWorksAppCredentials(creds.settings, creds.secrets);
  if (!app) return { ok: false, outcome: { error: 'LINE WORKS credentials are missing' } };
  const token = await deps.tokens.lineWorks(run.tenantId, app, ['user.read']);
  if (!token.ok) {
    if (token.retryable) return { ok: false, outcome: { transient: token.reason } };
    const scope = /scope/i.test(token.reason)
      ? '; the app must be allowed the user.read scope (Developer Console › API › OAuth Scopes)'
      : '';
    return { ok: false, outcome: { error: `LINE WORKS: ${token.reason}${scope}` } };
  }
  return {
    ok: true,
    token: token.token,
    drop: () => deps.tokens.dropLineWorks(run.tenantId, app, ['user.read'], token.token),
  };
}

async function search(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  creds: IntegrationCredentials,
): Promise<StepOutcome> {
  const outcome = nothing(run);
  const token = await access(deps, run, creds);
  if (!token.ok) return { ...outcome, ...token.outcome };
  return run.strategy === 'LOOKUP'
    ? lookupStep(deps, run, creds, token, outcome)
    : directoryStep(deps, run, creds, token, outcome);
}

interface Candidate {
  id: string;
  user_id: string;
  email: string;
  shared: number;
}

/** The next members to look up: an email, no binding, after `cursor` by user id. */
async function nextCandidates(db: Db, run: DiscoveryRow, limit: number): Promise<Candidate[]> {
  const col = bindingColumn(run.channel);
  const r = await db.$client
    .prepare(
      `select u.id, u.user_id, u.email,
         (select count(*) from users o where o.tenant_id = u.tenant_id
            and lower(o.email) = lower(u.email)) as shared
       from users u
       where u.tenant_id = ? and u.email is not null and u.email != '' and u.${col} is null
         and u.user_id > ?
       order by u.user_id limit ?`,
    )
    .bind(run.tenantId, run.cursor ?? '', limit)
    .all<Candidate>();
  return r.results;
}

/** Whether the WORKPLACE user id already reaches this LINE WORKS account (the default). */
function reachedByDefault(userId: string, account: { userId: string; email?: string }) {
  const id = userId.toLowerCase();
  return account.userId.toLowerCase() === id || account.email?.toLowerCase() === id;
}

async function lookupStep(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  creds: IntegrationCredentials,
  token: { token: string; drop: () => Promise<void> },
  outcome: StepOutcome,
): Promise<StepOutcome> {
  const started = Date.now();
  const api = pacedApi(run.channel, creds.settings, 'lookup');
  const members = await nextCandidates(deps.db, run, LOOKUP_CHUNK);
  for (const m of members) {
    if (Date.now() - started > STEP_BUDGET_MS) return outcome;
    if (m.shared > 1) {
      // An email two members share names neither of them.
      outcome.checked++;
      outcome.notFound++;
      outcome.cursor = m.user_id;
      continue;
    }
    const slot = await takeSlot(deps, run.tenantId, api);
    if (slot !== true) return { ...outcome, deferSeconds: slot.deferSeconds };
    let account: { id: string; name: string | null } | null = null;
    let viaDefault = false;
    if (run.channel === 'SLACK') {
      const r = await slackLookupByEmail({
        base: deps.env.SLACK_API_BASE,
        botToken: token.token,
        email: m.email,
        timeoutMs: deps.timeoutMs,
      });
      if (!r.ok) return { ...outcome, ...(await onFailure(deps, run, api, r)) };
      // Slack matched the address itself (case-insensitively); deleted accounts answer none.
      const member = r.member;
      if (member?.id && isProposableSlackMember(member) && SLACK_MEMBER_ID.test(member.id)) {
        account = { id: member.id, name: slackMemberName(member) };
      }
    } else {
      const r = await getLineWorksUser({
        apiBase: deps.env.LINE_WORKS_API_BASE,
        accessToken: token.token,
        id: m.email,
        timeoutMs: deps.timeoutMs,
      });
      if (!r.ok) return { ...outcome, ...(await onLineWorksFailure(deps, run, api, token, r)) };
      const u = r.user;
      if (u && isProposableLineWorksUser(u)) {
        if (reachedByDefault(m.user_id, u)) viaDefault = true;
        else account = { id: u.userId, name: lineWorksUserName(u) };
      }
    }
    outcome.checked++;
    outcome.cursor = m.user_id;
    if (viaDefault) {
      outcome.found++;
    } else if (account) {
      outcome.found++;
      outcome.suggestions.push({
        userRowId: m.id,
        externalId: account.id,
        externalName: account.name,
      });
    } else {
      outcome.notFound++;
    }
  }
  if (members.length < LOOKUP_CHUNK) outcome.done = true;
  return outcome;
}

/** An account of one directory page that may be proposed. */
interface Account {
  email: string;
  id: string;
  name: string | null;
  /** LINE WORKS: the login id, for the default-id check. */
  loginId?: string;
}

async function directoryStep(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  creds: IntegrationCredentials,
  token: { token: string; drop: () => Promise<void> },
  outcome: StepOutcome,
): Promise<StepOutcome> {
  const started = Date.now();
  const api = pacedApi(run.channel, creds.settings, 'list');
  for (let page = 0; page < PAGES_PER_STEP; page++) {
    if (Date.now() - started > STEP_BUDGET_MS) return outcome;
    const slot = await takeSlot(deps, run.tenantId, api);
    if (slot !== true) return { ...outcome, deferSeconds: slot.deferSeconds };
    let accounts: Account[];
    let nextCursor: string | null;
    if (run.channel === 'SLACK') {
      const r = await slackListUsers({
        base: deps.env.SLACK_API_BASE,
        botToken: token.token,
        cursor: outcome.cursor,
        limit: DIRECTORY_PAGE_SIZE.SLACK,
        timeoutMs: deps.timeoutMs,
      });
      if (!r.ok) return { ...outcome, ...(await onFailure(deps, run, api, r)) };
      const people = r.members.filter(isProposableSlackMember);
      if (people.length > 0 && people.every((m) => !m.profile?.email)) {
        // users.list leaves emails out when the token lacks users:read.email.
        return {
          ...outcome,
          error:
            'Slack: users.list shows no emails (the app lacks the users:read.email scope; add it under OAuth & Permissions and reinstall the app). Members are not searched until the scope users:read.email is added',
        };
      }
      accounts = r.members.flatMap((m) =>
        m.id && m.profile?.email && isProposableSlackMember(m) && SLACK_MEMBER_ID.test(m.id)
          ? [{ email: m.profile.email, id: m.id, name: slackMemberName(m) }]
          : [],
      );
      nextCursor = r.nextCursor;
    } else {
      const r = await listLineWorksUsers({
        apiBase: deps.env.LINE_WORKS_API_BASE,
        accessToken: token.token,
        domainId: String(creds.settings.domainId ?? ''),
        cursor: outcome.cursor,
        count: DIRECTORY_PAGE_SIZE.LINE_WORKS,
        timeoutMs: deps.timeoutMs,
      });
      if (!r.ok) return { ...outcome, ...(await onLineWorksFailure(deps, run, api, token, r)) };
      accounts = r.users.flatMap((u) =>
        u.email && isProposableLineWorksUser(u)
          ? [{ email: u.email, id: u.userId, name: lineWorksUserName(u), loginId: u.email }]
          : [],
      );
      nextCursor = r.nextCursor;
    }
    await matchPage(deps.db, run, accounts, outcome);
    outcome.cursor = nextCursor;
    if (!nextCursor) {
      outcome.done = true;
      return outcome;
    }
  }
  return outcome;
}

/** Matches one page's accounts to members by email (case-insensitive), one read. */
async function matchPage(db: Db, run: DiscoveryRow, accounts: Account[], outcome: StepOutcome) {
  const byEmail = new Map<string, Account[]>();
  for (const a of accounts) {
    const e = a.email.trim().toLowerCase();
    byEmail.set(e, [...(byEmail.get(e) ?? []), a]);
  }
  if (byEmail.size === 0) return;
  const col = bindingColumn(run.channel);
  const r = await db.$client
    .prepare(
      `select id, user_id, lower(email) as email, ${col} is null as unbound from users
       where tenant_id = ? and lower(email) in (select value from json_each(?))`,
    )
    .bind(run.tenantId, JSON.stringify([...byEmail.keys()]))
    .all<{ id: string; user_id: string; email: string; unbound: number }>();
  const members = new Map<string, { id: string; user_id: string; unbound: number }[]>();
  for (const m of r.results) members.set(m.email, [...(members.get(m.email) ?? []), m]);
  for (const [email, found] of members) {
    const accountsOf = byEmail.get(email) ?? [];
    // Two members with one email, or one email on two accounts: propose neither.
    if (found.length !== 1 || accountsOf.length !== 1) continue;
    const member = found[0] as { id: string; user_id: string; unbound: number };
    const account = accountsOf[0] as Account;
    if (!member.unbound) continue;
    outcome.found++;
    outcome.checked++;
    if (
      run.channel === 'LINE_WORKS' &&
      reachedByDefault(member.user_id, { userId: account.id, email: account.loginId })
    ) {
      continue;
    }
    outcome.suggestions.push({
      userRowId: member.id,
      externalId: account.id,
      externalName: account.name,
    });
  }
}
