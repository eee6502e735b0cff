/**
 * Which D1 database holds a tenant's rows (ARCHITECTURE.md, "Storage past one database";
 * docs/sharding.md). Every shard has the same tables; shard 0 (`DB`) also holds the tenant
 * directory, which records each tenant's shard once and is the only thing ever asked.
 */
import { eq } from 'drizzle-orm';
import { type Db, openDb } from './client.ts';
import { tenantDirectory } from './schema.ts';

/**
 * The shard bindings in shard order (wrangler.toml). Append only: the directory stores the
 * position, so removing or reordering one would move tenants silently.
 */
const SHARD_BINDINGS = ['DB', 'DB_1'] as const satisfies readonly (keyof Env)[];

export const SHARD_COUNT = SHARD_BINDINGS.length;

/** Directory answers kept per isolate; an entry expires so a moved tenant is seen within this. */
export const DIRECTORY_CACHE_TTL_MS = 60_000;
const DIRECTORY_CACHE_MAX = 10_000;
const directoryCache = new Map<string, { shard: number; until: number }>();

const handles = new WeakMap<D1Database, Db>();

/** The raw D1 bindings of every shard, in shard order (migrations, health checks). */
export function shardBindings(env: Env): D1Database[] {
  return SHARD_BINDINGS.map((name) => env[name]);
}

/** A drizzle handle per shard, in shard order: what cron jobs walk. */
export function allShards(env: Env): Db[] {
  return shardBindings(env).map(handleOf);
}

/**
 * Where a new tenant goes: FNV-1a of its id over the shards bound when it is first seen. The
 * directory keeps that answer, so adding a shard later never moves an existing tenant.
 */
export function placementOf(tenantId: string, shardCount: number = SHARD_COUNT): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(tenantId)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}

/**
 * The database of a tenant the caller vouches for (a verified token, an internal job): one
 * that is not in the directory yet is placed now. Two first requests racing for one tenant
 * agree, because the insert never overwrites and both read the row that won.
 */
export async function tenantDb(env: Env, tenantId: string): Promise<Db> {
  return handleOf(await tenantBinding(env, tenantId));
}

/** The raw D1 binding behind `tenantDb` (for a per-request wrapper such as statement counting). */
export async function tenantBinding(env: Env, tenantId: string): Promise<D1Database> {
  const known = await lookUp(env, tenantId);
  if (known !== null) return shardBinding(env, known);
  const directory = directoryDb(env);
  const placed = await usablePlacement(tenantId, (shard) => hasTables(shardBinding(env, shard)));
  const [, rows] = await directory.batch([
    directory.insert(tenantDirectory).values({ tenantId, shard: placed }).onConflictDoNothing(),
    directory
      .select({ shard: tenantDirectory.shard })
      .from(tenantDirectory)
      .where(eq(tenantDirectory.tenantId, tenantId)),
  ]);
  const shard = rows[0]?.shard;
  if (shard === undefined) throw new Error('tenant directory: placement was not recorded');
  remember(tenantId, shard);
  return shardBinding(env, shard);
}

/**
 * Where a new tenant goes in practice: its hashed shard, unless that database has no tables yet
 * (its migrations were never applied, e.g. a local setup that migrated only `DB`); then shard 0,
 * said loudly, so the tenant works instead of failing on every statement. Decided once: the
 * directory keeps it.
 */
export async function usablePlacement(
  tenantId: string,
  migrated: (shard: number) => Promise<boolean>,
  shardCount: number = SHARD_COUNT,
): Promise<number> {
  const shard = placementOf(tenantId, shardCount);
  if (shard === 0 || (await migrated(shard))) return shard;
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'shard has no tables (apply the migrations to every shard): new tenant placed on shard 0',
      shard,
      tenantId,
    }),
  );
  return 0;
}

const migratedShards = new WeakSet<D1Database>();

/** Whether Renkei's migrations were applied to `d1` (remembered once true). */
async function hasTables(d1: D1Database): Promise<boolean> {
  if (migratedShards.has(d1)) return true;
  const row = await d1
    .prepare("select 1 as ok from sqlite_master where type = 'table' and name = 'deliveries'")
    .first();
  if (row) migratedShards.add(d1);
  return row !== null;
}

/**
 * The database of a tenant named by someone unauthenticated (a webhook URL, a callback
 * state), or null when the tenant was never placed: such requests must not add tenants.
 */
export async function findTenantDb(env: Env, tenantId: string): Promise<Db | null> {
  const shard = await lookUp(env, tenantId);
  return shard === null ? null : shardDb(env, shard);
}

/**
 * Splits `items` by the shard of their tenant (a queue batch, say); items whose tenant is
 * not in the directory come back in `unknown`.
 */
export async function groupByShard<T>(
  env: Env,
  items: readonly T[],
  tenantOf: (item: T) => string,
): Promise<{ groups: { shard: number; db: Db; items: T[] }[]; unknown: T[] }> {
  const tenants = [...new Set(items.map(tenantOf))];
  const shards = new Map(
    await Promise.all(tenants.map(async (t) => [t, await lookUp(env, t)] as const)),
  );
  const groups = new Map<number, T[]>();
  const unknown: T[] = [];
  for (const item of items) {
    const shard = shards.get(tenantOf(item)) ?? null;
    if (shard === null) unknown.push(item);
    else groups.set(shard, [...(groups.get(shard) ?? []), item]);
  }
  return {
    groups: [...groups].map(([shard, grouped]) => ({
      shard,
      db: shardDb(env, shard),
      items: grouped,
    })),
    unknown,
  };
}

/**
 * The `db` of a request that has no tenant (no valid token): using it is a bug, so every use
 * throws instead of reading some shard.
 */
export function noTenantDb(): Db {
  return new Proxy({} as Db, {
    get(_target, prop) {
      if (prop === 'then') return undefined;
      throw new Error('no tenant database: this request has no tenant');
    },
  });
}

function directoryDb(env: Env): Db {
  return handleOf(env.DB);
}

function shardDb(env: Env, shard: number): Db {
  return handleOf(shardBinding(env, shard));
}

function shardBinding(env: Env, shard: number): D1Database {
  const binding = SHARD_BINDINGS[shard];
  // Fewer bindings than the directory names means a shard was unbound: refuse, never guess.
  if (binding === undefined) {
    throw new Error(`tenant directory names shard ${shard}, but ${SHARD_COUNT} are bound`);
  }
  return env[binding];
}

function handleOf(d1: D1Database): Db {
  let db = handles.get(d1);
  if (!db) {
    db = openDb(d1);
    handles.set(d1, db);
  }
  return db;
}

async function lookUp(env: Env, tenantId: string): Promise<number | null> {
  const cached = directoryCache.get(tenantId);
  if (cached && cached.until > Date.now()) return cached.shard;
  const row = await directoryDb(env)
    .select({ shard: tenantDirectory.shard })
    .from(tenantDirectory)
    .where(eq(tenantDirectory.tenantId, tenantId))
    .get();
  if (!row) return null;
  remember(tenantId, row.shard);
  return row.shard;
}

function remember(tenantId: string, shard: number) {
  directoryCache.delete(tenantId);
  if (directoryCache.size >= DIRECTORY_CACHE_MAX) {
    const oldest = directoryCache.keys().next().value;
    if (oldest !== undefined) directoryCache.delete(oldest);
  }
  directoryCache.set(tenantId, { shard, until: Date.now() + DIRECTORY_CACHE_TTL_MS });
}
