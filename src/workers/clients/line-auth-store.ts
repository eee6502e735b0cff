import { type LineAuthStore, WEBHOOK_EVENT_TTL_MS } from '../../domain/line-link/types.ts';

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
