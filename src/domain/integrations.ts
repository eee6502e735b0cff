/**
 * Integration settings (サービス連携設定): one row per tenant and kind, non-secret settings as
 * JSON, secrets sealed with AES-GCM. Reads return views that never carry a secret's value.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { integrations, lineQuotas } from '../db/schema.ts';
import { auditStatement } from './audit.ts';
import type { Principal } from './auth.ts';
import { type SealedSecret, sealSecret, unseal } from './crypto.ts';
import { InputError, type UserError } from './errors.ts';
import type { IntegrationKind } from './integration-kinds/define.ts';
import { INTEGRATION_KINDS, KINDS } from './integration-kinds/kinds.ts';
import { LINE_CHANNEL_FIELDS } from './integration-kinds/line.ts';
import {
  type LineQuotaRow,
  type LineQuotaView,
  lineQuotaNotice,
  lineQuotaView,
  readLineQuota,
} from './line-quota.ts';
import type { TokenProvider, TokenSource } from './tokens.ts';

export type { IntegrationKind } from './integration-kinds/define.ts';
export { INTEGRATION_KINDS } from './integration-kinds/kinds.ts';
export type IntegrationStatus = 'DISABLED' | 'UNVERIFIED' | 'ACTIVE' | 'ERROR';

export interface SecretView {
  configured: boolean;
  hint: string | null;
  updatedAt: string | null;
}

/** What GraphQL sees of an integration: settings and secret metadata, never a secret. */
export interface IntegrationView {
  kind: IntegrationKind;
  enabled: boolean;
  status: IntegrationStatus;
  lastVerifiedAt: string | null;
  lastError: string | null;
  updatedAt: string | null;
  settings: Record<string, unknown>;
  secrets: Record<string, SecretView>;
  /** LINE only: this month's message quota, null until Renkei first read it. */
  quota?: LineQuotaView | null;
}

/** An integration as stored: settings and sealed secrets as JSON text. */
export type IntegrationRow = typeof integrations.$inferSelect;

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * The view of one integration. For LINE, `quota` is the quota row: its figures show under
 * `quota`, and what an admin must act on (≥ 80 % used, used up, unreadable) joins lastError.
 */
function toView(
  kind: IntegrationKind,
  row: IntegrationRow | undefined,
  quota?: LineQuotaRow | null,
): IntegrationView {
  const sealed = row ? parseJson<Record<string, SealedSecret>>(row.secrets) : {};
  const secrets: Record<string, SecretView> = {};
  for (const name of KINDS[kind].secrets) {
    const s = sealed[name];
    secrets[name] = s
      ? { configured: true, hint: s.hint || null, updatedAt: s.updatedAt }
      : { configured: false, hint: null, updatedAt: null };
  }
  const view: IntegrationView = {
    kind,
    enabled: row?.enabled ?? false,
    status: (row?.status as IntegrationStatus | undefined) ?? 'DISABLED',
    lastVerifiedAt: row?.lastVerifiedAt ?? null,
    lastError: row?.lastError ?? null,
    updatedAt: row?.updatedAt ?? null,
    settings: row ? parseJson<Record<string, unknown>>(row.settings) : {},
    secrets,
  };
  if (kind === 'LINE') {
    view.quota = lineQuotaView(quota);
    const notice = row?.enabled ? lineQuotaNotice(quota) : null;
    if (notice) view.lastError = view.lastError ? `${view.lastError}; ${notice}` : notice;
  }
  return view;
}

/** All five integrations of a tenant, defaults for those never configured. */
export async function listIntegrations(db: Db, tenantId: string) {
  const [rows, quota] = await Promise.all([
    db.select().from(integrations).where(eq(integrations.tenantId, tenantId)),
    readLineQuota(db, tenantId),
  ]);
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  return Object.fromEntries(
    INTEGRATION_KINDS.map((k) => [k, toView(k, byKind.get(k), quota)]),
  ) as Record<IntegrationKind, IntegrationView>;
}

async function loadRow(db: Db, tenantId: string, kind: IntegrationKind) {
  return db.query.integrations.findFirst({
    where: and(eq(integrations.tenantId, tenantId), eq(integrations.kind, kind)),
  });
}

export async function getIntegration(db: Db, tenantId: string, kind: IntegrationKind) {
  const [row, quota] = await Promise.all([
    loadRow(db, tenantId, kind),
    kind === 'LINE' ? readLineQuota(db, tenantId) : null,
  ]);
  return toView(kind, row, quota);
}

/** Where a secret is bound for AES-GCM additional data. */
function secretPlace(tenantId: string, kind: IntegrationKind, name: string): string {
  return `integration/${tenantId}/${kind}/${name}`;
}

/** Whose cached provider tokens a save of `kind` makes stale. */
const TOKEN_PROVIDER: Partial<Record<IntegrationKind, TokenProvider>> = {
  LINE_WORKS: 'LINE_WORKS',
  LINE_WORKS_CALENDAR: 'LINE_WORKS',
  LINE: 'LINE',
};

/**
 * Applies a configure* input: omitted fields stay, `""` clears, secrets are sealed. Checks
 * the fields an enabled integration needs and writes the change and its audit entry in one
 * batch, then drops the tenant's cached tokens of that provider (`tokens`): whatever was
 * issued for the old credentials is not used again. Status: DISABLED when off; UNVERIFIED
 * when credentials changed or it was off; otherwise unchanged (a kind with nothing to verify,
 * such as Google Chat: ACTIVE).
 */
