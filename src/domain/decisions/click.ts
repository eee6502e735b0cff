/**
 * A button click, whatever the platform (DECISIONS.md, "Rules"): the value names a delivery and
 * an action, but only the signed request's user decides — they must be that delivery's member,
 * matched by the platform's own id (Slack member id and the integration's team id, LINE userId,
 * LINE WORKS resource id). One decision per (event, member), the first wins; a later event for
 * the document closes the actions. A refused click changes nothing but the audit log.
 */
import type { Channel } from '../../adapters/types.ts';
import type { Db } from '../../db/client.ts';
import type { deliveries, workflowEvents } from '../../db/schema.ts';
import { auditStatement } from '../audit.ts';
import { getDelivery } from '../deliveries.ts';
import { getUserByRowId, type UserRow } from '../users.ts';
import { getEvent } from '../workflow-events.ts';
import { decodeButtonValue } from './button-value.ts';
import { eventActions, isSuperseded } from './event-actions.ts';
import {
  type DecisionAction,
  type DecisionRow,
  enqueueDecision,
  findDecision,
  recordDecision,
} from './store.ts';

type DeliveryRow = typeof deliveries.$inferSelect;
type EventRow = typeof workflowEvents.$inferSelect;

/** Who clicked, as the signed request names them. */
export type Clicker =
  | { channel: 'SLACK'; slackUserId: string; slackTeamId: string }
  | { channel: 'LINE'; lineUserId: string }
  | { channel: 'LINE_WORKS'; resourceId: string; domainId: string };

export interface ClickDeps {
  db: Db;
  secretsKey: string;
  queue: Queue;
  /** The clicked channel's integration settings (Slack: the verified `teamId`). */
  settings: Record<string, unknown>;
  /**
   * LINE WORKS: the member's permanent resource id, from the cache on the member or learned
   * with `GET /users/{loginId}` (and cached); null when it cannot be learned now.
   */
  lineWorksResourceId?: (member: UserRow) => Promise<string | null>;
}

export type ClickOutcome =
  /** With `check`: the click would be recorded (Slack opens the comment modal first). */
  | { kind: 'allowed'; member: UserRow; delivery: DeliveryRow; action: DecisionAction }
  | { kind: 'recorded'; decision: DecisionRow; member: UserRow; delivery: DeliveryRow }
  /** The member had decided already: what and when. */
  | { kind: 'decided'; decision: DecisionRow; member: UserRow; delivery: DeliveryRow }
  | { kind: 'closed'; member: UserRow; delivery: DeliveryRow }
  /** `invalid`: no such button (malformed, altered, unknown); `not-recipient`: someone else. */
  | { kind: 'refused'; why: 'invalid' | 'not-recipient'; member: UserRow | null };

export interface ClickInput {
  clicker: Clicker;
  value: unknown;
  comment?: string | null;
  /** Only check whether the click may decide; record nothing (the Slack modal opens first). */
  check?: boolean;
  /** The action the platform says was clicked (Slack's action_id): the value must agree. */
  expectedAction?: DecisionAction;
}

const ACTOR: Record<Clicker['channel'], string> = {
  SLACK: 'slack',
  LINE: 'line',
  LINE_WORKS: 'line-works',
};

/** The platform user of a click, for the audit entry of a refusal. */
function clickerId(c: Clicker): string {
  if (c.channel === 'SLACK') return `${c.slackTeamId}/${c.slackUserId}`;
  if (c.channel === 'LINE') return c.lineUserId;
  return c.resourceId;
}

async function refuse(
  deps: ClickDeps,
  tenantId: string,
  input: ClickInput,
  why: 'invalid' | 'not-recipient',
  reason: string,
  member: UserRow | null,
  delivery: DeliveryRow | null,
): Promise<ClickOutcome> {
  await auditStatement(deps.db, {
    tenantId,
    actor: ACTOR[input.clicker.channel],
    action: 'decision.refused',
    target: delivery?.id ?? null,
    detail: {
      channel: input.clicker.channel,
      reason,
      by: clickerId(input.clicker).slice(0, 200),
      ...(member ? { recipient: member.userId } : {}),
    },
  });
  return { kind: 'refused', why, member };
}

