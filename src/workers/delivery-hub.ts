/**
 * DeliveryHub Durable Object, one per tenant: serves `deliveryUpdated` subscriptions over SSE
 * with its own yoga and pub/sub, and takes status changes from the consumer by RPC. The
 * Worker verifies the caller and passes the principal as an RPC argument (never a header).
 */
import { DurableObject } from 'cloudflare:workers';
import { createPubSub } from 'graphql-yoga';
import type { Principal } from '../domain/auth.ts';
import type { DeliveryUpdate } from '../domain/deliveries.ts';
import { createLogger } from '../domain/log.ts';
import { type HubPubSub, yoga } from '../graph/yoga.ts';
import { createLineAuthStore } from './clients/line-auth-store.ts';
import { createOutbox } from './clients/outbox.ts';
import { createTokens } from './clients/tokens.ts';

export class DeliveryHub extends DurableObject<Env> {
  private readonly pubsub: HubPubSub = createPubSub();

  /** Serves one GraphQL-over-SSE request for an already verified caller. */
  async subscribe(request: Request, principal: Principal, requestId: string): Promise<Response> {
    return yoga.fetch(request, {
      env: this.env,
      outbox: createOutbox(this.env),
      lineAuth: createLineAuthStore(this.env),
      tokens: createTokens(this.env),
      requestId,
      log: createLogger({ requestId, hub: principal.tenantId }),
      principal,
      pubsub: this.pubsub,
    });
  }

  /** Fans status changes out to this tenant's subscribers. */
  async publish(updates: DeliveryUpdate[]): Promise<void> {
    for (const u of updates) this.pubsub.publish('delivery', u);
  }
}
