/**
 * Per-request dataloaders: every nested field that reads D1 (Delivery.event, Delivery.user,
 * WorkflowEvent.summary and .deliveries, the caller's own row) collects the keys asked for in
 * one turn of the event loop and reads them in one statement.
 */
import DataLoader from 'dataloader';
import type { Db } from '../db/client.ts';
import {
  deliveriesByEvent,
  type EventDeliveriesPage,
  eventsByIds,
  type Summary,
  summariesByEvent,
  usersByRowIds,
} from '../domain/batched-reads.ts';
import { proposedByUserRows, type SuggestionRow } from '../domain/binding-suggestions.ts';
import { decisionsByEvent, type EventDecisionsPage } from '../domain/decisions/store.ts';
import type { EventRow } from '../domain/deliveries.ts';
import { type Preferences, preferencesOf } from '../domain/preferences/index.ts';
import { findUsers, type UserRow } from '../domain/users.ts';

export interface EventDeliveriesKey {
  eventId: string;
  first: number;
  afterId: string | null;
  /** Only this member's deliveries (a `user` reading), or all. */
  userRowId: string | null;
}

export interface Loaders {
  event: DataLoader<string, EventRow | null>;
  userByRowId: DataLoader<string, UserRow | null>;
  userByUserId: DataLoader<string, UserRow | null>;
  summary: DataLoader<{ eventId: string; userRowId: string | null }, Summary, string>;
  eventDeliveries: DataLoader<EventDeliveriesKey, EventDeliveriesPage, string>;
  /** A member's preferences by member row id. */
  preferences: DataLoader<string, Preferences | null>;
  /** A member's PROPOSED binding suggestions, by member row id. */
  suggestionsByUserRow: DataLoader<string, SuggestionRow[]>;
  /** WorkflowEvent.decisions: the same page keys as eventDeliveries. */
  eventDecisions: DataLoader<EventDeliveriesKey, EventDecisionsPage, string>;
}

/**
 * Waits for every resolver of this turn (a whole page of parents, whose scope checks resolve
 * at different microtask depths) before reading: one macrotask, not one microtask.
 */
const batchScheduleFn = (run: () => void) => setTimeout(run, 0);

/** Keys grouped by everything but the event id, so each group is one statement. */
function groupBy<K, G>(keys: readonly K[], groupOf: (k: K) => G, id: (g: G) => string) {
  const groups = new Map<string, { group: G; keys: K[] }>();
  for (const k of keys) {
    const group = groupOf(k);
    const entry = groups.get(id(group)) ?? { group, keys: [] };
    entry.keys.push(k);
    groups.set(id(group), entry);
  }
  return [...groups.values()];
}

type PageGroup = Omit<EventDeliveriesKey, 'eventId'>;

/**
 * A loader of one page per event (WorkflowEvent.deliveries, .decisions): keys grouped by page
 * shape, one read per group.
 */
function pagesByEvent<P>(read: (eventIds: string[], group: PageGroup) => Promise<Map<string, P>>) {
  return new DataLoader<EventDeliveriesKey, P, string>(
    async (keys) => {
      const out = new Map<string, P>();
      const groups = groupBy(
        keys,
        (k) => ({ first: k.first, afterId: k.afterId, userRowId: k.userRowId }),
        (g) => JSON.stringify(g),
      );
      for (const { group, keys: ks } of groups) {
        for (const [eventId, page] of await read(
          ks.map((k) => k.eventId),
          group,
        )) {
          out.set(pageKey({ ...group, eventId }), page);
        }
      }
      return keys.map((k) => out.get(pageKey(k)) as P);
    },
    { batchScheduleFn, maxBatchSize: 500, cacheKeyFn: pageKey },
  );
}

const pageKey = (k: EventDeliveriesKey) =>
  JSON.stringify([k.eventId, k.first, k.afterId, k.userRowId]);

/** Loaders over the caller's tenant only (an empty tenant id matches no row). */
export function createLoaders(db: Db, tenantId: string): Loaders {
  const byKey = <V>(read: (ids: readonly string[]) => Promise<Map<string, V>>) =>
    new DataLoader<string, V | null>(
      async (ids) => {
        const found = await read(ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { batchScheduleFn, maxBatchSize: 500 },
    );
  return {
    event: byKey((ids) => eventsByIds(db, tenantId, ids)),
    userByRowId: byKey((ids) => usersByRowIds(db, tenantId, ids)),
    userByUserId: byKey(
      async (ids) => new Map((await findUsers(db, tenantId, ids)).map((u) => [u.userId, u])),
    ),
    preferences: byKey((ids) => preferencesOf(db, tenantId, ids)),
    summary: new DataLoader(
      async (keys) => {
        const out = new Map<string, Summary>();
        for (const { group, keys: ks } of groupBy(keys, (k) => k.userRowId, String)) {
          const ids = ks.map((k) => k.eventId);
          for (const [id, s] of await summariesByEvent(db, tenantId, ids, group)) {
            out.set(`${id}|${group}`, s);
          }
        }
        return keys.map((k) => out.get(`${k.eventId}|${k.userRowId}`) as Summary);
      },
      { batchScheduleFn, maxBatchSize: 500, cacheKeyFn: (k) => `${k.eventId}|${k.userRowId}` },
    ),
    eventDeliveries: pagesByEvent((ids, group) => deliveriesByEvent(db, tenantId, ids, group)),
    suggestionsByUserRow: new DataLoader(
      async (ids) => {
        const found = await proposedByUserRows(db, tenantId, ids);
        return ids.map((id) => found.get(id) ?? []);
      },
      { batchScheduleFn, maxBatchSize: 500 },
    ),
    eventDecisions: pagesByEvent((ids, group) => decisionsByEvent(db, tenantId, ids, group)),
  };
}

/** Drops every cached read but the caller's own row (kept: it decides what they may see). */
export function forgetReads(loaders: Loaders) {
  loaders.event.clearAll();
  loaders.userByRowId.clearAll();
  loaders.summary.clearAll();
  loaders.eventDeliveries.clearAll();
  loaders.preferences.clearAll();
  loaders.suggestionsByUserRow.clearAll();
  loaders.eventDecisions.clearAll();
}
