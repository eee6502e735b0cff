/**
 * The consumer side of a delivery (ARCHITECTURE.md, "The flow of one notification"): a queue
 * batch split by tenant, and per tenant five steps — claim, plan, reserve, send, record. The
 * queue and the Durable Objects are passed in; the verdict per message tells the worker to ack
 * or retry.
 */
import type { DeliveryRow } from '../deliveries.ts';
import { claim } from './claim.ts';
import { defer, waitingForSlot } from './defer.ts';
import { plan } from './plan.ts';
import { claimQuotas, refusals, settleQuotas } from './quota.ts';
import { record } from './record.ts';
import { reserve, splitByWait } from './reserve.ts';
import { sendAll } from './send.ts';
import type { DispatchDeps, Outcome, QueuedMessage, Verdicts } from './types.ts';

/** Handles one queue batch; returns what to do with each message, by message id. */
export async function dispatchBatch(
  deps: DispatchDeps,
  messages: readonly QueuedMessage[],
): Promise<Verdicts> {
  const verdicts: Verdicts = new Map();
  const byTenant = new Map<string, QueuedMessage[]>();
  for (const m of messages) {
    byTenant.set(m.body.tenantId, [...(byTenant.get(m.body.tenantId) ?? []), m]);
  }
  for (const [tenantId, msgs] of byTenant) {
    await dispatchTenant(deps, tenantId, msgs, verdicts);
  }
  return verdicts;
}

async function dispatchTenant(
  deps: DispatchDeps,
  tenantId: string,
  msgs: readonly QueuedMessage[],
  verdicts: Verdicts,
) {
  const { claimed, before, loaded } = await claim(deps.db, tenantId, msgs, verdicts);
  if (claimed.length === 0) return;
  const { jobs, finals, credentials, events, now } = await plan(deps, tenantId, claimed, loaded);

  await reserve(deps, tenantId, jobs, credentials, now);
  const { ready, deferred } = splitByWait(jobs, now);
  await defer(deps, tenantId, before, waitingForSlot(deferred, now), verdicts);

  const claims = await claimQuotas(deps, tenantId, ready);
  const denied = new Set(claims.flatMap((c) => c.denied));
  const sending = ready.filter((j) => !denied.has(j));
  // SENDING goes out to subscribers while the sends run; it lands before the outcomes do.
  const publishedSending = deps.publish(
    tenantId,
    sending.map((j) => ({ ...j.row, userId: j.user.userId })),
  );
  const outcomes = await sendAll(deps, tenantId, sending, credentials, events);
  await publishedSending;

  const held = await deferHeld(deps, tenantId, before, outcomes, verdicts);
  await record(
    deps,
    tenantId,
    [...outcomes.filter((o) => !held.has(o)), ...refusals(claims)],
    finals,
    verdicts,
  );
  await settleQuotas(deps, tenantId, claims, outcomes, credentials);
}

/**
 * Outcomes where nothing was sent because a limit holds the call (a 429 elsewhere in the
 * workspace) go back on the queue for after the hold, as a pacing wait rather than an attempt;
 * returns them, so they are not recorded as attempts.
 */
async function deferHeld(
  deps: DispatchDeps,
  tenantId: string,
  before: Map<string, DeliveryRow>,
  outcomes: readonly Outcome[],
  verdicts: Verdicts,
): Promise<Set<Outcome>> {
  const held = outcomes.flatMap(({ job, result }) =>
    result.kind === 'retry' && result.deferUntil !== undefined
      ? [{ job, at: result.deferUntil, reason: result.reason }]
      : [],
  );
  if (held.length === 0) return new Set();
  await defer(deps, tenantId, before, held, verdicts);
  await deps.publish(
    tenantId,
    held.map(({ job, reason }) => ({
      ...(before.get(job.row.id) as DeliveryRow),
      reason,
      userId: job.user.userId,
    })),
  );
  const heldJobs = new Set(held.map((h) => h.job));
  return new Set(outcomes.filter((o) => heldJobs.has(o.job)));
}