export async function configureIntegration(
  db: Db,
  secretsKey: string,
  actor: Principal,
  kind: IntegrationKind,
  input: { enabled: boolean } & Record<string, unknown>,
  tokens?: Pick<TokenSource, 'forget'>,
): Promise<IntegrationView> {
  const spec = KINDS[kind];
  const row = await loadRow(db, actor.tenantId, kind);
  const now = new Date().toISOString();
  const settings = row ? parseJson<Record<string, unknown>>(row.settings) : {};
  const sealed = row ? parseJson<Record<string, SealedSecret>>(row.secrets) : {};
  const changed: string[] = [];
  const cleared: string[] = [];

  for (const name of spec.settings) {
    const value = input[name];
    if (value === undefined || value === null) continue;
    if (value === '') {
      if (name in settings) cleared.push(name);
      delete settings[name];
    } else if (settings[name] !== value) {
      settings[name] = value;
      changed.push(name);
    }
  }
  for (const name of spec.secrets) {
    const value = input[name];
    if (value === undefined || value === null) continue;
    if (value === '') {
      if (name in sealed) cleared.push(name);
      delete sealed[name];
    } else {
      sealed[name] = await sealSecret(
        secretsKey,
        secretPlace(actor.tenantId, kind, name),
        value as string,
        now,
      );
      changed.push(name);
    }
  }

  if (input.enabled) {
    const merged: Record<string, unknown> = { ...settings };
    for (const name of Object.keys(sealed)) merged[name] = true;
    const missing = spec.required(merged).filter((f) => merged[f] == null || merged[f] === '');
    if (missing.length > 0) {
      throw new InputError(
        missing.map(
          (f): UserError => ({
            code: 'REQUIRED',
            message: `${f} is required to enable ${kind}`,
            field: ['input', f],
          }),
        ),
      );
    }
  }

  const wasEnabled = row?.enabled ?? false;
  let status: IntegrationStatus;
  let lastError = row?.lastError ?? null;
  if (!input.enabled) status = 'DISABLED';
  else if (spec.activeWhenEnabled) status = 'ACTIVE';
  else if (!wasEnabled || changed.length > 0 || cleared.length > 0 || !row) {
    status = 'UNVERIFIED';
    lastError = null;
  } else status = row.status as IntegrationStatus;
  if (spec.activeWhenEnabled) lastError = null;

  const values = {
    tenantId: actor.tenantId,
    kind,
    enabled: input.enabled,
    status,
    settings: JSON.stringify(settings),
    secrets: JSON.stringify(sealed),
    lastError,
    updatedAt: now,
  };
  await db.batch([
    db
      .insert(integrations)
      .values(values)
      .onConflictDoUpdate({ target: [integrations.tenantId, integrations.kind], set: values }),
    auditStatement(
      db,
      {
        tenantId: actor.tenantId,
        actor: actor.subject,
        action: 'integration.configure',
        target: kind,
        detail: { enabled: input.enabled, changed, cleared, status },
      },
      now,
    ),
    // Another channel token may be another official account: its quota is read afresh.
    ...(kind === 'LINE' && [...changed, ...cleared].some((f) => LINE_CHANNEL_FIELDS.includes(f))
      ? [db.delete(lineQuotas).where(eq(lineQuotas.tenantId, actor.tenantId))]
      : []),
  ]);
  const provider = TOKEN_PROVIDER[kind];
  if (provider && tokens) await tokens.forget(actor.tenantId, provider);
  return getIntegration(db, actor.tenantId, kind);
}

/** Decrypted credentials for the consumer and verification; never leaves the service. */
export interface IntegrationCredentials {
  kind: IntegrationKind;
  enabled: boolean;
  status: IntegrationStatus;
  lastError: string | null;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export async function loadCredentials(
  db: Db,
  secretsKey: string,
  tenantId: string,
  kind: IntegrationKind,
): Promise<IntegrationCredentials | null> {
  const row = await loadRow(db, tenantId, kind);
  return row ? credentialsOf(secretsKey, row) : null;
}

/** The credentials of an integration row read elsewhere (e.g. in the consumer's claim batch). */
export async function credentialsOf(
  secretsKey: string,
  row: IntegrationRow,
): Promise<IntegrationCredentials> {
  const kind = row.kind as IntegrationKind;
  const sealed = parseJson<Record<string, SealedSecret>>(row.secrets);
  const secrets: Record<string, string> = {};
  for (const [name, s] of Object.entries(sealed)) {
    secrets[name] = await unseal(secretsKey, secretPlace(row.tenantId, kind, name), s.c);
  }
  return {
    kind,
    enabled: row.enabled,
    status: row.status as IntegrationStatus,
    lastError: row.lastError,
    settings: parseJson<Record<string, unknown>>(row.settings),
    secrets,
  };
}

/**
 * Records a verification or a provider's verdict on the integration. `facts` merge into the
 * settings (e.g. Slack team name); `ok: false` sets ERROR with the provider's reason.
 */
export async function recordIntegrationHealth(
  db: Db,
  tenantId: string,
  kind: IntegrationKind,
  outcome: {
    ok: boolean;
    error?: string | null;
    facts?: Record<string, unknown>;
    verified?: boolean;
  },
): Promise<void> {
  const row = await loadRow(db, tenantId, kind);
  if (!row) return;
  const now = new Date().toISOString();
  const settings = {
    ...parseJson<Record<string, unknown>>(row.settings),
    ...(outcome.facts ?? {}),
  };
  await db
    .update(integrations)
    .set({
      status: row.enabled ? (outcome.ok ? 'ACTIVE' : 'ERROR') : 'DISABLED',
      lastError: outcome.ok ? null : (outcome.error ?? 'unknown error'),
      lastVerifiedAt: outcome.verified ? now : row.lastVerifiedAt,
      settings: JSON.stringify(settings),
      updatedAt: now,
    })
    .where(and(eq(integrations.tenantId, tenantId), eq(integrations.kind, kind)));
}
