/** Test helpers for members' preferences: the preferences clock, the cron, emits and reads. */
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import worker from '../src/workers/index.ts';
import { gql } from './helpers.ts';
import { EMIT, type Setup } from './pipeline.ts';

export const PREFS = `preferences { channels { type channel enabled } quietHours { start end days timeZone }
  digest { types at timeZone } }`;
export const UPDATE = `mutation ($i: UpdateMyPreferencesInput!) { updateMyPreferences(input: $i) {
  user { userId ${PREFS} } errors { code message field } } }`;
export const ME = `{ me { ${PREFS} } }`;
export const SUB = `subscription ($userId: String) { deliveryUpdated(userId: $userId) {
  id status channel heldUntil items digest { id } user { userId } } }`;

/** Puts the preferences clock at `iso` (real time keeps running from there). */
export function setClock(iso: string) {
  (env as { CLOCK_OFFSET_MS?: string }).CLOCK_OFFSET_MS = String(Date.parse(iso) - Date.now());
}

export async function cron(at: string) {
  setClock(at);
  await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
}

/** Back to the real clock (after each test). */
export function resetClock() {
  (env as { CLOCK_OFFSET_MS?: string }).CLOCK_OFFSET_MS = '0';
}

export async function emitType(
  s: Setup,
  recipients: string[],
  type: string,
  documentId: string,
  title = `Document ${documentId}`,
) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type,
        documentId,
        title,
        url: `https://workplace.example/wf/${documentId}`,
        recipients,
      },
    },
    s.service,
  );
  expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
  return r.data?.emitWorkflowEvent.event.id as string;
}

export const EVENT_DELIVERIES = `query ($id: ID!) { workflowEvent(id: $id) { deliveries(first: 20) { edges { node {
  id channel status reason heldUntil items user { userId } } } } } }`;

export async function deliveriesOf(s: Setup, eventId: string) {
  const r = await gql(EVENT_DELIVERIES, { id: eventId }, s.admin);
  return r.data?.workflowEvent.deliveries.edges.map((e: any) => e.node) as any[];
}
