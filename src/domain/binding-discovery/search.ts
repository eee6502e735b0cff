/**
 * The searches: one lookup per member (Slack users.lookupByEmail, LINE WORKS GET /users/{email})
 * or the directory page by page (users.list, GET /users), matched to members by email.
 */
import {
  getLineWorksUser,
  isProposableLineWorksUser,
  lineWorksUserName,
  listLineWorksUsers,
} from '../../adapters/line-works/index.ts';
import {
  isProposableSlackMember,
  slackListUsers,
  slackLookupByEmail,
  slackMemberName,
} from '../../adapters/slack/index.ts';
import type { Db } from '../../db/client.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import { SLACK_MEMBER_ID } from '../users.ts';
import { type DiscoveryDeps, LOOKUP_CHUNK, PAGES_PER_STEP, STEP_BUDGET_MS } from './deps.ts';
import { nothing, type StepOutcome } from './outcome.ts';
import { access, onFailure, onLineWorksFailure, pacedApi, takeSlot } from './pacing.ts';
import { bindingColumn } from './start.ts';
import { DIRECTORY_PAGE_SIZE, type DiscoveryRow } from './store.ts';

export async function search(
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

export interface Candidate {
  id: string;
  user_id: string;
  email: string;
  shared: number;
}

/** The next members to look up: an email, no binding, after `cursor` by user id. */
export async function nextCandidates(
  db: Db,
  run: DiscoveryRow,
  limit: number,
): Promise<Candidate[]> {
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
export function reachedByDefault(userId: string, account: { userId: string; email?: string }) {
  const id = userId.toLowerCase();
  return account.userId.toLowerCase() === id || account.email?.toLowerCase() === id;
}

export async function lookupStep(
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
export interface Account {
  email: string;
  id: string;
  name: string | null;
  /** LINE WORKS: the login id, for the default-id check. */
  loginId?: string;
}

export async function directoryStep(
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
export async function matchPage(
  db: Db,
  run: DiscoveryRow,
  accounts: Account[],
  outcome: StepOutcome,
) {
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
