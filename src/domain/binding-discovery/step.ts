import type { Db } from '../../db/client.ts';
import { sendMessages } from '../enqueue.ts';
import { newId } from '../ids.ts';
import { loadCredentials } from '../integrations.ts';
import type { DiscoveryMessage } from '../queue-messages.ts';
import {
  type DiscoveryDeps,
  type DiscoveryVerdict,
  LEASE_MS,
  log,
  MAX_ATTEMPTS,
  MAX_DEFER_S,
} from './deps.ts';
import { nothing, type StepOutcome } from './outcome.ts';
import { search } from './search.ts';
import { integrationProblem } from './start.ts';
import { type DiscoveryRow, readDiscovery } from './store.ts';

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
    await sendMessages(deps.queue, [delaySeconds > 0 ? { body, delaySeconds } : { body }]);
  }
  return { action: 'ack' };
}

export async function claim(db: Db, m: DiscoveryMessage): Promise<DiscoveryRow | null> {
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

export async function release(db: Db, run: DiscoveryRow) {
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
export async function commit(
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
