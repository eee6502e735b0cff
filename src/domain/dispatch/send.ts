/**
 * Step 4, send: every ready job through its channel's driver at once, each waiting for its
 * reserved slot. An adapter that throws does not lose the delivery: it is retried.
 */
import type { Channel, DecisionButton, Notification, SendResult } from '../../adapters/types.ts';
import { encodeButtonValue } from '../decisions/button-value.ts';
import { eventActions } from '../decisions/event-actions.ts';
import type { EventRow } from '../deliveries.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import type { UserRow } from '../users.ts';
import { type SlotWaiter, slotWaiter } from './slot-waves.ts';
import type { DispatchDeps, Job, Outcome } from './types.ts';

/**
 * Sends `jobs` concurrently, each at its slot (the slots' waits shared, see slot-waves.ts); a job
 * whose event is gone fails without a request.
 */
export function sendAll(
  deps: DispatchDeps,
  tenantId: string,
  jobs: readonly Job[],
  credentials: Map<Channel, IntegrationCredentials | null>,
  events: Map<string, EventRow>,
): Promise<Outcome[]> {
  const wait = slotWaiter();
  const notification = sharedNotifications();
  return Promise.all(
    jobs.map(async (job): Promise<Outcome> => {
      const event = events.get(job.row.eventId);
      if (!event)
        return {
          job,
          result: { kind: 'failed', scope: 'message', reason: 'the event was deleted' },
        };
      const item: SendItem = {
        job,
        creds: credentials.get(job.channel) as IntegrationCredentials,
        notification: notification(event, job.user),
        event,
      };
      return { job, result: await send(deps, tenantId, item, wait) };
    }),
  );
}

/**
 * One Notification object per event and locale for a batch's sends: the members told the same
 * thing share it, so an adapter that renders by object (Slack) renders it once.
 */
function sharedNotifications() {
  const made = new Map<string, Notification>();
  return (event: EventRow, user: UserRow): Notification => {
    const key = `${event.id}|${user.locale}`;
    let n = made.get(key);
    if (!n) {
      n = notificationOf(event, user);
      made.set(key, n);
    }
    return n;
  };
}

/** What one member is told about an event, in their locale (no buttons: see decisionButtons). */
export function notificationOf(event: EventRow, user: UserRow): Notification {
  return {
    type: event.type as Notification['type'],
    locale: user.locale as Notification['locale'],
    documentId: event.documentId,
    title: event.title,
    url: event.url,
    actorName: event.actorName,
    comment: event.comment,
    test: event.isTest,
  };
}

/**
 * The decision buttons of one delivery: the event's actions, where decisions can reach WORKPLACE
 * and the channel can verify the click (DECISIONS.md); none otherwise (the link only).
 */
async function decisionButtons(
  deps: DispatchDeps,
  tenantId: string,
  job: Job,
  creds: IntegrationCredentials,
  event: EventRow,
): Promise<DecisionButton[]> {
  if (event.isTest || !deps.env.WORKPLACE_WEBHOOK_URL) return [];
  if (!job.driver.offersDecisions?.(creds)) return [];
  return Promise.all(
    eventActions(event).map(async (action) => ({
      action,
      value: await encodeButtonValue(deps.env.SECRETS_KEY, tenantId, job.row.id, action),
    })),
  );
}

/** One send: the job, its channel's credentials, its event and the notification it shares. */
interface SendItem {
  job: Job;
  creds: IntegrationCredentials;
  notification: Notification;
  event: EventRow;
}

/**
 * The message of one delivery: the shared notification itself, or a copy with what is this
 * delivery's own (a digest's items, decision buttons naming the delivery).
 */
async function messageOf(
  deps: DispatchDeps,
  tenantId: string,
  { job, creds, notification, event }: SendItem,
): Promise<Notification> {
  // A digest folds several events: it links to each, and offers no decision buttons.
  if (job.digest) return { ...notification, digest: job.digest };
  const decisions = await decisionButtons(deps, tenantId, job, creds, event);
  return decisions.length > 0 ? { ...notification, decisions } : notification;
}

async function send(
  deps: DispatchDeps,
  tenantId: string,
  item: SendItem,
  wait: SlotWaiter,
): Promise<SendResult> {
  const { job, creds } = item;
  try {
    return await job.driver.send(
      { env: deps.env, tenantId, timeoutMs: deps.timeoutMs, gate: deps.gate, tokens: deps.tokens },
      {
        user: job.user,
        credentials: creds,
        message: await messageOf(deps, tenantId, item),
        deliveryId: job.row.id,
        pace: async () => {
          await wait(job.slotAt);
        },
        waitUntil: wait,
        ...(job.slots ? { slots: job.slots } : {}),
      },
    );
  } catch (err) {
    // An adapter bug must not lose the delivery: retry, and the DLQ ends it if it persists.
    return { kind: 'retry', reason: `internal error: ${(err as Error).message ?? 'unknown'}` };
  }
}