/** Whether the signed request's user is the delivery's member on that platform. */
async function isRecipient(deps: ClickDeps, clicker: Clicker, member: UserRow): Promise<boolean> {
  if (clicker.channel === 'SLACK') {
    const teamId = typeof deps.settings.teamId === 'string' ? deps.settings.teamId : '';
    // Without a verified team id Renkei cannot tell its workspace from another: refuse.
    return (
      teamId !== '' &&
      clicker.slackTeamId === teamId &&
      !!member.slackMemberId &&
      clicker.slackUserId === member.slackMemberId
    );
  }
  if (clicker.channel === 'LINE') {
    return !!member.lineUserId && clicker.lineUserId === member.lineUserId;
  }
  const domainId = deps.settings.domainId == null ? '' : String(deps.settings.domainId);
  if (clicker.domainId && domainId && clicker.domainId !== domainId) return false;
  const resourceId =
    member.lineWorksResourceId ?? (await deps.lineWorksResourceId?.(member)) ?? null;
  return !!resourceId && clicker.resourceId === resourceId;
}

/**
 * Decides what a click does: refused (nothing recorded but an audit entry), already decided,
 * closed, or recorded and put on the queue for WORKPLACE (`check`: only whether it may be).
 */
export async function handleClick(
  deps: ClickDeps,
  tenantId: string,
  input: ClickInput,
): Promise<ClickOutcome> {
  const { db } = deps;
  const named = await decodeButtonValue(deps.secretsKey, tenantId, input.value);
  // A value that names no button of this tenant is not a decision attempt: answered, not
  // audited (junk must not fill the audit log).
  if (!named || (input.expectedAction && input.expectedAction !== named.action)) {
    return { kind: 'refused', why: 'invalid', member: null };
  }
  const delivery = await getDelivery(db, tenantId, named.deliveryId);
  if (!delivery || delivery.channel !== (input.clicker.channel as Channel)) {
    return { kind: 'refused', why: 'invalid', member: null };
  }
  const [event, member] = await Promise.all([
    getEvent(db, tenantId, delivery.eventId),
    getUserByRowId(db, tenantId, delivery.userRowId),
  ]);
  if (!event || !member || !eventActions(event).includes(named.action)) {
    return refuse(
      deps,
      tenantId,
      input,
      'invalid',
      'the event offers no such action',
      null,
      delivery,
    );
  }
  if (!(await isRecipient(deps, input.clicker, member))) {
    return refuse(
      deps,
      tenantId,
      input,
      'not-recipient',
      'the clicking user is not the recipient',
      member,
      delivery,
    );
  }
  const earlier = await findDecision(db, tenantId, event.id, member.id);
  if (earlier) return { kind: 'decided', decision: earlier, member, delivery };
  if (await isSuperseded(db, event)) return { kind: 'closed', member, delivery };
  if (input.check) return { kind: 'allowed', member, delivery, action: named.action };
  return record(deps, tenantId, event, member, delivery, named.action, input);
}

async function record(
  deps: ClickDeps,
  tenantId: string,
  event: EventRow,
  member: UserRow,
  delivery: DeliveryRow,
  action: DecisionAction,
  input: ClickInput,
): Promise<ClickOutcome> {
  const { decision, created } = await recordDecision(deps.db, {
    tenantId,
    eventId: event.id,
    userRowId: member.id,
    deliveryId: delivery.id,
    action,
    channel: input.clicker.channel,
    comment: input.comment ?? null,
  });
  if (!created) return { kind: 'decided', decision, member, delivery };
  await enqueueDecision(deps.queue, tenantId, decision.id);
  return { kind: 'recorded', decision, member, delivery };
}
