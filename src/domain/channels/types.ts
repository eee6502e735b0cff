/**
 * One driver per delivery channel: what a member needs to be reachable, how sends are paced
 * and performed, and what a result teaches about the member's binding. The dispatcher and
 * the router stay channel-agnostic; a new channel adds a driver to ./index.ts.
 */
import type { Notification, SendResult } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { Gate, PaceLimit, PaceStep } from '../limits.ts';
import type { TokenSource } from '../tokens.ts';
import type { UserRow } from '../users.ts';

/** Provider bases and the secrets key: the part of `Env` the dispatcher reads. */
export type DispatchEnv = Pick<
  Env,
  | 'SECRETS_KEY'
  | 'SLACK_API_BASE'
  | 'GOOGLE_CHAT_WEBHOOK_ORIGIN'
  | 'LINE_API_BASE'
  | 'LINE_WORKS_AUTH_BASE'
  | 'LINE_WORKS_API_BASE'
  | 'WORKPLACE_WEBHOOK_URL'
>;

/** What a driver may use while sending (bindings to Durable Objects are passed in, not read). */
export interface SendContext {
  env: DispatchEnv;
  tenantId: string;
  timeoutMs: number;
  gate: Gate;
  /** Provider access tokens (TokenVault) for channels that need them. */
  tokens: TokenSource;
}

export interface SendInput {
  user: UserRow;
  credentials: IntegrationCredentials;
  message: Notification;
  deliveryId: string;
  /** Waits for this delivery's RateGate slot; hand it to the adapter (SendRequest.pace). */
  pace: () => Promise<void>;
  /**
   * For a step before `pace`'s: resolves when a call reserved for `at` (ms since epoch) may go,
   * with whether it had to wait (domain/dispatch/slot-waves.ts).
   */
  waitUntil: (at: number) => Promise<boolean>;
  /** With paceSteps: the reserved time of each step, in order (the last one is `pace`'s). */
  slots?: number[];
}

/** What a quota hook may use: a send's context plus D1, where the allowance is kept. */
export interface QuotaContext extends SendContext {
  db: Db;
}

/** Room claimed for one batch's sends; `state` is the hook's own bookkeeping. */
export interface QuotaClaim {
  granted: number;
  /** Why the sends past `granted` end FAILED without a request (admin words, no figures). */
  reason: string;
  state: unknown;
}

/**
 * A provider allowance shared by all of a tenant's sends on a channel (LINE's monthly message
 * quota). The dispatcher claims room before a batch's sends and settles after them.
 */
export interface ChannelQuota {
  claim(ctx: QuotaContext, count: number): Promise<QuotaClaim>;
  /** Gives back unused room, records what the results said, reads the allowance when due. */
  settle(
    ctx: QuotaContext,
    claim: QuotaClaim,
    results: readonly SendResult[],
    credentials: IntegrationCredentials,
  ): Promise<void>;
}

export interface ChannelDriver {
  /** Why the member cannot receive on this channel now (admin words), or null. */
  unreachable(user: UserRow): string | null;
  /**
   * Why the tenant's integration cannot deliver although it is enabled (e.g. no LINE WORKS Bot
   * ID yet), in admin words, or null. Optional: most channels need nothing beyond the switch.
   */
  integrationProblem?(settings: Record<string, unknown>): string | null;
  /** The tenant's own pacing when its plan differs from PACE_LIMITS; optional. */
  paceLimit?(settings: Record<string, unknown>): PaceLimit | undefined;
  /** The RateGate key for this member (its target), when the limit is per target. */
  paceKey(user: UserRow): string;
  /**
   * Instead of one slot on paceKey: the rate-limited calls one send makes, each paced on its
   * own keys (Slack: conversations.open per workspace, then chat.postMessage per channel and
   * per workspace). Optional.
   */
  paceSteps?(user: UserRow, settings: Record<string, unknown>): PaceStep[];
  send(ctx: SendContext, input: SendInput): Promise<SendResult>;
  /** The channel's shared allowance, when it has one; optional. */
  quota?: ChannelQuota;
  /**
   * Whether messages on this channel can carry decision buttons: the platform can send the click
   * back and Renkei can verify it (Slack: a signing secret; LINE WORKS: the Bot Secret).
   * Absent: never (Google Chat's incoming webhooks are one-way).
   */
  offersDecisions?(credentials: IntegrationCredentials): boolean;
  /** Binding changes a result implies (a learned DM channel, a broken webhook), or null. */
  bindingChanges(user: UserRow, result: SendResult): Partial<UserRow> | null;
}
