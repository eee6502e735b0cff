/**
 * A pacing wait: jobs go back on the queue for their slot without spending an attempt. Each row
 * returns to the state it was claimed from (QUEUED or RETRYING), due at its slot, in one
 * set-based statement; the copy on the queue carries the reserved slots.
 */

import { updateEach } from '../../db/bulk-update.ts';
import { deliveries } from '../../db/schema.ts';
import type { DeliveryRow } from '../deliveries.ts';
import { firstCall } from './reserve.ts';
import type { DispatchDeps, Job, Verdicts } from './types.ts';

export interface Deferral {
  job: Job;
  /** When the job's first call may go out (ms since epoch). */
  at: number;
  slots?: number[];
  /** Which limit it waits for, in admin words; the stored reason stays when absent. */
  reason?: string;
}

/** Jobs whose reserved slot is too far off: each says which limit it is queued behind. */
export function waitingForSlot(jobs: readonly Job[], now: number): Deferral[] {
  return jobs.map((job) => ({
    job,
    at: firstCall(job, now),
    ...(job.slots ? { slots: job.slots } : {}),
    // Stepped channels say which limit the delivery is queued behind.
    ...(job.steps ? { reason: waitingReason(job, now) } : {}),
  }));
}

/** Which limit a deferred job waits for, in admin words: its first paced call's. */
function waitingReason(job: Job, now: number): string {
  const first = job.slots?.[0] ?? now;
  const step = job.steps?.[0];
  return `queued behind ${step?.label ?? 'the rate limit'}: next slot at ${new Date(first).toISOString()}`;
}

/** Puts jobs back on the queue for their `at`; their messages are done once they are there. */
export async function defer(
  deps: DispatchDeps,
  tenantId: string,
  before: Map<string, DeliveryRow>,
  items: readonly Deferral[],
  verdicts: Verdicts,
) {
  if (items.length === 0) return;
  const { db } = deps;
  const restored = items.map(({ job, at, reason }) => {
    const was = before.get(job.row.id) as DeliveryRow;
    return {
      id: job.row.id,
      status: was.status,
      attempts: was.attempts,
      updatedAt: was.updatedAt,
      dueAt: new Date(at).toISOString(),
      ...(reason !== undefined ? { reason } : {}),
    };
  });
  await db.batch(updateEach(db, deliveries, tenantId, restored) as [never, ...never[]]);
  await deps.requeue(
    items.map(({ job, at, slots }) => {
      const { slots: _old, ...body } = job.msg.body;
      return { body: slots ? { ...body, slots } : body, slotAt: at };
    }),
  );
  for (const { job } of items) verdicts.set(job.msg.id, { action: 'ack' });
}
