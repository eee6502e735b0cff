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
  /** A wake-up for a HELD delivery whose quiet hours or digest time has come. */
  held?: true;
}

/** A calendar job on the delivery queue: the absence row id, never its content. */
export interface AbsenceMessage {
  kind: 'absence';
  tenantId: string;
  absenceRowId: string;
  /** Set when the job was deferred for pacing: its slot is already reserved. */
  slotAt?: number;
}

/** One step of a findBindings run (`binding_discoveries`): its id and step, never members. */
export interface DiscoveryMessage {
  kind: 'discovery';
  tenantId: string;
  discoveryId: string;
  /** The run's step this message is for; a message for another step is stale and dropped. */
  step: number;
}

/** A decision to forward to WORKPLACE: the decision row id, never its content. */
export interface DecisionMessage {
  kind: 'decision';
  tenantId: string;
  decisionId: string;
}

/**
 * A chat message about a decision (DECISIONS.md, "Feedback in the chat"): ids and short texts
 * already in the member's words, never a secret.
 * - `slack-refresh`: re-render the delivery's Slack message for its current state (received,
 *   accepted, refused, closed) without buttons, by chat.update.
 * - `slack-ephemeral`: a refusal of the click itself, seen only by the clicker.
 * - `line-works-text`: a bot message to a LINE WORKS user (resource id).
 */
export type ChatJob =
  | { type: 'slack-refresh'; deliveryId: string }
  | { type: 'slack-ephemeral'; channel: string; user: string; text: string }
  | { type: 'line-works-text'; userId: string; text: string };

export interface ChatMessage {
  kind: 'chat';
  tenantId: string;
  job: ChatJob;
  /** Set when the job was deferred for pacing: its slot is already reserved. */
  slotAt?: number;
}

/**
 * Everything the delivery queue carries: delivery ids, calendar jobs (`kind: 'absence'`),
 * binding discovery steps (`kind: 'discovery'`), decisions to forward (`kind: 'decision'`) and
 * chat feedback on decisions (`kind: 'chat'`).
 */
export type QueueMessage =
  | DeliveryMessage
  | AbsenceMessage
  | DiscoveryMessage
  | DecisionMessage
  | ChatMessage;

/** Which kind of job a message is: the consumer hands each kind to its own handler. */
export type QueueMessageKind = NonNullable<QueueMessage['kind']>;

export function kindOf(body: QueueMessage): QueueMessageKind {
  return body.kind ?? 'delivery';
}
