/** Test helpers: tokens signed like WORKPLACE's, GraphQL through the Worker's own fetch. */
import { env, exports } from 'cloudflare:workers';
import { SignJWT } from 'jose';
import { placementOf, SHARD_COUNT, shardBindings } from '../src/db/shards.ts';

export type Role = 'admin' | 'user' | 'service';

/** A token as WORKPLACE would issue it; `claims` and `options` bend it for negative tests. */
export async function token(
  tenant: string,
  role: Role,
  sub = `${role}-1`,
  options: {
    claims?: Record<string, unknown>;
    secret?: string;
    expiresIn?: string | number;
    audience?: string;
    issuer?: string;
  } = {},
): Promise<string> {
  return new SignJWT({ tenant, role, ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(options.issuer ?? env.AUTH_ISSUER)
    .setAudience(options.audience ?? env.AUTH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret ?? env.AUTH_JWT_SECRET));
}

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs a GraphQL operation to /graphql of the Worker under test. */
export async function gql<T = Record<string, any>>(
  query: string,
  variables: Record<string, unknown> = {},
  bearer?: string | null,
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await exports.default.fetch('https://renkei.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GqlResult<T>, 'status'>;
  return { status: res.status, ...body };
}

let nextShard = 1;

/**
 * A fresh tenant id per test so tests never see each other's rows. Consecutive ids of a test
 * file are placed on different shards, the first on shard 1 (not the directory's database), so
 * a query that ignores the shard fails a test.
 */
export function tenantId(prefix = 't'): string {
  const shard = nextShard++ % SHARD_COUNT;
  for (;;) {
    const id = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
    if (placementOf(id) === shard) return id;
  }
}

/** The D1 binding of the shard that holds `tenant`'s rows (read from the directory). */
export async function tenantD1(tenant: string): Promise<D1Database> {
  const row = await env.DB.prepare('select shard from tenant_directory where tenant_id = ?')
    .bind(tenant)
    .first<{ shard: number }>();
  if (!row) throw new Error(`tenant ${tenant} is not in the directory`);
  const d1 = shardBindings(env)[row.shard];
  if (!d1) throw new Error(`tenant ${tenant} is on unbound shard ${row.shard}`);
  return d1;
}

/** A provider request as the fakes record it (`GET /__fake/requests`). */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  json?: any;
  form?: Record<string, string>;
  status: number;
}

/** Calls a fake provider's control API (`/__fake/…` at the root of `base`): GET, or POST `body`. */
export async function fake<T = any>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, new URL(base).origin), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake ${path}: HTTP ${res.status}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Admin/user/service tokens for one tenant. */
export async function tokens(tenant: string) {
  return {
    admin: await token(tenant, 'admin', 'admin-1'),
    user: await token(tenant, 'user', 'member-1'),
    service: await token(tenant, 'service', 'workplace'),
  };
}

/**
 * Every value of every row of every table on every shard, to assert no secret was stored in
 * plaintext; with `tenants`, only those tenants' rows (other test files write meanwhile).
 */
export async function dumpDatabase(tenants?: string[]): Promise<string> {
  let out = '';
  for (const [shard, d1] of shardBindings(env).entries()) {
    out += `shard ${shard}:\n${await dumpShard(d1, tenants)}`;
  }
  return out;
}

async function dumpShard(d1: D1Database, tenants?: string[]): Promise<string> {
  const tables = await d1
    .prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' order by name",
    )
    .all<{ name: string }>();
  let out = '';
  for (const { name } of tables.results) {
    if (tenants) {
      const cols = await d1.prepare(`select name from pragma_table_info('${name}')`).all<{
        name: string;
      }>();
      // The directory is where a tenant lives, not its data: a verified token places it.
      if (name === 'tenant_directory' || !cols.results.some((c) => c.name === 'tenant_id'))
        continue;
    }
    const rows = tenants
      ? await d1
          .prepare(
            `select * from "${name}" where tenant_id in (select value from json_each(?)) order by rowid`,
          )
          .bind(JSON.stringify(tenants))
          .all()
      : await d1.prepare(`select * from "${name}"`).all();
    out += `${name}:${JSON.stringify(rows.results)}\n`;
  }
  return out;
}

export function toPem(label: string, der: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(der)) s += String.fromCharCode(b);
  const lines = btoa(s).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A fresh RSA key pair as PEM: PKCS#8 private, SPKI public. */
export async function rsaKeyPair(
  modulusLength = 2048,
): Promise<{ privatePem: string; publicPem: string }> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer;
  const spki = (await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer;
  return { privatePem: toPem('PRIVATE KEY', pkcs8), publicPem: toPem('PUBLIC KEY', spki) };
}
