/**
 * Forwarding a recorded decision to WORKPLACE (DECISIONS.md, "Forwarding"): claim the row for
 * one attempt, POST the signed webhook, record what WORKPLACE said, and schedule the next
 * attempt or tell the chat side the outcome. A crash between the POST and the record leaves the
 * claim to expire; the next attempt sends again with the same `webhook-id`, which WORKPLACE
 * dedupes.
 */
import { and, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import {
  type DecisionWebhookPayload,
  type DecisionWebhookResult,
  sendDecisionWebhook,
  webhookKeyBytes,
} from '../../adapters/workplace/decision-webhook.ts';
import type { Db } from '../../db/client.ts';
import { decisions, users, workflowEvents } from '../../db/schema.ts';
import { newId, toGlobalId } from '../ids.ts';
import type { Logger } from '../log.ts';
import type { DecisionMessage } from '../queue-messages.ts';
import { backoffSeconds, type Verdict } from '../retry-policy.ts';
import type { DecisionFeedback } from './feedback.ts';
import { type DecisionRow, enqueueDecision } from './store.ts';

/** Attempts before a decision is FAILED (WORKPLACE_DECISION_MAX_ATTEMPTS overrides it). */
export const DECISION_MAX_ATTEMPTS = 12;
/** The longest a queue message can be delayed (Cloudflare Queues: 12 hours). */
const MAX_QUEUE_DELAY_S = 43_200;
/** A message this early for its attempt re-sends itself instead of leaving it to the sweeper. */
const EARLY_TOLERANCE_MS = 2000;

/** Where decisions go: both from env, or null when WORKPLACE_WEBHOOK_URL is unset. */
export interface WorkplaceWebhook {
  url: string;
  secret: string;
}

export interface ForwardDeps {
  db: Db;
  queue: Queue;
  webhook: WorkplaceWebhook | null;
  timeoutMs: number;
  maxAttempts: number;
  feedback?: DecisionFeedback;
  log: Logger;
  now?: () => number;
}

/** What the consumer does with the message: it has been handled, or comes back later. */
export type ForwardVerdict = Verdict;

/** The claim is held this long past the request timeout (record the answer, then let go). */
export function leaseMs(timeoutMs: number): number {
  return timeoutMs + 30_000;
}

/** Why forwarding cannot even start; null when the settings are usable. */
export function webhookProblem(webhook: WorkplaceWebhook | null): string | null {
  if (!webhook?.url) return 'WORKPLACE_WEBHOOK_URL is not set';
  let url: URL;
  try {
    url = new URL(webhook.url);
  } catch {
    return 'WORKPLACE_WEBHOOK_URL is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'WORKPLACE_WEBHOOK_URL must be an http(s) URL';
  }
  if (!webhookKeyBytes(webhook.secret)) {
    return 'WORKPLACE_WEBHOOK_SECRET is missing or not a whsec_<base64> secret';
  }
  return null;
}

/** The webhook body of one decision; stable across retries (only the signature changes). */
export function decisionPayload(
  decision: DecisionRow,
  event: { idempotencyKey: string; documentId: string },
  userId: string,
): DecisionWebhookPayload {
  return {
    type: 'workflow.decision',
    timestamp: decision.decidedAt,
    data: {
      tenant: decision.tenantId,
      decisionId: toGlobalId('Decision', decision.id),
      eventId: toGlobalId('WorkflowEvent', decision.eventId),
      idempotencyKey: event.idempotencyKey,
      documentId: event.documentId,
      userId,
      action: decision.action,
      comment: decision.comment,
      channel: decision.channel,
      decidedAt: decision.decidedAt,
    },
  };
}

/** Takes the row for one attempt: PENDING, due, and not held by a live claim. */
async function claim(
  db: Db,
  msg: DecisionMessage,
  claimId: string,
  now: number,
  timeoutMs: number,
) {
  const at = new Date(now).toISOString();
  const rows = await db
    .update(decisions)
    .set({
      claimId,
      leaseUntil: new Date(now + leaseMs(timeoutMs)).toISOString(),
      attempts: sql`${decisions.attempts} + 1`,
      updatedAt: at,
    })
    .where(
      and(
        eq(decisions.tenantId, msg.tenantId),
        eq(decisions.id, msg.decisionId),
        eq(decisions.status, 'PENDING'),
        lte(decisions.nextAttemptAt, new Date(now + EARLY_TOLERANCE_MS).toISOString()),
        or(isNull(decisions.leaseUntil), lt(decisions.leaseUntil, at)),
      ),
    )
    .returning();
  return rows[0] ?? null;
}

/** Why a message could not claim its decision, and what to do with the message. */
async function unclaimed(
  deps: ForwardDeps,
  msg: DecisionMessage,
  now: number,
): Promise<ForwardVerdict> {
  const row = await deps.db.query.decisions.findFirst({
    where: and(eq(decisions.tenantId, msg.tenantId), eq(decisions.id, msg.decisionId)),
  });
  if (row?.status !== 'PENDING') return { action: 'ack' };
  const leaseUntil = row.leaseUntil ? Date.parse(row.leaseUntil) : 0;
  if (leaseUntil > now) {
    // Another attempt holds it; come back when its claim runs out, in case it died mid-send.
    return { action: 'retry', delaySeconds: Math.ceil((leaseUntil - now) / 1000) + 1 };
  }
  // Not due yet: whoever set the next attempt also queued it (the sweeper backs that up).
  return { action: 'ack' };
}

interface Recorded {
  status: DecisionRow['status'];
  reason: string | null;
  nextAttemptAt: string;
}

/** Writes the attempt's result if this attempt still holds the claim; null when it lost it. */
async function record(
  db: Db,
  row: DecisionRow,
  claimId: string,
  result: Recorded,
  now: number,
): Promise<DecisionRow | null> {
  const rows = await db
    .update(decisions)
    .set({
      status: result.status,
      reason: result.reason,
      nextAttemptAt: result.nextAttemptAt,
      claimId: null,
      leaseUntil: null,
      updatedAt: new Date(now).toISOString(),
    })
    .where(
      and(
        eq(decisions.tenantId, row.tenantId),
        eq(decisions.id, row.id),
        eq(decisions.claimId, claimId),
      ),
    )
    .returning();
  return rows[0] ?? null;
}

async function attempt(
  deps: ForwardDeps,
  row: DecisionRow,
  now: number,
): Promise<DecisionWebhookResult> {
  const problem = webhookProblem(deps.webhook);
  if (problem || !deps.webhook) return { kind: 'retry', reason: problem ?? 'not configured' };
  const [event, user] = await deps.db.batch([
    deps.db
      .select({
        idempotencyKey: workflowEvents.idempotencyKey,
        documentId: workflowEvents.documentId,
      })
      .from(workflowEvents)
      .where(and(eq(workflowEvents.tenantId, row.tenantId), eq(workflowEvents.id, row.eventId))),
    deps.db
      .select({ userId: users.userId })
      .from(users)
      .where(and(eq(users.tenantId, row.tenantId), eq(users.id, row.userRowId))),
  ]);
  if (!event[0] || !user[0]) {
    return {
      kind: 'refused',
      status: 0,
      reason: event[0] ? 'The member no longer exists' : 'The workflow event no longer exists',
    };
  }
  return sendDecisionWebhook({
    url: deps.webhook.url,
    secret: deps.webhook.secret,
    id: toGlobalId('Decision', row.id),
    payload: decisionPayload(row, event[0], user[0].userId),
    timeoutMs: deps.timeoutMs,
    now,
  });
}

/**
 * One queue message: forward its decision once if it is due, record the answer, and queue the
 * next attempt after a retryable one (backoff, or WORKPLACE's Retry-After) until the budget is
 * spent. Safe to run twice for the same decision at once: only one attempt holds the claim.
 */
export async function forwardDecision(
  deps: ForwardDeps,
  msg: DecisionMessage,
): Promise<ForwardVerdict> {
  const clock = deps.now ?? Date.now;
  const claimId = newId();
  const row = await claim(deps.db, msg, claimId, clock(), deps.timeoutMs);
  if (!row) return unclaimed(deps, msg, clock());

  let result: DecisionWebhookResult;
  try {
    result = await attempt(deps, row, clock());
  } catch (err) {
    // Nothing unexpected may lose the decision: count it as a failed attempt and go on.
    result = { kind: 'retry', reason: `internal error: ${(err as Error)?.message ?? 'unknown'}` };
  }
  const now = clock();
  let next: Recorded;
  let delaySeconds = 0;
  if (result.kind === 'accepted') {
    next = { status: 'ACCEPTED', reason: null, nextAttemptAt: row.nextAttemptAt };
  } else if (result.kind === 'refused') {
    next = { status: 'REFUSED', reason: result.reason, nextAttemptAt: row.nextAttemptAt };
  } else if (row.attempts - row.attemptsAtRetry >= deps.maxAttempts) {
    next = {
      status: 'FAILED',
      reason: `Gave up after ${row.attempts - row.attemptsAtRetry} attempts: ${result.reason}`,
      nextAttemptAt: row.nextAttemptAt,
    };
  } else {
    delaySeconds = Math.max(
      1,
      Math.ceil(result.afterSeconds ?? backoffSeconds(row.attempts - row.attemptsAtRetry)),
    );
    next = {
      status: 'PENDING',
      reason: result.reason,
      nextAttemptAt: new Date(now + delaySeconds * 1000).toISOString(),
    };
  }
  const saved = await record(deps.db, row, claimId, next, now);
  if (!saved) {
    deps.log.warn('decision attempt lost its claim before recording', {
      tenantId: row.tenantId,
      decisionId: row.id,
      outcome: result.kind,
    });
    return { action: 'ack' };
  }
  if (saved.status === 'PENDING') {
    await enqueueDecision(
      deps.queue,
      saved.tenantId,
      saved.id,
      Math.min(delaySeconds, MAX_QUEUE_DELAY_S),
    );
    return { action: 'ack' };
  }
  if (saved.status === 'FAILED') {
    deps.log.warn('decision forwarding gave up', {
      tenantId: saved.tenantId,
      decisionId: saved.id,
      attempts: saved.attempts,
    });
  }
  if (deps.feedback) {
    try {
      await deps.feedback.outcome(deps.db, saved);
    } catch (err) {
      deps.log.error('decision feedback failed', {
        tenantId: saved.tenantId,
        decisionId: saved.id,
        error: (err as Error)?.message ?? String(err),
      });
    }
  }
  return { action: 'ack' };
}

/**
 * A batch's decisions, each on its own: a D1 hiccup on one retries that message alone, not the
 * deliveries or decisions beside it.
 */
export async function forwardDecisions(
  deps: ForwardDeps,
  jobs: readonly { id: string; body: DecisionMessage }[],
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  await Promise.all(
    jobs.map(async (job) => {
      const verdict = await forwardDecision(deps, job.body).catch((err): Verdict => {
        deps.log.error('decision forwarding failed', {
          tenantId: job.body.tenantId,
          decisionId: job.body.decisionId,
          error: (err as Error)?.message ?? String(err),
        });
        return { action: 'retry', delaySeconds: 5 };
      });
      verdicts.set(job.id, verdict);
    }),
  );
  return verdicts;
}
