/**
 * Step 3, reserve: a RateGate slot for each job that does not already hold one (all channels at
 * once), then the jobs whose first paced call is further off than MAX_INLINE_WAIT_MS are told
 * apart from those sent now.
 */
import type { Channel } from '../../adapters/types.ts';
import { DRIVERS } from '../channels/index.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { PaceStep } from '../limits.ts';
import { MAX_INLINE_WAIT_MS } from '../retry-policy.ts';
import type { DispatchDeps, Job } from './types.ts';

/** Fills in each job's `slotAt` (and `slots` for a driver with paceSteps). */
export async function reserve(
  deps: DispatchDeps,
  tenantId: string,
  jobs: readonly Job[],
  credentials: Map<Channel, IntegrationCredentials | null>,
  now: number,
) {
  await Promise.all(
    [...new Set(jobs.map((j) => j.channel))].map(async (channel) => {
      const stepped = jobs.filter((j) => j.channel === channel && j.steps);
      if (stepped.length > 0 && deps.gate.reserveSteps) {
        const times = await deps.gate.reserveSteps(
          channel,
          tenantId,
          stepped.map((j) => j.steps as PaceStep[]),
        );
        stepped.forEach((j, i) => {
          j.slots = times[i] ?? [];
          j.slotAt = j.slots[j.slots.length - 1] ?? now;
        });
      }
      const need = jobs.filter((j) => j.channel === channel && !j.steps && j.slotAt === undefined);
      if (need.length === 0) return;
      const settings = credentials.get(channel)?.settings ?? {};
      const slots = await deps.gate.reserve(
        channel,
        tenantId,
        need.map((j) => ({ key: j.paceKey })),
        DRIVERS[channel]?.paceLimit?.(settings),
      );
      need.forEach((j, i) => {
        j.slotAt = slots[i] ?? now;
      });
    }),
  );
}

/** When a job's first call may go out: a job with steps waits for its first (conversations.open). */
export function firstCall(job: Job, now: number): number {
  return job.slots?.[0] ?? job.slotAt ?? now;
}

/** The jobs to send now, and those whose slot is too far off to sleep through. */
export function splitByWait(jobs: readonly Job[], now: number) {
  const ready: Job[] = [];
  const deferred: Job[] = [];
  for (const j of jobs) (firstCall(j, now) - now > MAX_INLINE_WAIT_MS ? deferred : ready).push(j);
  return { ready, deferred };
}
