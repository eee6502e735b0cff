/**
 * When a message is tried again: the consumer's verdict per message, exponential backoff after
 * a failed attempt, and how a pacing wait goes back on the queue without spending an attempt
 * (the give-up budget is the queue's `max_retries`, wrangler.toml; then the dead-letter queue).
 */
import type { QueueMessage } from './queue-messages.ts';

/** What the consumer does with one message: done, or retried after a delay. */
export type Verdict = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

/**
 * Re-sends messages that wait for a pacing slot, at once rather than when the batch ends: a
 * batch may sleep through other slots first, and a delay counted from its end comes back late.
 */
export type Requeue = (items: { body: QueueMessage; slotAt: number }[]) => Promise<void>;

/** Waits up to this are slept through; longer ones go back on the queue until just before. */
export const MAX_INLINE_WAIT_MS = 2500;

/**
 * A message back after its reserved slot lost it and reserves anew: sending late would put it
 * closer than the limit to the next slot's holder.
 */
export const STALE_SLOT_MS = 0;

const BACKOFF_BASE_S = 2;
const BACKOFF_CAP_S = 300;

/**
 * How long a message waiting `waitMs` for its slot goes back on the queue: queue delays are
 * whole seconds and a busy consumer can take a moment to pick it up, so it comes back
 * 0.5–2.5 s before its slot and sleeps through the rest, keeping the slot exactly.
 */
export function deferSeconds(waitMs: number): number {
  return Math.max(1, Math.floor((waitMs - 1500) / 1000));
}

/** Exponential backoff with jitter (50–100 % of 2^n × base), capped. */
export function backoffSeconds(attempt: number, random = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}
