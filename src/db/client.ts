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

/**
 * `column = tenantId` that SQLite will not answer from an index: for statements that look rows
 * up by primary key (`inJson(table.id, ids)`). Given a plain `tenant_id = ?` next to `id IN
 * (json_each …)`, SQLite walks the tenant's index instead — every row of the tenant, each one
 * a row D1 reads (and bills) — rather than the ids' primary keys.
 */
export function sameTenant(column: AnyColumn, tenantId: string): SQL {
  return sql`+${column} = ${tenantId}`;
}

/**
 * D1 statements run and round trips made through one counted binding, and the rows D1 reports
 * reading and writing (`meta.rows_read` / `rows_written`, what D1 bills) when metering (below):
 * statements drizzle runs with `raw()` or `first()` report no meta otherwise.
 */
export interface D1Usage {
  statements: number;
  roundTrips: number;
  rowsRead?: number;
  rowsWritten?: number;
}

const UNWRAP = Symbol('d1 statement');

type Meta = { meta?: { rows_read?: number; rows_written?: number } };

/**
 * `d1` with every statement counted into `usage` (a batch is one round trip of N statements):
 * D1 allows 1,000 statements per Worker invocation, so a request's count is worth watching.
 *
 * With `meter`, `raw()` and `first()` run as `all()` (which carries D1's meta) and their rows are
 * shaped as raw() / first() would return them — the mapping drizzle itself applies to batch
 * results — so every statement's rows read and written are counted. For benchmarks
 * (`D1_METER=rows`); production keeps the plain calls.
 */
export function countingD1(d1: D1Database, usage: D1Usage, meter = false): D1Database {
  const addMeta = (result: unknown) => {
    const meta = (result as Meta | null)?.meta;
    if (meter && meta) {
      usage.rowsRead = (usage.rowsRead ?? 0) + (meta.rows_read ?? 0);
      usage.rowsWritten = (usage.rowsWritten ?? 0) + (meta.rows_written ?? 0);
    }
    return result;
  };
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const ran = <T>(result: Promise<T>) => {
      usage.statements += 1;
      usage.roundTrips += 1;
      return result.then(addMeta) as Promise<T>;
    };
    const metered = () => ran(stmt.all<Record<string, unknown>>()).then((r) => r.results);
    return {
      [UNWRAP]: stmt,
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: (column?: string) => {
        if (meter) {
          return metered().then((rows) => {
            const row = rows[0] ?? null;
            return column === undefined ? row : (row?.[column] ?? null);
          });
        }
        return ran(column === undefined ? stmt.first() : stmt.first(column));
      },
      run: () => ran(stmt.run()),
      all: () => ran(stmt.all()),
      raw: (options?: { columnNames?: boolean }) => {
        if (meter) {
          return metered().then((rows) => {
            const values = rows.map((row) => Object.values(row));
            return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...values] : values;
          });
        }
        return ran(stmt.raw(options as never));
      },
    } as unknown as D1PreparedStatement;
  };
  const unwrap = (stmt: D1PreparedStatement) =>
    (stmt as unknown as { [UNWRAP]?: D1PreparedStatement })[UNWRAP] ?? stmt;
  return {
    prepare: (query: string) => wrap(d1.prepare(query)),
    batch: async (statements: D1PreparedStatement[]) => {
      usage.statements += statements.length;
      usage.roundTrips += 1;
      const results = await d1.batch(statements.map(unwrap));
      for (const r of results) addMeta(r);
      return results;
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
