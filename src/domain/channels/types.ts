/**
 * One driver per delivery channel: what a member needs to be reachable, how sends are paced
 * and performed, and what a result teaches about the member's binding. The dispatcher and
 * the router stay channel-agnostic; a new channel adds a driver to ./index.ts.
 */
import type { Notification, SendResult } from '../../adapters/types.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { Gate } from '../limits.ts';
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
>;

/** What a driver may use while sending (bindings to Durable Objects are passed in, not read). */
export interface SendContext {
  env: DispatchEnv;
  tenantId: string;
  timeoutMs: number;
  gate: Gate;
}

export interface SendInput {
  user: UserRow;
  credentials: IntegrationCredentials;
  message: Notification;
  deliveryId: string;
}

export interface ChannelDriver {
  /** Why the member cannot receive on this channel now (admin words), or null. */
  unreachable(user: UserRow): string | null;
  /** The RateGate key for this member (its target), when the limit is per target. */
  paceKey(user: UserRow): string;
  send(ctx: SendContext, input: SendInput): Promise<SendResult>;
  /** Binding changes a result implies (a learned DM channel, a broken webhook), or null. */
  bindingChanges(user: UserRow, result: SendResult): Partial<UserRow> | null;
}
