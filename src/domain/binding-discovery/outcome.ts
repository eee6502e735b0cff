import type { DiscoveryRow } from './store.ts';

/** A suggestion a step found, written when the step commits. */
export interface Found {
  userRowId: string;
  externalId: string;
  externalName: string | null;
}

/** What one step did: counters to add, where to go on, and how the run continues. */
export interface StepOutcome {
  checked: number;
  found: number;
  notFound: number;
  suggestions: Found[];
  cursor: string | null;
  /** The whole directory or every member was searched. */
  done: boolean;
  /** The run cannot go on (admin words: a missing scope, a revoked token). */
  error?: string;
  /** A transient failure: the step counts an attempt and the next one waits `deferSeconds`. */
  transient?: string;
  /** The next step waits this long on the queue (a far slot, a 429's Retry-After). */
  deferSeconds?: number;
}

export const nothing = (run: DiscoveryRow): StepOutcome => ({
  checked: 0,
  found: 0,
  notFound: 0,
  suggestions: [],
  cursor: run.cursor,
  done: false,
});
