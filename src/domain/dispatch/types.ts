/** What the dispatch steps share: their dependencies and a delivery on its way through them. */
import type { Channel, DigestContent, SendResult } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import type { ChannelDriver, DispatchEnv } from '../channels/index.ts';
import type { DeliveryRow, DeliveryUpdate } from '../deliveries.ts';
import type { Gate, PaceStep } from '../limits.ts';
import type { DeliveryMessage } from '../queue-messages.ts';
import type { Requeue, Verdict } from '../retry-policy.ts';
import type { TokenSource } from '../tokens.ts';
import type { UserRow } from '../users.ts';

export interface DispatchDeps {
  db: Db;
  env: DispatchEnv;
  gate: Gate;
  tokens: TokenSource;
  publish(tenantId: string, updates: DeliveryUpdate[]): Promise<void>;
  timeoutMs: number;
  /** Puts paced messages back on the queue now, each to return shortly before its slot. */
  requeue: Requeue;
}

export interface QueuedMessage {
  id: string;
  body: DeliveryMessage;
}

/** What to do with each message of a batch, by message id. */
export type Verdicts = Map<string, Verdict>;

/** A claimed delivery: its message, and its row as claimed (SENDING, one more attempt). */
export interface Claimed {
  msg: QueuedMessage;
  row: DeliveryRow;
}

/** A claimed delivery that will be sent (or wait for its slot). */
export interface Job extends Claimed {
  user: UserRow;
  driver: ChannelDriver;
  channel: Channel;
  paceKey: string;
  /** When the send is the last of `steps` (its time is slotAt). */
  slotAt?: number;
  /** The driver's paced calls (paceSteps) and their reserved times. */
  steps?: PaceStep[];
  slots?: number[];
  /** A digest delivery: what it lists (members' preferences). */
  digest?: DigestContent;
}

export type Outcome = { job: Job; result: SendResult };

/** A delivery that ends without a send (its integration or binding changed meanwhile). */
export interface Final extends Claimed {
  user: UserRow | null;
  reason: string;
}
