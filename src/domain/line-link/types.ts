/**
 * What LINE member linking needs and keeps (PROVIDERS.md, LINE): the environment, the pending
 * logins and seen webhook event ids of the tenant's LineAuth object, and what a webhook event
 * handler is given. Shared by login.ts, webhook.ts and the event handlers.
 */
import type { Db } from '../../db/client.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { Logger } from '../log.ts';
import type { TokenSource } from '../tokens.ts';

/** How long a login state may wait for its callback. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
/** How long a webhook event id is remembered for deduplication. */
export const WEBHOOK_EVENT_TTL_MS = 24 * 60 * 60_000;
/** A LINE userId as LINE Login and the Messaging API give it. */
export const LINE_USER_ID = /^U[0-9a-f]{32}$/;
/** Every LINE call made while linking gives up after this long. */
export const LINE_LINK_TIMEOUT_MS = 10_000;

/** A login started by `startLineLogin`, waiting for LINE's redirect. */
export interface PendingLogin {
  nonce: string;
  /** The PKCE code verifier (never leaves the service). */
  verifier: string;
  /** The member's row id and WORKPLACE user id. */
  userRowId: string;
  userId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Single-use login states and webhook event ids, per tenant (the LineAuth Durable Object in
 * production; see src/workers/line-auth.ts).
 */
export interface LineAuthStore {
  createState(tenantId: string, state: string, pending: PendingLogin): Promise<void>;
  /** The pending login under `state`, deleted in the same step; null when unknown or expired. */
  takeState(tenantId: string, state: string): Promise<PendingLogin | null>;
  /** Records a webhook event id; true when it had been recorded before (a redelivery). */
  seenWebhookEvent(tenantId: string, eventId: string): Promise<boolean>;
  /** Forgets a webhook event id whose handling failed, so LINE's redelivery is processed. */
  forgetWebhookEvent(tenantId: string, eventId: string): Promise<void>;
}

/** What the LINE routes and resolvers need from the environment. */
export interface LineEnv {
  SECRETS_KEY: string;
  PUBLIC_BASE_URL: string;
  LINE_API_BASE: string;
  LINE_ACCESS_BASE: string;
}

/** A webhook event from a LINE user (`source.userId` checked), as a handler receives it. */
export interface LineUserEvent {
  type: string;
  webhookEventId?: unknown;
  replyToken?: unknown;
  source: { type?: unknown; userId: string };
}

/** What a webhook event handler may use: the tenant's database, LINE credentials and tokens. */
export interface WebhookContext {
  db: Db;
  env: LineEnv;
  creds: IntegrationCredentials | null;
  tokens: TokenSource;
  log: Logger;
  tenantId: string;
}

/**
 * Handles one event (after the signature check and deduplication); true when it changed
 * something. `eventId` is LINE's `webhookEventId` when it sent one.
 */
export type WebhookEventHandler = (
  ctx: WebhookContext,
  event: LineUserEvent,
  eventId: string | null,
) => Promise<boolean>;
