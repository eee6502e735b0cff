/**
 * A shared allowance (LINE's monthly quota) around the send step: claimed before anything goes
 * out (the jobs past it end FAILED with the driver's reason, without a request), settled after
 * the outcomes are recorded.
 */
import type { Channel } from '../../adapters/types.ts';
import {
  type ChannelQuota,
  DRIVERS,
  type QuotaClaim,
  type QuotaContext,
} from '../channels/index.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import { createLogger } from '../log.ts';
import type { DispatchDeps, Job, Outcome } from './types.ts';

export interface ChannelClaim {
  channel: Channel;
  quota: ChannelQuota;
  claim: QuotaClaim;
  denied: Job[];
}

function quotaContext(deps: DispatchDeps, tenantId: string): QuotaContext {
  return {
    db: deps.db,
    env: deps.env,
    tenantId,
    timeoutMs: deps.timeoutMs,
    gate: deps.gate,
    tokens: deps.tokens,
  };
}

export async function claimQuotas(
  deps: DispatchDeps,
  tenantId: string,
  ready: readonly Job[],
): Promise<ChannelClaim[]> {
  const channels = [...new Set(ready.map((j) => j.channel))].filter((c) => DRIVERS[c]?.quota);
  return Promise.all(
    channels.map(async (channel) => {
      const quota = DRIVERS[channel]?.quota as ChannelQuota;
      const jobs = ready.filter((j) => j.channel === channel);
      const claim = await quota.claim(quotaContext(deps, tenantId), jobs.length);
      return { channel, quota, claim, denied: jobs.slice(Math.max(0, claim.granted)) };
    }),
  );
}

/** The jobs a claim refused, as FAILED outcomes with the claim's reason. */
export function refusals(claims: readonly ChannelClaim[]): Outcome[] {
  return claims.flatMap((c) =>
    c.denied.map(
      (job): Outcome => ({
        job,
        result: { kind: 'failed', scope: 'quota', reason: c.claim.reason },
      }),
    ),
  );
}

/**
 * After the outcomes are recorded: each claimed allowance learns what its sends did. A failure
 * here is logged and changes no delivery (their outcomes are already recorded).
 */
export async function settleQuotas(
  deps: DispatchDeps,
  tenantId: string,
  claims: readonly ChannelClaim[],
  outcomes: readonly Outcome[],
  credentials: Map<Channel, IntegrationCredentials | null>,
) {
  await Promise.all(
    claims.map(async ({ channel, quota, claim }) => {
      const creds = credentials.get(channel);
      if (!creds) return;
      const results = outcomes.filter((o) => o.job.channel === channel).map((o) => o.result);
      try {
        await quota.settle(quotaContext(deps, tenantId), claim, results, creds);
      } catch (err) {
        createLogger({ job: 'dispatch', tenantId, channel }).error('quota settle failed', {
          error: (err as Error).message ?? String(err),
        });
      }
    }),
  );
}
