import type { Channel } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import { auditStatement } from '../audit.ts';
import type { Principal } from '../auth.ts';
import { sendMessages } from '../enqueue.ts';
import { InputError } from '../errors.ts';
import { newId } from '../ids.ts';
import { type IntegrationCredentials, loadCredentials } from '../integrations.ts';
import { lineWorksPerMinute, slackMethodPerMinute } from '../limits.ts';
import type { DiscoveryMessage } from '../queue-messages.ts';
import { lineWorksAppCredentials } from '../tokens.ts';
import { DISCOVERY_CHANNELS, type DiscoveryDeps, LEASE_MS } from './deps.ts';
import {
  DIRECTORY_PAGE_SIZE,
  type DiscoveryChannel,
  type DiscoveryRow,
  type DiscoveryStrategy,
  readDiscovery,
  runningDiscovery,
} from './store.ts';

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

export const bindingColumn = (channel: DiscoveryChannel) =>
  channel === 'SLACK' ? 'slack_member_id' : 'line_works_user_id';

/** Members with an email and no binding on `channel`, and all members (the size estimate). */
export async function countCandidates(db: Db, tenantId: string, channel: DiscoveryChannel) {
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
export function integrationProblem(
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
    const body: DiscoveryMessage = { kind: 'discovery', tenantId, discoveryId: id, step: 0 };
    await sendMessages(deps.queue, [{ body }]);
  }
  const row = await readDiscovery(db, tenantId, id);
  if (!row) throw new Error('discovery run vanished after insert');
  return row;
}

/** A run with no step claimed and no progress for this long is resumed by findBindings. */
export const STALLED_MS = 2 * LEASE_MS;

/**
 * findBindings called while a run is going: a run that made no progress for STALLED_MS and whose
 * lease ran out (its consumer died, its message was lost) gets a message for its current step
 * right away rather than at the next cron sweep. A duplicate message is harmless: the step is
 * claimed once and the other message finds the run on a later step.
 */
export async function resumeIfStalled(
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
    const body: DiscoveryMessage = {
      kind: 'discovery',
      tenantId: run.tenantId,
      discoveryId: run.id,
      step: run.step,
    };
    await sendMessages(deps.queue, [{ body }]);
  }
  return run;
}
