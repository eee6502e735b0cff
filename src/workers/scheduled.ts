/**
 * The cron (every 5 minutes), on every shard in turn: re-enqueue stuck deliveries, calendar
 * jobs, stalled findBindings runs and decisions not yet forwarded, release HELD deliveries whose
 * quiet hours or digest time came, prune what is past the retention, and read the LINE monthly
 * quota of the tenants that are due (daily each, a bounded chunk per run).
 */
import { allShards } from '../db/shards.ts';
import { sweepDiscoveries } from '../domain/binding-discovery/sweep.ts';
import { sweepAbsences } from '../domain/calendar-sync.ts';
import { sweepDecisions } from '../domain/decisions/sweep.ts';
import { refreshDueLineQuotas } from '../domain/line-quota-sync.ts';
import { createLogger } from '../domain/log.ts';
import { sweep } from '../domain/maintenance.ts';
import { preferenceNow, sweepHeld } from '../domain/preferences/index.ts';
import { pruneExpired } from '../domain/retention.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import { releaseDeps } from './clients/release-deps.ts';
import { createTokens } from './clients/tokens.ts';

export async function scheduled(controller: ScheduledController, env: Env) {
  const queue = env.DELIVERY_QUEUE;
  const stuckSeconds = Number(env.STUCK_AFTER_SECONDS) || 300;
  const log = createLogger({ job: 'sweep' });
  let firstFailure: unknown = null;
  for (const [shard, db] of allShards(env).entries()) {
    // One shard failing must not leave the others unswept.
    try {
      const result = await sweep(db, queue, { stuckSeconds });
      const held = await sweepHeld(
        releaseDeps(env, db),
        // The cron's own time, or later when the preferences clock runs ahead (CLOCK_OFFSET_MS).
        Math.max(preferenceNow(env), controller.scheduledTime || 0),
      );
      const calendar = await sweepAbsences(db, queue, { stuckSeconds });
      const discoveries = await sweepDiscoveries(db, queue, { stuckSeconds });
      const decided = await sweepDecisions(db, queue, { stuckSeconds });
      const pruned = await pruneExpired(db, { retentionDays: Number(env.RETENTION_DAYS) || 90 });
      const lineQuota = await refreshDueLineQuotas({
        db,
        env,
        tokens: createTokens(env),
        timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
      });
      log.info('sweep done', {
        shard,
        ...result,
        ...held,
        ...calendar,
        ...discoveries,
        ...decided,
        pruned,
        lineQuota,
      });
    } catch (err) {
      log.error('sweep failed', { shard, error: err instanceof Error ? err.message : String(err) });
      firstFailure ??= err;
    }
  }
  if (firstFailure) throw firstFailure;
}
