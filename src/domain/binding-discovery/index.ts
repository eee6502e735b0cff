/**
 * findBindings (issue 15): finds members' Slack and LINE WORKS accounts by their email and
 * proposes each match as a BindingSuggestion. A run is a row in `binding_discoveries` and a chain
 * of queue messages, one per step; each step claims the run (lease), makes the provider calls it
 * can within a time budget, each on its RateGate slot, and commits the suggestions and the new
 * cursor and counters in one batch that only lands while the run is still on that step. So a
 * lost or repeated message neither duplicates nor loses work, and the cron sweep
 * (sweep.ts) resumes a run whose chain broke from its stored cursor.
 *
 * Strategy (chooseStrategy): one lookup per member (Slack `users.lookupByEmail` at Tier 3, LINE
 * WORKS `GET /users/{email}`) or paging the whole directory (Slack `users.list` at Tier 2, 200 a
 * page; LINE WORKS `GET /users`, 100 a page), whichever takes fewer minutes at the provider's
 * limits, with the tenant's member count as the estimate of the directory's size.
 *
 * LINE WORKS and the default id: a member without an explicit `lineWorksUserId` is sent to with
 * their WORKPLACE user id; such members are the ones searched. When the account found is the one
 * that default already reaches (its resource id or login id equals the WORKPLACE user id), the
 * member counts as found but gets no suggestion: confirming would change nothing.
 */

export type { DiscoveryDeps, DiscoveryEnv, DiscoveryVerdict } from './deps.ts';
export { LOOKUP_CHUNK, STEP_BUDGET_MS } from './deps.ts';
export { chooseStrategy, directoryRates, startDiscovery } from './start.ts';
export { runDiscoveryStep, runDiscoverySteps } from './step.ts';
export type { DiscoveryChannel, DiscoveryRow } from './store.ts';
