/** The Outbox and Gate over real bindings: the delivery queue, DeliveryHub and RateGate. */
import type { Channel } from '../adapters/types.ts';
import type { DeliveryUpdate, Outbox } from '../domain/deliveries.ts';
import { type Gate, PACE_LIMITS } from '../domain/limits.ts';
import { type LineAuthStore, WEBHOOK_EVENT_TTL_MS } from '../domain/line-link/types.ts';
import { createLogger } from '../domain/log.ts';
import type { QueueMessage } from '../domain/queue-messages.ts';
import type { TokenSource } from '../domain/tokens.ts';

const PUBLISH_CHUNK = 1000;
const log = createLogger({ component: 'outbox' });

/**
 * Publishes status changes to the tenant's DeliveryHub, in chunks. Live updates are a view of
 * what D1 already holds: if the hub cannot be reached the change is logged, never failed.
 */
export async function publishUpdates(env: Env, tenantId: string, updates: DeliveryUpdate[]) {
  if (updates.length === 0) return;
  const hub = env.DELIVERY_HUB.getByName(tenantId);
  try {
    for (let i = 0; i < updates.length; i += PUBLISH_CHUNK) {
      await hub.publish(updates.slice(i, i + PUBLISH_CHUNK));
    }
  } catch (err) {
    log.warn('delivery updates not published', {
      tenantId,
      updates: updates.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

export function createOutbox(env: Env): Outbox {
  return {
    queue: env.DELIVERY_QUEUE as Queue<QueueMessage>,
    publish: (tenantId, updates) => publishUpdates(env, tenantId, updates),
  };
}

/** RateGate objects keyed by tenant and provider; the key inside says which bucket. */
export function createGate(env: Env): Gate {
  return {
    async reserve(channel: Channel, tenantId: string, requests, own) {
      const limit = own ?? PACE_LIMITS[channel];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      const keys = requests.map((r) => (limit.scope === 'tenant' ? '*' : r.key));
      return gate.reserve(keys, limit);
    },
    async hold(channel, tenantId, key, untilMs) {
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      await gate.hold(PACE_LIMITS[channel].scope === 'tenant' ? '*' : key, untilMs);
    },
    async reserveSteps(channel, tenantId, plans) {
      if (plans.length === 0) return [];
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      return gate.reserveSteps(plans);
    },
    async heldUntil(channel, tenantId, key) {
      const gate = env.RATE_GATE.getByName(`${tenantId}:${channel}`);
      return gate.heldUntil(key);
    },
  };
}

/** TokenVault objects keyed by tenant and provider (`${tenant}:LINE_WORKS`, `${tenant}:LINE`). */
export function createTokens(env: Env): TokenSource {
  const vault = (tenantId: string, provider: 'LINE_WORKS' | 'LINE') =>
    env.TOKEN_VAULT.getByName(`${tenantId}:${provider}`);
  return {
    lineWorks: (tenantId, creds, scopes, options) =>
      vault(tenantId, 'LINE_WORKS').lineWorks(creds, scopes, options),
    dropLineWorks: (tenantId, creds, scopes, token) =>
      vault(tenantId, 'LINE_WORKS').dropLineWorks(creds, scopes, token),
    lineChannel: (tenantId, channelId, channelSecret, options) =>
      vault(tenantId, 'LINE').lineChannel(channelId, channelSecret, options),
    dropLineChannel: (tenantId, channelId, channelSecret, token) =>
      vault(tenantId, 'LINE').dropLineChannel(channelId, channelSecret, token),
    forget: (tenantId, provider) => vault(tenantId, provider).forget(),
    registerLineWorksBot: (tenantId, creds, bot) =>
      vault(tenantId, 'LINE_WORKS').registerLineWorksBot(creds, bot),
  };
}

/** The tenant's LineAuth object: login states and seen webhook event ids. */
export function createLineAuthStore(env: Env): LineAuthStore {
  const auth = (tenantId: string) => env.LINE_AUTH.getByName(tenantId);
  return {
    createState: (tenantId, state, pending) => auth(tenantId).createState(state, pending),
    takeState: (tenantId, state) => auth(tenantId).takeState(state),
    seenWebhookEvent: (tenantId, eventId) =>
      auth(tenantId).seenWebhookEvent(eventId, WEBHOOK_EVENT_TTL_MS),
    forgetWebhookEvent: (tenantId, eventId) => auth(tenantId).forgetWebhookEvent(eventId),
  };
}
