/**
 * Routing: whether one member can get a message on one channel now, and if not, why in admin
 * words (the SKIPPED reason). The same answer at emit time and again just before a send.
 */
import { eq } from 'drizzle-orm';
import type { Channel } from '../adapters/types.ts';
import type { Db } from '../db/client.ts';
import { integrations } from '../db/schema.ts';
import { DRIVERS } from './channels/index.ts';
import type { IntegrationKind, IntegrationStatus } from './integrations.ts';
import type { UserRow } from './users.ts';

interface Route {
  status: 'QUEUED' | 'SKIPPED';
  reason: string | null;
}

const CHANNEL_NAMES: Record<Channel, string> = {
  LINE_WORKS: 'LINE WORKS',
  SLACK: 'Slack',
  GOOGLE_CHAT: 'Google Chat',
  LINE: 'LINE',
};

export interface IntegrationState {
  enabled: boolean;
  status: IntegrationStatus;
  lastError: string | null;
  /** Non-secret settings, for channels whose driver checks them (e.g. a LINE WORKS Bot ID). */
  settings?: Record<string, unknown>;
}

/** Whether one member can get a message on one channel now, and if not, why in admin words. */
export function route(user: UserRow, channel: Channel, integration: IntegrationState): Route {
  const name = CHANNEL_NAMES[channel];
  if (!integration.enabled) return { status: 'SKIPPED', reason: `${name} integration is disabled` };
  if (integration.status === 'ERROR') {
    return {
      status: 'SKIPPED',
      reason: `${name} integration in ERROR${integration.lastError ? `: ${integration.lastError}` : ''}`,
    };
  }
  const driver = DRIVERS[channel];
  if (!driver) return { status: 'SKIPPED', reason: `${name} delivery is not available yet` };
  const problem = driver.integrationProblem?.(integration.settings ?? {});
  if (problem) return { status: 'SKIPPED', reason: problem };
  const unreachable = driver.unreachable(user);
  if (unreachable) return { status: 'SKIPPED', reason: unreachable };
  return { status: 'QUEUED', reason: null };
}

/** The tenant's integrations as routing sees them; a kind never configured is disabled. */
export async function integrationStates(db: Db, tenantId: string) {
  const rows = await db
    .select({
      kind: integrations.kind,
      enabled: integrations.enabled,
      status: integrations.status,
      lastError: integrations.lastError,
      settings: integrations.settings,
    })
    .from(integrations)
    .where(eq(integrations.tenantId, tenantId));
  const map = new Map<string, IntegrationState>();
  for (const r of rows) {
    map.set(r.kind, {
      enabled: r.enabled,
      status: r.status as IntegrationStatus,
      lastError: r.lastError,
      settings: JSON.parse(r.settings) as Record<string, unknown>,
    });
  }
  return (kind: IntegrationKind): IntegrationState =>
    map.get(kind) ?? { enabled: false, status: 'DISABLED', lastError: null };
}
