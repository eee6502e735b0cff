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

/** D1 statements run and round trips made through one counted binding. */
export interface D1Usage {
  statements: number;
  roundTrips: number;
}

const UNWRAP = Symbol('d1 statement');

/**
 * `d1` with every statement counted into `usage` (a batch is one round trip of N statements):
 * D1 allows 1,000 statements per Worker invocation, so a request's count is worth watching.
 */
export function countingD1(d1: D1Database, usage: D1Usage): D1Database {
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const ran = <T>(result: Promise<T>) => {
      usage.statements += 1;
      usage.roundTrips += 1;
      return result;
    };
    return {
      [UNWRAP]: stmt,
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: (column?: string) => ran(column === undefined ? stmt.first() : stmt.first(column)),
      run: () => ran(stmt.run()),
      all: () => ran(stmt.all()),
      raw: (options?: { columnNames?: boolean }) => ran(stmt.raw(options as never)),
    } as unknown as D1PreparedStatement;
  };
  const unwrap = (stmt: D1PreparedStatement) =>
    (stmt as unknown as { [UNWRAP]?: D1PreparedStatement })[UNWRAP] ?? stmt;
  return {
    prepare: (query: string) => wrap(d1.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => {
      usage.statements += statements.length;
      usage.roundTrips += 1;
      return d1.batch(statements.map(unwrap));
    },
    exec: (query: string) => {
      usage.statements += 1;
      usage.roundTrips += 1;
      return d1.exec(query);
    },
    withSession: (constraint?: string) => d1.withSession(constraint as never),
    dump: () => d1.dump(),
  } as D1Database;
}
