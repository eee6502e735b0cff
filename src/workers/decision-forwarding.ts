/** The decision forwarder as the Worker runs it: settings from env, the delivery queue. */
import type { Db } from '../db/client.ts';
import type { DecisionFeedback } from '../domain/decisions/feedback.ts';
import { DECISION_MAX_ATTEMPTS, type ForwardDeps } from '../domain/decisions/forward.ts';
import { createLogger } from '../domain/log.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';

/** Forwarding dependencies of one shard; `feedback` tells the chat side each outcome. */
export function forwardDeps(env: Env, db: Db, feedback?: DecisionFeedback): ForwardDeps {
  const url = env.WORKPLACE_WEBHOOK_URL?.trim() ?? '';
  return {
    db,
    queue: env.DELIVERY_QUEUE,
    webhook: url ? { url, secret: env.WORKPLACE_WEBHOOK_SECRET ?? '' } : null,
    timeoutMs: Number(env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
    maxAttempts: Number(env.DECISION_MAX_ATTEMPTS) || DECISION_MAX_ATTEMPTS,
    feedback,
    log: createLogger({ job: 'decisions' }),
  };
}
