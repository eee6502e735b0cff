/**
 * Reading LINE's monthly quota from LINE (`GET /v2/bot/message/quota` and `/consumption`): on
 * verifyIntegration, after consumer batches that pushed, and daily from the cron. A read that
 * fails is recorded with its reason and never fails what triggered it.
 */
import { lineQuota } from '../adapters/line/index.ts';
import type { Db } from '../db/client.ts';
import { type IntegrationCredentials, loadCredentials } from './integrations.ts';
import { dueLineQuotaTenants, recordLineQuotaFailure, recordLineQuotaRead } from './line-quota.ts';
import { createLogger } from './log.ts';
import { lineChannelToken, type TokenSource } from './tokens.ts';

export interface LineQuotaDeps {
  db: Db;
  env: { SECRETS_KEY: string; LINE_API_BASE: string };
  tokens: TokenSource;
  timeoutMs: number;
}

export type LineQuotaReadResult =
  | { ok: true; limit: number | null; used: number }
  | { ok: false; reason: string };

/**
 * Reads the tenant's LINE quota and records the outcome. `token` is the channel token the
 * caller already holds (verification); otherwise it is the one deliveries use. `verified`: the
 * read is part of verifyIntegration, which may lift LINE's refusal when it shows room.
 */
export async function refreshLineQuota(
  deps: LineQuotaDeps,
  tenantId: string,
  options: {
    token?: { token: string; stateless: boolean };
    creds?: IntegrationCredentials;
    verified?: boolean;
  } = {},
): Promise<LineQuotaReadResult> {
  const { db } = deps;
  let token = options.token;
  if (!token) {
    const creds =
      options.creds ?? (await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, 'LINE'));
    if (!creds) return { ok: false, reason: 'LINE is not configured' };
    const issued = await lineChannelToken(deps.tokens, tenantId, creds);
    if (!issued?.ok) {
      const reason = issued
        ? issued.reason
        : 'no channel access token (enter one, or the Messaging channel id and secret)';
      await recordLineQuotaFailure(db, tenantId, reason);
      return { ok: false, reason };
    }
    token = { token: issued.token, stateless: issued.stateless };
  }
  const r = await lineQuota({
    apiBase: deps.env.LINE_API_BASE,
    channelAccessToken: token.token,
    timeoutMs: deps.timeoutMs,
  });
  if (!r.ok) {
    if (r.status === 401 && token.stateless) {
      const creds = await loadCredentials(db, deps.env.SECRETS_KEY, tenantId, 'LINE');
      const channelId = creds?.settings.messagingChannelId;
      const secret = creds?.secrets.messagingChannelSecret;
      if (typeof channelId === 'string' && secret) {
        await deps.tokens.dropLineChannel(tenantId, channelId, secret, token.token);
      }
    }
    await recordLineQuotaFailure(db, tenantId, r.reason);
    return { ok: false, reason: r.reason };
  }
  await recordLineQuotaRead(
    db,
    tenantId,
    { limit: r.limit, used: r.used },
    { verified: options.verified === true },
  );
  return { ok: true, limit: r.limit, used: r.used };
}

/** Tenants read per cron run (every 5 minutes: up to 7,200 tenants a day). */
export const CRON_CHUNK = 25;
/** Reads at once within a cron run. */
const CRON_CONCURRENCY = 5;

/**
 * The cron's daily read: a bounded chunk of the tenants that are due (dueLineQuotaTenants),
 * a few at a time; one tenant's failure is recorded and does not stop the others.
 */
export async function refreshDueLineQuotas(
  deps: LineQuotaDeps,
  options: { limit?: number; nowMs?: number } = {},
): Promise<{ due: number; read: number; failed: number }> {
  const due = await dueLineQuotaTenants(deps.db, options.limit ?? CRON_CHUNK, options.nowMs);
  let read = 0;
  let failed = 0;
  const queue = [...due];
  const worker = async () => {
    for (let tenantId = queue.shift(); tenantId; tenantId = queue.shift()) {
      try {
        const r = await refreshLineQuota(deps, tenantId);
        if (r.ok) read++;
        else failed++;
      } catch (err) {
        failed++;
        createLogger({ job: 'line-quota', tenantId }).error('quota read failed', {
          error: (err as Error).message ?? String(err),
        });
        await recordLineQuotaFailure(deps.db, tenantId, 'internal error (logged)').catch(
          () => undefined,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CRON_CONCURRENCY, due.length) }, worker));
  return { due: due.length, read, failed };
}
