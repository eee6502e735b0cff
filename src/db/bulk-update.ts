/**
 * Set-based updates: many rows of one tenant, each with its own values, in one statement
 * (`UPDATE … FROM json_each(?)`), instead of one UPDATE per row. The rows travel as a single
 * JSON parameter, so a statement stays far below D1's 100 bound parameters whatever its size.
 */
import { and, type Column, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './client.ts';

/** Rows per statement; the JSON parameter then stays well under D1's 2 MB per value. */
export const ROWS_PER_UPDATE = 500;

type TenantTable = SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn };

/** One row's change: its id and the columns it sets (a key left out keeps the stored value). */
export type RowChange<T extends TenantTable> = { id: string } & Partial<T['$inferSelect']>;

/**
 * The UPDATE statements that apply `changes` to `table`'s rows of `tenantId`, ROWS_PER_UPDATE
 * rows each (for `db.batch`). Like drizzle's `.set()`, a key that is undefined or absent leaves
 * the column as it is, and null stores NULL; `shared` sets the same value on every row.
 */
export function updateEach<T extends TenantTable>(
  db: Db,
  table: T,
  tenantId: string,
  changes: readonly RowChange<T>[],
  shared: Partial<T['$inferSelect']> = {},
) {
  const columns = getTableColumns(table) as Record<string, Column>;
  const statements = [];
  for (let i = 0; i < changes.length; i += ROWS_PER_UPDATE) {
    const chunk = changes.slice(i, i + ROWS_PER_UPDATE);
    const keys = new Set<string>();
    const rows = chunk.map((change) => {
      const row: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(change)) {
        const column = columns[key];
        if (value === undefined || !column) continue;
        row[key] = value === null ? null : column.mapToDriverValue(value);
        if (key !== 'id') keys.add(key);
      }
      return row;
    });
    const set: Record<string, SQL> = {};
    for (const key of keys) {
      const path = `$.${key}`;
      // A row without the key keeps its value: json_type is NULL for a missing path only.
      set[key] = sql`case when json_type(changes.value, ${path}) is null then ${columns[key]}
        else json_extract(changes.value, ${path}) end`;
    }
    statements.push(
      db
        .update(table)
        .set({ ...shared, ...set } as never)
        .from(sql`json_each(${JSON.stringify(rows)}) as changes`)
        .where(
          and(eq(table.tenantId, tenantId), eq(table.id, sql`json_extract(changes.value, '$.id')`)),
        ),
    );
  }
  return statements;
}
