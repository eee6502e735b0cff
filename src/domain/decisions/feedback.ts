/** What forwarding tells the chat side once WORKPLACE's answer about a decision is final. */
import type { Db } from '../../db/client.ts';
import type { DecisionRow } from './store.ts';

/**
 * Called once per terminal outcome of a decision (ACCEPTED, REFUSED or FAILED; again after a
 * `retryDecision` reaches one), with the row as recorded. It tells the member in the chat where
 * they clicked; a throw is logged and never undoes the outcome.
 */
export interface DecisionFeedback {
  outcome(db: Db, decision: DecisionRow): Promise<void>;
}
