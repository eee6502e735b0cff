import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

/** drizzle over D1; `$client` is the raw binding for statements drizzle cannot batch. */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

/** A drizzle handle over the D1 binding. */
export function openDb(d1: D1Database): Db {
  return drizzle(d1, { schema });
}

/**
 * `column IN (ids…)` with the ids as one JSON parameter: D1 allows 100 bound parameters per
 * statement, and a queue batch alone brings 100 ids.
 */
export function inJson(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;
}
