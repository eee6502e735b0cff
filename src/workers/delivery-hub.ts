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

/** An EventTarget that knows whether anyone listens (each subscription adds one listener). */
class ListenedTarget extends EventTarget {
  private readonly live = new Set<unknown>();

  get listened(): boolean {
    return this.live.size > 0;
  }

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>) {
    this.live.add(args[1]);
    super.addEventListener(...args);
  }

  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>) {
    this.live.delete(args[1]);
    super.removeEventListener(...args);
  }
}

export class DeliveryHub extends DurableObject<Env> {
  private readonly target = new ListenedTarget();
  private readonly pubsub: HubPubSub = createPubSub({ eventTarget: this.target });

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

  /**
   * Whether any subscriber listens now: a publisher asks first, so with none the updates are
   * never serialized over RPC (a fan-out to 1,000 members publishes each delivery three times).
   */
  async listened(): Promise<boolean> {
    return this.target.listened;
  }

  /** Fans status changes out to this tenant's subscribers; with none, no event is built. */
  async publish(updates: DeliveryUpdate[]): Promise<void> {
    if (!this.target.listened) return;
    for (const u of updates) this.pubsub.publish('delivery', u);
  }
}
