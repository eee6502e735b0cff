/**
 * countingD1 over a real D1 shard: statements are always counted; with metering, every
 * statement's rows read and written are too — including those drizzle runs with `raw()` and
 * `first()`, which answer exactly what the plain calls answer.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { updateEach } from '../src/db/bulk-update.ts';
import { countingD1, type D1Usage, inJson, openDb, sameTenant } from '../src/db/client.ts';
import { users } from '../src/db/schema.ts';
import { tenantBinding } from '../src/db/shards.ts';
import { tenantId } from './helpers.ts';

async function withMembers(count: number) {
  const tenant = tenantId('meter');
  // Places the tenant in the directory, on the shard its id hashes to.
  const d1 = await tenantBinding(env, tenant);
  const now = new Date().toISOString();
  await d1.batch(
    Array.from({ length: count }, (_, i) =>
      d1
        .prepare(
          `insert into users (id, tenant_id, user_id, display_name, locale, created_at, updated_at)
           values (?, ?, ?, ?, 'JA', ?, ?)`,
        )
        .bind(crypto.randomUUID(), tenant, `u${i}`, `Member ${i}`, now, now),
    ),
  );
  return { tenant, d1 };
}

describe('countingD1', () => {
  it('meters raw() and first() with D1 rows, answering what the plain calls answer', async () => {
    const { tenant, d1 } = await withMembers(3);
    const plain: D1Usage = { statements: 0, roundTrips: 0 };
    const metered: D1Usage = { statements: 0, roundTrips: 0 };
    const select = (usage: D1Usage, meter: boolean) =>
      openDb(countingD1(d1, usage, meter))
        .select({ userId: users.userId, name: users.displayName })
        .from(users)
        .where(eq(users.tenantId, tenant))
        .orderBy(users.userId);
    const asPlain = await select(plain, false);
    const asMetered = await select(metered, true);
    expect(asMetered).toEqual(asPlain);
    expect(asMetered.map((r) => r.userId)).toEqual(['u0', 'u1', 'u2']);
    expect(plain).toEqual({ statements: 1, roundTrips: 1 });
    expect(metered.statements).toBe(1);
    expect(metered.rowsRead).toBeGreaterThanOrEqual(3);

    const sql = 'select user_id from users where tenant_id = ? order by user_id';
    const firstPlain = await countingD1(d1, plain).prepare(sql).bind(tenant).first('user_id');
    const firstMetered = await countingD1(d1, metered, true)
      .prepare(sql)
      .bind(tenant)
      .first('user_id');
    expect(firstMetered).toBe(firstPlain);
    expect(firstMetered).toBe('u0');
    const rawMetered = await countingD1(d1, metered, true)
      .prepare(sql)
      .bind(tenant)
      .raw({ columnNames: true });
    expect(rawMetered).toEqual([['user_id'], ['u0'], ['u1'], ['u2']]);
  });

  it('counts the rows an update writes, in a batch too', async () => {
    const { tenant, d1 } = await withMembers(4);
    const usage: D1Usage = { statements: 0, roundTrips: 0 };
    const counted = countingD1(d1, usage, true);
    const stmt = counted
      .prepare("update users set display_name = 'x' where tenant_id = ? and user_id in ('u1','u2')")
      .bind(tenant);
    await stmt.run();
    expect(usage.rowsWritten).toBe(2);
    await counted.batch([
      counted.prepare("update users set locale = 'EN' where tenant_id = ?").bind(tenant),
    ]);
    expect(usage.rowsWritten).toBe(6);
    expect(usage).toMatchObject({ statements: 2, roundTrips: 2 });
    // Without metering no rows are claimed: a partial count would mislead.
    const unmetered: D1Usage = { statements: 0, roundTrips: 0 };
    await countingD1(d1, unmetered)
      .prepare('update users set locale = ? where tenant_id = ?')
      .bind('JA', tenant)
      .run();
    expect(unmetered.rowsWritten).toBeUndefined();
  });
});

describe('lookups by primary key in a large tenant', () => {
  it('read the rows they name, not the whole tenant (sameTenant keeps SQLite on the keys)', async () => {
    const { tenant, d1 } = await withMembers(300);
    const ids = (
      await d1
        .prepare("select id from users where tenant_id = ? and user_id in ('u7','u8','u9')")
        .bind(tenant)
        .all<{ id: string }>()
    ).results.map((r) => r.id);
    const usage: D1Usage = { statements: 0, roundTrips: 0 };
    const db = openDb(countingD1(d1, usage, true));
    const rows = await db
      .select({ userId: users.userId })
      .from(users)
      .where(and(sameTenant(users.tenantId, tenant), inJson(users.id, ids)));
    expect(rows.map((r) => r.userId).sort()).toEqual(['u7', 'u8', 'u9']);
    expect(usage.rowsRead).toBeLessThan(30);

    const updates: D1Usage = { statements: 0, roundTrips: 0 };
    const counted = openDb(countingD1(d1, updates, true));
    await counted.batch(
      updateEach(
        counted,
        users,
        tenant,
        ids.map((id) => ({ id, displayName: 'renamed' })),
      ) as never,
    );
    expect(updates.rowsWritten).toBe(3);
    expect(updates.rowsRead).toBeLessThan(30);
  });
});
