/**
 * The queue contract: what the delivery queue carries (wrangler.toml `renkei-deliveries` and its
 * dead-letter queue). Ids, never payloads; each message names its tenant, so a consumer batch can
 * be split by shard.
 */

/** What the delivery queue carries: ids, never payloads. */
export interface DeliveryMessage {
  /** Absent on messages sent before kinds were named: a message without a kind is a delivery. */
  kind?: 'delivery';
  tenantId: string;
  deliveryId: string;
  /** Set when the message was deferred for pacing: its slot is already reserved. */
  slotAt?: number;
  /** With a driver's paceSteps: the reserved time of each step (RateGate.reserveSteps). */
  slots?: number[];
}

/** A calendar job on the delivery queue: the absence row id, never its content. */
export interface AbsenceMessage {
  kind: 'absence';
  tenantId: string;
  absenceRowId: string;
  /** Set when the job was deferred for pacing: its slot is already reserved. */
  slotAt?: number;
}

/** A decision to forward to WORKPLACE: the decision row id, never its content. */
export interface DecisionMessage {
  kind: 'decision';
  tenantId: string;
  decisionId: string;
}

/**
 * Everything the delivery queue carries: delivery ids, calendar jobs (`kind: 'absence'`) and
 * decisions to forward (`kind: 'decision'`).
 */
export type QueueMessage = DeliveryMessage | AbsenceMessage | DecisionMessage;

/** Which kind of job a message is: the consumer hands each kind to its own handler. */
export type QueueMessageKind = NonNullable<QueueMessage['kind']>;

export function kindOf(body: QueueMessage): QueueMessageKind {
  return body.kind ?? 'delivery';
}
