import type { Channel } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import type { Gate } from '../limits.ts';
import { createLogger } from '../log.ts';
import type { QueueMessage } from '../queue-messages.ts';
import type { TokenSource } from '../tokens.ts';

/** The part of `Env` a discovery step reads. */
export type DiscoveryEnv = Pick<Env, 'SECRETS_KEY' | 'SLACK_API_BASE' | 'LINE_WORKS_API_BASE'>;

export interface DiscoveryDeps {
  db: Db;
  env: DiscoveryEnv;
  gate: Gate;
  tokens: TokenSource;
  queue: Queue<QueueMessage>;
  timeoutMs: number;
}

/** What the consumer does with a message (the same shape as the dispatcher's verdicts). */
export type DiscoveryVerdict = { action: 'ack' } | { action: 'retry'; delaySeconds: number };

/** A step stops making calls after this long, commits, and leaves the rest to the next step. */
export const STEP_BUDGET_MS = 8_000;
/** Members a LOOKUP step reads (and at most looks up). */
export const LOOKUP_CHUNK = 50;
/** Pages a DIRECTORY step reads at most. */
export const PAGES_PER_STEP = 2;
/** A slot further away than this is waited for on the queue, not in the consumer. */
export const MAX_INLINE_WAIT_MS = 5_000;
/** How long a step holds its claim: the budget plus a provider call's timeout, with room. */
export const LEASE_MS = 60_000;
/** Transient failures in a row before the run gives up. */
export const MAX_ATTEMPTS = 6;
/** Longest wait put on the queue (under the sweep's stuck threshold, so it never doubles). */
export const MAX_DEFER_S = 240;
/** Without a Retry-After on a 429: hold the method this long. */
export const DEFAULT_HOLD_S = 30;

export const DISCOVERY_CHANNELS: readonly Channel[] = ['SLACK', 'LINE_WORKS'];

export const log = createLogger({ component: 'binding-discovery' });
