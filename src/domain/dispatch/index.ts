export { dispatchBatch } from './dispatch-batch.ts';
export { markGaveUp } from './give-up.ts';
export type { DispatchDeps, QueuedMessage, Verdicts } from './types.ts';
