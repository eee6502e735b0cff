export { DRIVERS } from './registry.ts';
export type * from './types.ts';
